"""The one error type of ``sensor_dsp``."""


class SensorError(ValueError):
    """Invalid argument to a sensor model (lengths, widths, options). The
    message states the reason. Bad *samples* (NaN, zero amplitude) are not
    errors: they raise flags on the affected outputs."""
