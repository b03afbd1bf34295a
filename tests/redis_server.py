"""A Redis server of a test's own, on a free port, that the test can stop and start again
(``redis-server`` from the system; the test is skipped without it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own on a free port, that the test can stop and start:
    ``start()``, ``stop()``, ``url``."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen | None = None

        def start(self) -> None:
            self.process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(tmp_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
            try:
                for _ in range(100):
                    try:
                        client.ping()
                        return
                    except redis.ConnectionError:
                        time.sleep(0.05)
                raise RuntimeError("redis-server did not start")
            finally:
                client.connection_pool.disconnect()

        def stop(self) -> None:
            if self.process is not None:
                self.process.kill()
                self.process.wait()
                self.process = None

    server = Server()
    server.start()
    yield server
    server.stop()
