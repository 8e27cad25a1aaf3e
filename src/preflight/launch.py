"""The `preflight` command. A check run whose record still holds is replayed before click
and the engine are imported (preflight.replay); every other run goes to the CLI."""

from __future__ import annotations

import sys


def main() -> None:
    from preflight import replay

    args = sys.argv[1:]
    code = replay.replay(args)
    if code is not None:
        sys.exit(code)
    replay.argv = args  # this run may record itself for the next
    from preflight.cli import main as cli

    try:
        cli()
    finally:
        replay.stop()
        replay.argv = None
