"""Old name of :mod:`mesh_phy.coding.conv`, kept so existing imports keep
working: ``mesh_phy.conv`` *is* that module (same object, same state)."""

import sys

from mesh_phy.coding import conv as _module

sys.modules[__name__] = _module
