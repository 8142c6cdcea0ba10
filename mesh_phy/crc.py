"""Old name of :mod:`mesh_phy.coding.crc`, kept so existing imports keep
working: ``mesh_phy.crc`` *is* that module (same object, same state)."""

import sys

from mesh_phy.coding import crc as _module

sys.modules[__name__] = _module
