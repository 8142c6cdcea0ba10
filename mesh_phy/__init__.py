"""Physical layer of the ad-hoc mesh link (chip A): golden models.

Bits are numpy ``uint8`` arrays of 0/1 in transmission order; bytes become
bits LSB first (IEEE 802.11a-1999 convention) unless a function says otherwise.
Every bad argument raises :class:`mesh_phy.errors.PhyError` (a ``ValueError``).
"""

from mesh_phy.errors import PhyError

__all__ = ["PhyError"]
