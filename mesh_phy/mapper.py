"""Old name of :mod:`mesh_phy.modulation.mapper`, kept so existing imports keep
working: ``mesh_phy.mapper`` *is* that module (same object, same state)."""

import sys

from mesh_phy.modulation import mapper as _module

sys.modules[__name__] = _module
