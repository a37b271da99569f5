"""Reproduce the figures of docs/reliability.md.

    python tests/reliability/run_report.py            # full size: 1,000 requests per target
    python tests/reliability/run_report.py --ci       # the CI size (200), as plain pytest runs

Runs ``pytest tests/reliability`` with ``RELIABILITY_REPORT`` set (and ``RELIABILITY_FULL=1``
unless ``--ci``), then prints the figures as Markdown. Extra arguments go to pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    ci = "--ci" in argv
    extra = [arg for arg in argv if arg != "--ci"]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "figures.json"
        env = dict(os.environ, RELIABILITY_REPORT=str(report))
        if not ci:
            env["RELIABILITY_FULL"] = "1"
        started = time.monotonic()
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "tests/reliability", "-q", *extra], cwd=ROOT, env=env
        )
        seconds = time.monotonic() - started
        figures = json.loads(report.read_text()) if report.exists() else {}
    print(render(figures, seconds))
    return code


def render(figures: dict, seconds: float) -> str:
    cases = figures.get("fault_cases", {})
    lines = [
        f"Fault matrix: {cases.get('passed', 0)} cases passed, {cases.get('failed', 0)} failed.",
        "",
        "| target | requests | 429/503 first | completed once, intact | time (s) "
        "| worst loop stall (ms) | longest loop step (ms) | longest GC pause (ms) "
        "| longest step without GC (ms) | tightest retry margin (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for target, row in figures.get("load", {}).items():
        lines.append(
            f"| {target} | {row['requests']} | {row['faulted_first']} "
            f"| {row['completed_once_and_intact']} | {row['seconds']} "
            f"| {row['worst_loop_stall_ms']} | {row['longest_loop_step_ms']} "
            f"| {row['longest_gc_pause_ms']} | {row['longest_loop_step_without_gc_ms']} "
            f"| {row['tightest_retry_margin_ms']} |"
        )
    fuzz = figures.get("fuzz", {})
    lines += ["", f"Inputs fuzzed: {sum(fuzz.values())} examples.", "", "| property | examples |"]
    lines.append("|---|---|")
    lines += [f"| {name} | {n} |" for name, n in sorted(fuzz.items())]
    lines += ["", f"Whole run: {seconds:.1f} s."]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
