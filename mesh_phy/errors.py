"""The one error type of ``mesh_phy``."""


class PhyError(ValueError):
    """Raised for any invalid argument to a ``mesh_phy`` model (bad seed, rate,
    modulation, bit values or lengths). The message states the reason."""


class NoPacket(PhyError):
    """The receiver found no 802.11a preamble in the samples."""


class SignalError(PhyError):
    """The SIGNAL field is invalid (parity, reserved bit, RATE, LENGTH)."""


class Truncated(PhyError):
    """The samples end before the packet does."""


class DataError(PhyError):
    """The DATA field does not decode (its SERVICE bits give no scrambler seed)."""
