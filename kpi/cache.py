"""The on-disk cache of sweep chunks, keyed by (code revision, parameters).

The code revision of a chunk is the SHA-256 of the source files it depends on
(:func:`code_hash` over the series' ``sources`` globs, relative to the
repository root: their paths and contents), not the git HEAD: an edit to an
unrelated file, or a commit that changes nothing the chunk runs, keeps its
cached result, and an uncommitted edit to a file it runs does not. The key
also holds the function, its parameters, its seed and the numpy version (the
random streams are numpy's).

Layout: ``<folder>/<key[:2]>/<key>.json``, one JSON record per chunk,
written atomically (a temporary file renamed into place), so concurrent
writers of the same key are harmless.
"""

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from kpi.errors import KpiError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "build" / "kpi_cache"


def source_files(globs) -> list[Path]:
    """The files under the repository root matching any of ``globs``
    (``**`` recursive), sorted; a glob that matches nothing is an error (a
    typo would otherwise key the cache on nothing)."""
    if not isinstance(globs, (list, tuple)) or not globs or not all(isinstance(g, str) for g in globs):
        raise KpiError("sources must be a non-empty list of glob strings")
    found: set[Path] = set()
    for g in globs:
        if g.startswith("/") or ".." in Path(g).parts:
            raise KpiError(f"source glob {g!r} must be relative to the repository root")
        hits = [p for p in ROOT.glob(g) if p.is_file() and "__pycache__" not in p.parts]
        if not hits:
            raise KpiError(f"source glob {g!r} matches no file under {ROOT}")
        found.update(hits)
    return sorted(found)


@functools.lru_cache(maxsize=256)
def _hash(globs: tuple) -> str:
    h = hashlib.sha256()
    for p in source_files(globs):
        h.update(p.relative_to(ROOT).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def code_hash(globs) -> str:
    """SHA-256 (hex) of the paths and contents of the files of ``globs``
    (remembered for the life of the process)."""
    return _hash(tuple(globs) if isinstance(globs, list) else globs)


def forget() -> None:
    """Drop the remembered hashes (files changed while this process ran)."""
    _hash.cache_clear()


def key(record: dict) -> str:
    """The cache key of a chunk description (a JSON-shaped dict)."""
    try:
        text = json.dumps({**record, "numpy": np.__version__}, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise KpiError(f"sweep parameters must be JSON data (str, int, float, bool, None, lists, dicts): {exc}") \
            from None
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """Chunk records on disk under ``folder`` (None: no cache)."""

    def __init__(self, folder=DEFAULT_DIR):
        self.folder = None if folder is None else Path(folder)

    def _path(self, k: str) -> Path:
        return self.folder / k[:2] / f"{k}.json"

    def get(self, k: str) -> dict | None:
        if self.folder is None:
            return None
        try:
            return json.loads(self._path(k).read_text())
        except (OSError, ValueError):
            return None  # absent or torn: compute again

    def put(self, k: str, value: dict) -> None:
        if self.folder is None:
            return
        path = self._path(k)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(value, f)
        os.replace(tmp, path)
