"""The one error type of the KPI report and sweep runner."""


class KpiError(ValueError):
    """A bad sweep, backend, KPI registration, results file or command-line
    argument; the message names it and the reason."""
