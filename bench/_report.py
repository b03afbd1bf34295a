"""Writing a benchmark's results as a section of docs/benchmarks.md: the command that made
them, the machine, and how loaded it was before and after (read it before trusting times)."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime


class Report:
    """Started when the benchmark starts; :meth:`append` writes the section when it ends."""

    def __init__(self, module: str, title: str, argv: list[str] | None) -> None:
        self.module, self.title = module, title
        self.argv = list(sys.argv[1:] if argv is None else argv)
        self.started = datetime.now(UTC)
        self.uptime_before = _uptime()

    def append(self, path: str, body: list[str]) -> None:
        seconds = (datetime.now(UTC) - self.started).total_seconds()
        took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
        command = shlex.join(["python", "-m", self.module, *self.argv])
        source = self.module.replace(".", "/") + ".py"
        head = [
            f"## {self.title} (`{source}`, {self.started:%Y-%m-%d %H:%M} UTC)",
            "",
            f"Command (repository root, virtualenv active): `{command}`",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}. `uptime` before: `{self.uptime_before}`; after: "
            f"`{_uptime()}`. CPU ms are the benchmark's own time. Run took {took}.",
            "",
        ]
        with open(path, "a") as out:
            out.write("\n".join(head + body) + "\n")
        print(f"appended to {path}", file=sys.stderr)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
