"""Mutation check: one deliberate bug per block, each of which its testbench must catch.

Each :class:`Mutation` is a textual patch (``old`` → ``new``, which must occur
exactly once) applied at build time to a *copy* of the block's RTL in
``build/mutants/<block>-<id>/src/``; the mutant builds and runs in its own
build tree (``build/mutants/<block>-<id>/``), never touching the real build,
the block's JUnit files or its functional-coverage database (``FCOV=0``).
A mutant is *killed* when at least one test fails and none passes
(every variant of the selected test must see the bug).

``python -m rtl_verif.mutations [--sim icarus] [--block B] [--frames N]`` prints
one line per mutant and the kill rate; exit status 1 when one survived.
"""

import contextlib
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

from argcheck.cli import Parser
from rtl_verif import blocks, runner
from rtl_verif.blocks import BLOCKS

MUTANTS_DIR = runner.BUILD / "mutants"


class MutationError(ValueError):
    """A mutation's text is not in the RTL exactly once (the RTL changed: update the patch)."""


class Mutation(NamedTuple):
    block: str
    ident: str  # short name, part of the build dir
    file: str  # under rtl_verif/rtl/
    old: str
    new: str
    kind: str  # what kind of bug, for the report
    testcase: str = "test_random_frames"


MUTATIONS = (
    Mutation("crc32", "poly", "crc32.sv", "32'hEDB88320", "32'hEDB88322", "flipped constant (polynomial bit 1)"),
    Mutation("scrambler", "tap", "scrambler.sv", "st_next[6] ^ st_next[3]", "st_next[6] ^ st_next[2]",
             "wrong feedback tap (x^7+x^4+1 read one stage off)"),
    Mutation("conv_enc", "tlast", "conv_enc.sv", "m_axis_tlast <= s_axis_tlast;", "m_axis_tlast <= 1'b0;",
             "dropped tlast"),
    Mutation("interleaver", "mod3", "interleaver.sv", "(r_mod3 == 2'd2) ? 2'd0", "(r_mod3 == 2'd1) ? 2'd0",
             "off-by-one (row counter mod 3 wraps at 2)"),
    Mutation("qam_mapper", "scale16", "qam_mapper.sv", "scale = SCALE_16; end", "scale = SCALE_16 + 1'b1; end",
             "off-by-one constant (16-QAM scale + 1 LSB)"),
    Mutation("viterbi_dec", "tlast", "viterbi_dec.sv", "m_axis_tlast  <= (flush_cnt == CW'(1));",
             "m_axis_tlast  <= (flush_cnt == CW'(2));", "off-by-one tlast (frame ends one bit early)",
             "test_noisy_frames"),
    Mutation("fft64", "tlast", "fft64_reorder.sv", "m_axis_tlast  <= (r == 6'd63);",
             "m_axis_tlast  <= (r == 6'd62);", "off-by-one tlast (sample 62 closes the frame)"),
    Mutation("cordic_atan2", "round", "cordic_atan2.sv", "(prod + (MW'(1) <<< (KF - 1 + G)))",
             "(prod + (MW'(0) <<< (KF - 1 + G)))", "flipped constant (magnitude rounding dropped)"),
    Mutation("preamble_detect", "thr", "preamble_detect.sv", "wire [TPW-1:0] tp  = TPW'(THR) * TPW'(pt);",
             "wire [TPW-1:0] tp  = TPW'(THR + 16) * TPW'(pt);", "wrong constant (threshold + 16/THR units)"),
    Mutation("sm4_core", "rot18", "sm4_t.sv", "{b[13:0], b[31:14]}", "{b[14:0], b[31:15]}",
             "off-by-one rotation (L's <<<18 as <<<17)", "test_random_traffic"),
    Mutation("cordic_csr", "irqmask", "cordic_csr.sv", "(irq_low && irq_en_low);", "irq_low;",
             "interrupt enable ignored (LOW_AMP raises irq while masked)", "test_interrupts"),
    Mutation("viterbi_csr", "tlast", "viterbi_csr.sv", "assign m_axis_tlast  = c_out_last;",
             "assign m_axis_tlast  = 1'b0;", "dropped tlast (stream mode)"),
)


def patch_text(text: str, m: Mutation) -> str:
    """``text`` with the mutation applied; :class:`MutationError` unless ``old`` occurs exactly once."""
    n = text.count(m.old)
    if n != 1:
        raise MutationError(f"{m.block}/{m.ident}: {m.old!r} occurs {n} times in {m.file} (expected once)")
    return text.replace(m.old, m.new)


def mutant_dir(m: Mutation) -> Path:
    return MUTANTS_DIR / f"{m.block}-{m.ident}"


def write_sources(m: Mutation) -> tuple:
    """Copy the block's sources to the mutant's ``src/`` with the patch applied; their absolute paths."""
    block = BLOCKS[m.block]
    if m.file not in block.sources:
        raise MutationError(f"{m.block}/{m.ident}: {m.file} is not a source of {m.block} ({block.sources})")
    src = mutant_dir(m) / "src"
    src.mkdir(parents=True, exist_ok=True)
    out = []
    for name in block.sources:
        text = (blocks.RTL_DIR / name).read_text()
        if name == m.file:
            text = patch_text(text, m)
        path = src / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        out.append(path)
    return tuple(out)


@contextlib.contextmanager
def _mutant_tree(m: Mutation, sources: tuple):
    """Point the registry entry at the mutated copies and the runner's output
    directories into the mutant's tree, for the duration of one run."""
    saved = {k: getattr(runner, k) for k in ("BUILD", "RESULTS", "LOGS", "COVERAGE_DIR", "WAVES_DIR")}
    entry = BLOCKS[m.block]
    root = mutant_dir(m)
    try:
        BLOCKS[m.block] = entry._replace(sources=sources)
        runner.BUILD = root / "build"
        runner.RESULTS, runner.LOGS = root / "results", root / "logs"
        runner.COVERAGE_DIR, runner.WAVES_DIR = root / "coverage", root / "waves"
        yield
    finally:
        BLOCKS[m.block] = entry
        for k, v in saved.items():
            setattr(runner, k, v)


class Outcome(NamedTuple):
    mutation: Mutation
    killed: bool
    passed: int
    failed: int
    message: str  # the first failing test's message: it should point at the fault
    wall_s: float


def run_mutant(m: Mutation, sim: str = "icarus", frames: int = 12, seed: int = 1) -> Outcome:
    sources = write_sources(m)
    with _mutant_tree(m, sources):
        r = runner.run(m.block, sim, seed=seed, testcase=m.testcase, coverage=False, progress=False,
                       extra_env={"TB_FRAMES": str(frames), "FCOV": "0"})
    bad = [t for t in r.tests if not t.passed]
    msg = bad[0].message if bad else ""
    return Outcome(m, r.failed >= 1 and r.passed == 0, r.passed, r.failed, msg, r.wall_s)


def clean(m: Mutation) -> None:
    shutil.rmtree(mutant_dir(m), ignore_errors=True)


def main(argv=None) -> int:
    ap = Parser(prog="python -m rtl_verif.mutations", description=__doc__.splitlines()[0])
    ap.add_argument("--sim", default="icarus", choices=runner.SIMULATORS)
    ap.add_argument("--block", action="append", help="only these blocks (repeatable)")
    ap.add_argument("--frames", type=int, default=12, help="TB_FRAMES for the mutants' random tests")
    a = ap.parse_args(argv)
    chosen = [m for m in MUTATIONS if not a.block or m.block in a.block]
    if not chosen:
        print(f"no mutation for {a.block}; blocks with one: {', '.join(m.block for m in MUTATIONS)}",
              file=sys.stderr)
        return 2
    killed = 0
    for m in chosen:
        o = run_mutant(m, a.sim, a.frames)
        killed += o.killed
        print(f"{'KILLED ' if o.killed else 'SURVIVED'} {m.block:<16} {m.ident:<8} {m.kind:<45} "
              f"{o.passed} passed {o.failed} failed {o.wall_s:5.1f} s")
        if o.message:
            print(f"         {o.message[:240]}")
    print(f"kill rate {killed}/{len(chosen)} = {100.0 * killed / len(chosen):.0f}% on {a.sim}")
    return 0 if killed == len(chosen) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
