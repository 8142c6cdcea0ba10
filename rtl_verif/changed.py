"""Which blocks a change touches: ``python -m rtl_verif.changed <git revision>``.

A block depends on (all paths relative to the repository):

* its RTL sources (the registry's ``Block.sources``, absolute for the SoC);
* its testbench module and every module of this repository it imports,
  transitively (an ``ast`` walk of the import statements resolved with
  ``importlib.util.find_spec``; modules outside the repository are ignored) —
  this brings in the golden models, the shared testbench helpers and the
  register models;
* its register description ``rtl_verif/regs/<block>.rdl`` when there is one;
* the package of its ``prepare`` hook (the SoC: firmware sources and RTL);
* the registry itself (``rtl_verif/blocks.py`` and everything it imports,
  since parameter sets are computed from golden models) and the runner:
  a change there touches every block.

A file changed since the revision (``git diff --name-only <rev>``, plus
untracked files) selects every block that depends on it.
"""

import ast
import importlib.util
import subprocess
import sys
from functools import cache
from pathlib import Path

from rtl_verif.blocks import BLOCKS, source_paths

ROOT = Path(__file__).resolve().parent.parent
REGS = ROOT / "rtl_verif" / "regs"
RUNNER_FILES = ("rtl_verif/runner.py", "rtl_verif/blocks.py")


class ChangedError(ValueError):
    """The revision is unknown to git or git is unavailable."""


def _in_repo(origin: str | None) -> Path | None:
    if not origin or origin in ("built-in", "frozen"):
        return None
    p = Path(origin).resolve()
    if ROOT not in p.parents or ".venv" in p.parts:
        return None
    return p


def _resolve(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    return None if spec is None else _in_repo(spec.origin)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set:
    """Repository files imported by one module (parents' __init__ included)."""
    tree = ast.parse(path.read_text(), str(path))
    here = _module_name(path).split(".")
    is_pkg = path.name == "__init__.py"
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_pkg else here[:-1]
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import submodule`
    out = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
            p = _resolve(".".join(parts[:i]))
            if p is not None:
                out.add(p)
    return out


@cache
def import_closure(module: str) -> frozenset:
    """Every repository file the module imports, transitively (itself included)."""
    start = _resolve(module)
    if start is None:
        return frozenset()
    seen, todo = {start}, [start]
    while todo:
        for p in _imports(todo.pop()):
            if p not in seen and p.suffix == ".py":
                seen.add(p)
                todo.append(p)
    return frozenset(seen)


def dependencies(block_name: str) -> set:
    """Repository-relative paths the block's result depends on."""
    block = BLOCKS[block_name]
    files = {p.resolve() for p in source_paths(block)}
    files |= import_closure(block.test_module)
    rdl = REGS / f"{block_name}.rdl"
    if rdl.exists():
        files.add(rdl)
    if block.prepare is not None:
        pkg = Path(sys.modules[block.prepare.__module__].__file__).resolve().parent
        files |= {p for p in pkg.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    for f in RUNNER_FILES:
        files |= import_closure(_module_name(ROOT / f))
    return {str(p.relative_to(ROOT)) for p in files if ROOT in p.parents}


def changed_files(revision: str) -> set:
    if not revision or revision.startswith("-"):
        raise ChangedError(f"CHANGED must be a git revision, got {revision[:40]!r}")
    try:
        diff = subprocess.run(["git", "diff", "--name-only", revision, "--"], cwd=ROOT,
                              capture_output=True, text=True)
        new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True)
    except OSError as exc:
        raise ChangedError(f"git unavailable: {exc}") from None
    if diff.returncode:
        raise ChangedError(f"git does not know revision {revision[:40]!r}: {diff.stderr.strip()[:200]}")
    return set(diff.stdout.split()) | set(new.stdout.split())


def changed_blocks(revision: str, files: set | None = None) -> list:
    """Blocks (registry order) touched by the changes since ``revision``."""
    files = changed_files(revision) if files is None else set(files)
    return [name for name in BLOCKS if files & dependencies(name)]


def main(argv=None) -> int:
    from argcheck.cli import guard
    return guard(_main, argv, errors=(ChangedError,), prog="python -m rtl_verif.changed")


def _main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise ChangedError("usage: python -m rtl_verif.changed <git revision>")
    print(" ".join(changed_blocks(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
