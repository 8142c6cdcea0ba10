"""The one error type of the register tooling."""


class RegsError(ValueError):
    """A register description the generators do not support, a name that does
    not exist, or a stale generated file; the message says which and why."""
