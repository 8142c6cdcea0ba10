"""The one error type of ``mesh_phy``."""


class PhyError(ValueError):
    """Raised for any invalid argument to a ``mesh_phy`` model (bad seed, rate,
    modulation, bit values or lengths). The message states the reason."""
