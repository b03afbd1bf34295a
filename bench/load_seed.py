"""Seed a load run's schema in one process: ``flask db upgrade``, then ``flask deskgraph demo
load``, the very commands, through one start of the application instead of two (a start
imports and builds the whole desk: about 3 s of CPU). The settings come from the environment,
as for ``flask --app wsgi``; ``bench.load_two_nodes`` runs this before starting its nodes.

    python -m bench.load_seed
"""

from __future__ import annotations

import sys

COMMANDS = (["db", "upgrade"], ["deskgraph", "demo", "load"])


def main() -> None:
    from wsgi import app

    runner = app.test_cli_runner()
    for command in COMMANDS:
        result = runner.invoke(args=command)
        sys.stdout.write(result.output)
        if result.exit_code != 0:
            raise SystemExit(f"flask {' '.join(command)} failed: {result.exception!r}")


if __name__ == "__main__":
    main()
