from argcheck.cli import guard
from protocol.cli import main
from protocol.errors import FrameError

raise SystemExit(guard(main, prog="python -m protocol", errors=(FrameError,)))
