"""Old name of :mod:`mesh_phy.modulation.demapper`, kept so existing imports keep
working: ``mesh_phy.demapper`` *is* that module (same object, same state)."""

import sys

from mesh_phy.modulation import demapper as _module

sys.modules[__name__] = _module
