"""Reliability tests: a clean environment, and the figures each run reports.

Set ``RELIABILITY_REPORT=path.json`` to have the session write its figures there (the
``run_report.py`` script does, and prints them); ``RELIABILITY_FULL=1`` runs the load test at
full size.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deepseekapi_core.http import API_KEY_ENV_VARS, BASE_URL_ENV_VAR

FIGURES: dict[str, Any] = {"fault_cases": {"passed": 0, "failed": 0}, "load": {}, "fuzz": {}}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's real key or base URL."""
    for name in (*API_KEY_ENV_VARS, BASE_URL_ENV_VAR):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and "test_fault_matrix" in item.nodeid.split("::")[0]:
        FIGURES["fault_cases"]["passed" if report.passed else "failed"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("RELIABILITY_REPORT")
    if path:
        Path(path).write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
