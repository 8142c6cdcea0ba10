"""The MicroPython codec's code tables are generated from protocol.frames and
the committed copy is current; a change in the declarations makes it stale."""

import subprocess
import sys

import pytest

from protocol import firmware_tables as T
from protocol import frames as F
from protocol.errors import FrameError


def test_committed_tables_are_current():
    assert T.current(), "run: python -m protocol.firmware_tables"
    p = subprocess.run([sys.executable, "-m", "protocol.firmware_tables", "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_a_new_frame_type_makes_the_copy_stale(monkeypatch, tmp_path):
    copy = tmp_path / "mesh_codec.py"
    copy.write_text(T.FIRMWARE_CODEC.read_text())
    assert T.current(copy)
    monkeypatch.setattr(F, "FRAME_TYPES", {**F.FRAME_TYPES, len(F.FRAME_TYPES): "future"})
    assert not T.current(copy)
    assert T.write(copy) and T.current(copy)
    assert '"future")' in copy.read_text()


def test_tables_equal_the_declarations_when_executed():
    ns: dict = {}
    exec(T.render(), ns)  # the generated block is plain Python
    assert ns["TYPES"] == tuple(F.FRAME_TYPES[k] for k in range(len(F.FRAME_TYPES)))
    assert ns["MIC_LEN"] == F.MIC_LENGTHS and ns["MIC_CODE"] == F.MIC_CODES
    assert ns["ROUTE"] == F.ROUTE_KINDS and ns["MAX_FRAME"] == F.MAX_FRAME
    import struct
    assert struct.calcsize(ns["STATS_FORMAT"]) == F.NeighbourStats.sizeof()


def test_gapped_codes_are_refused(monkeypatch):
    monkeypatch.setattr(F, "DATA_PROTOCOLS", {0: "raw", 2: "mavlink2"})
    with pytest.raises(FrameError, match="not 0..1"):
        T.render()
