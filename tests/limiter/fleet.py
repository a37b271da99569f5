"""A fleet of worker processes on one key: start them once, run phases, collect what happened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from .capped_server import CappedServer

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FleetResult:
    """One phase: replies, 429s the server sent, peak in flight, wall time, the ideal time."""

    workers: int
    requests_each: int
    ok: int
    errors: list[str]
    refused: int
    admitted: int
    peak: int
    seconds: float
    ideal_seconds: float

    @property
    def ratio(self) -> float:
        """Wall time over the ideal (total work / cap)."""
        return self.seconds / self.ideal_seconds


def worker_command(action: str, *args: str) -> list[str]:
    """The command line of one worker process."""
    return [sys.executable, "-m", "tests.limiter.worker", action, *args]


def worker_env() -> dict[str, str]:
    """The workers import this checkout, whatever the installed copy is."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def start_holder(
    base_url: str, redis_url: str, *, slots: int, cap: int, lease: float
) -> subprocess.Popen[str]:
    """A worker process that takes ``slots`` Redis slots and keeps them until it is killed.

    Returns once the worker says it holds them; the caller kills it.
    """
    worker = subprocess.Popen(
        worker_command(
            "hold",
            "--base-url",
            base_url,
            "--redis",
            redis_url,
            "--slots",
            str(slots),
            "--cap",
            str(cap),
            "--lease",
            str(lease),
        ),
        stdout=subprocess.PIPE,
        env=worker_env(),
        cwd=ROOT,
        text=True,
    )
    assert worker.stdout is not None
    said = worker.stdout.readline().strip()
    if said != "held":
        worker.kill()
        worker.wait()
        raise AssertionError(f"the holding worker said {said!r}, not 'held'")
    return worker


class Fleet:
    """``workers`` processes, each with an async client per mode, against ``server``.

    Use as a context manager; :meth:`run` starts a phase in every worker at once.
    """

    def __init__(
        self,
        server: CappedServer,
        *,
        workers: int,
        requests_each: int,
        cap: int,
        redis_url: str = "",
        lease: float = 2.0,
    ) -> None:
        self.server = server
        self.workers = workers
        self.requests_each = requests_each
        self.cap = cap
        self._args = ["--base-url", server.base_url, "--requests", str(requests_each)]
        self._args += ["--cap", str(cap), "--lease", str(lease)]
        if redis_url:
            self._args += ["--redis", redis_url]
        self._processes: list[subprocess.Popen[str]] = []

    def __enter__(self) -> Fleet:
        self._processes = [
            subprocess.Popen(
                worker_command("run", *self._args),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=worker_env(),
                cwd=ROOT,
                text=True,
            )
            for _ in range(self.workers)
        ]
        try:
            for process in self._processes:
                self._expect(process, "ready")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for process in self._processes:
            if process.stdin is not None and not process.stdin.closed:
                process.stdin.close()
        for process in self._processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    @staticmethod
    def _expect(process: subprocess.Popen[str], what: str) -> str:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line or (what and line.strip() != what):
            process.kill()
            _, err = process.communicate(timeout=30)
            raise RuntimeError(f"a worker failed: {line!r} {err[-2000:]}")
        return line

    def run(self, *, limited: bool, retries: int = 0) -> FleetResult:
        """Every worker sends its requests at once, with the Redis limiter or without any."""
        self.server.reset_counts()
        command = f"{'redis' if limited else 'off'} {retries}\n"
        for process in self._processes:
            assert process.stdin is not None
            process.stdin.write(command)
            process.stdin.flush()
        reports = [json.loads(self._expect(process, "")) for process in self._processes]
        total = self.workers * self.requests_each
        return FleetResult(
            workers=self.workers,
            requests_each=self.requests_each,
            ok=sum(int(report["ok"]) for report in reports),
            errors=[error for report in reports for error in report["errors"]],
            refused=self.server.refused,
            admitted=self.server.admitted,
            peak=self.server.peak,
            # The slowest worker's own clock, from the common start to its last reply.
            seconds=max(float(report["seconds"]) for report in reports),
            ideal_seconds=total * self.server.latency / self.cap,
        )
