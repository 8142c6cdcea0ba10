"""Screenshot of the merged code-coverage report for the README: docs/coverage.png.

    make cov                              # writes build/coverage/html/index.html
    python tools/coverage_screenshot.py   # headless Chromium -> docs/coverage.png

Chromium comes from Debian (``apt-get install -y chromium``); ``--width`` and
``--height`` set the window in CSS pixels (the top of the page: the summary
table with the targets, then the first block's annotated source).
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from argcheck.cli import Parser  # noqa: E402

PAGE = ROOT / "build" / "coverage" / "html" / "index.html"
OUT = ROOT / "docs" / "coverage.png"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def main(argv=None) -> int:
    ap = Parser(prog="tools/coverage_screenshot.py", description=__doc__.splitlines()[0])
    ap.add_argument("--page", type=Path, default=PAGE)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--width", type=int, default=1100)
    ap.add_argument("--height", type=int, default=760)
    a = ap.parse_args(argv)
    if not a.page.exists():
        print(f"{a.page} missing: run `make cov` first", file=sys.stderr)
        return 2
    browser = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if browser is None:
        print("no headless browser: run  sudo apt-get install -y chromium", file=sys.stderr)
        return 2
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:  # a throw-away profile: no state from earlier runs
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--window-size={a.width},{a.height}",
               f"--screenshot={a.out.resolve()}", a.page.resolve().as_uri()]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or not a.out.exists():
        print(f"{browser} failed ({out.returncode}): {out.stderr.strip()[-300:]}", file=sys.stderr)
        return 1
    print(f"{a.out} ({a.out.stat().st_size} bytes) from {a.page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
