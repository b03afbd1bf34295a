"""Machine instructions per opening of an incident, counted by ``valgrind --tool=callgrind``:
a CPU figure that hardly depends on the box's speed or load (this 2-core box's CPU time for
the same request varies by half from one run to the next), to compare two checkouts.

    python -m bench.instructions --schema S --request call     # an agent logs a call
    python -m bench.instructions --schema S --request report   # an employee reports a problem

Two runs under callgrind (each a few minutes: valgrind runs Python some 50 times slower), on
a schema kept by ``bench.incidents --keep``, the outbox on a throwaway ``redis-server`` as in
``bench.incident_page``: one opens ``--warm`` incidents, reads ``--count`` forms and posts
them; the other does the same but posts none. The difference over ``--count`` is one
opening's instructions in this process (PostgreSQL's and Redis's are their own). Hash
randomisation is off (``PYTHONHASHSEED=0``) and so is the pool's ping of an idle
connection (valgrind's slowness would decide when it comes); what remains of the noise
(random tokens, the clock) is small: compare counts of one session's runs, not of two boxes.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._postgres import ROOT


def run_inside(schema: str, request: str, warm: int, count: int, post: bool) -> None:
    """What valgrind runs: the warm-up, the forms read, and the posts when ``post``."""
    from app import postgres
    from bench import incident_page as page
    from bench._postgres import app_on_schema
    from bench.incidents import throwaway_redis

    # Under valgrind a request takes about a second: the pool's ping of a connection unused
    # for over half a second would come at moments that depend on the box, not the code.
    postgres.ping_idle_connections.__defaults__ = (3600.0,)
    app = app_on_schema(schema)
    gc.collect()
    gc.freeze()
    with throwaway_redis() as redis_url:
        app.config["REDIS_URL"] = redis_url
        prepare = {
            "call": page.posts(app, page.AGENT, "/incidents/new", page.call),
            "report": page.posts(app, page.CALLER, "/incidents/report", page.report),
        }[request]
        for n in range(warm):
            prepare(-1 - n)()
        sends = [prepare(n) for n in range(count)]
        if post:
            for send in sends:
                send()


def counted(schema: str, request: str, warm: int, count: int, post: bool) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.instructions",
            "--inside",
            "--schema",
            schema,
            "--request",
            request,
            "--warm",
            str(warm),
            "--count",
            str(count),
            *(["--post"] if post else []),
        ]
        environ = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or not found:
            raise SystemExit(f"valgrind failed:\n{done.stderr[-2000:]}")
        return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", required=True, help="a schema kept by bench.incidents")
    parser.add_argument("--request", choices=("call", "report"), default="call")
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--post", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.inside:
        run_inside(args.schema, args.request, args.warm, args.count, args.post)
        return
    posted = counted(args.schema, args.request, args.warm, args.count, post=True)
    read = counted(args.schema, args.request, args.warm, args.count, post=False)
    per = (posted - read) / args.count
    print(f"{args.request}: {per / 1e6:.2f} M instructions an opening ({args.count} openings)")


if __name__ == "__main__":
    main()
