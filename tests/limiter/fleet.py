"""Run a fleet of worker processes against one key and collect what happened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .capped_server import CappedServer

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FleetResult:
    """One run: replies, 429s the server sent, peak in flight, wall time, the ideal time."""

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


def run_fleet(
    server: CappedServer,
    *,
    workers: int,
    requests_each: int,
    redis_url: str = "",
    cap: int,
    retries: int = 0,
    lease: float = 2.0,
) -> FleetResult:
    """Start ``workers`` processes, wait until each is ready, start them together, collect."""
    args = ["--base-url", server.base_url, "--requests", str(requests_each), "--cap", str(cap)]
    args += ["--retries", str(retries), "--lease", str(lease)]
    if redis_url:
        args += ["--redis", redis_url]
    processes = [
        subprocess.Popen(
            worker_command("run", *args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_env(),
            cwd=ROOT,
            text=True,
        )
        for _ in range(workers)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            if line.strip() != "ready":
                _, err = process.communicate(timeout=30)
                raise RuntimeError(f"a worker failed to start: {line!r} {err[-2000:]}")
        server.reset_counts()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            if process.returncode != 0:
                raise RuntimeError(f"a worker failed: {err[-2000:]}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        # The slowest worker's own clock: from its "go" to its last reply, without the time
        # the interpreters take to exit.
        seconds = max(float(report["seconds"]) for report in reports)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    total = workers * requests_each
    return FleetResult(
        workers=workers,
        requests_each=requests_each,
        ok=sum(int(report["ok"]) for report in reports),
        errors=[error for report in reports for error in report["errors"]],
        refused=server.refused,
        admitted=server.admitted,
        peak=server.peak,
        seconds=seconds,
        ideal_seconds=total * server.latency / cap,
    )
