"""Old name of :mod:`mesh_phy.coding.viterbi`, kept so existing imports keep
working: ``mesh_phy.viterbi`` *is* that module (same object, same state)."""

import sys

from mesh_phy.coding import viterbi as _module

sys.modules[__name__] = _module
