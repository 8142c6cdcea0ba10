"""Old name of :mod:`mesh_phy.coding.scrambler`, kept so existing imports keep
working: ``mesh_phy.scrambler`` *is* that module (same object, same state)."""

import sys

from mesh_phy.coding import scrambler as _module

sys.modules[__name__] = _module
