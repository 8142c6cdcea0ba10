"""mesh_phy is organised by job (coding/, modulation/, ofdm/, channel/, link/);
the module names that existed before the split still import, and are the very
same module objects, so state and monkeypatching agree whichever name is used."""

import importlib

import pytest

MOVED = {
    "scrambler": "mesh_phy.coding.scrambler",
    "crc": "mesh_phy.coding.crc",
    "conv": "mesh_phy.coding.conv",
    "viterbi": "mesh_phy.coding.viterbi",
    "interleaver": "mesh_phy.coding.interleaver",
    "mapper": "mesh_phy.modulation.mapper",
    "demapper": "mesh_phy.modulation.demapper",
}


@pytest.mark.parametrize("old,new", sorted(MOVED.items()))
def test_old_module_name_is_the_moved_module(old, new):
    assert importlib.import_module(f"mesh_phy.{old}") is importlib.import_module(new)
    pkg = importlib.import_module("mesh_phy")
    exec(f"from mesh_phy import {old} as m", ns := {})
    assert ns["m"] is importlib.import_module(new)
    assert getattr(pkg, old) is importlib.import_module(new)
