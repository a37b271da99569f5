"""Fixtures of the limiter tests: a real redis-server on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

REDIS_MISSING = (
    "redis-server is not installed, so the Redis limiter cannot be tested "
    "(Debian: apt-get install -y redis-server; .ci/run installs it)"
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RedisServer:
    """A redis-server subprocess on 127.0.0.1 that a test may stop and start again."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            # On CI a missing server is a failure, never a quiet skip.
            if os.environ.get("CI"):
                pytest.fail(REDIS_MISSING)
            pytest.skip(REDIS_MISSING)
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                # DEBUG SLEEP freezes the server in the tests of a slow Redis.
                "--enable-debug-command",
                "local",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited at start with status {self.process.returncode}")
            time.sleep(0.02)
        pytest.fail("redis-server did not listen within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh, empty redis-server of this test's own."""
    server = RedisServer(port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
