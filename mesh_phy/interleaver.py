"""Old name of :mod:`mesh_phy.coding.interleaver`, kept so existing imports keep
working: ``mesh_phy.interleaver`` *is* that module (same object, same state)."""

import sys

from mesh_phy.coding import interleaver as _module

sys.modules[__name__] = _module
