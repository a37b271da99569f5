"""Fixtures of the core tests: a clean environment and the sync/async mode."""

from __future__ import annotations

import pytest

from deepseekapi_core.http._config import DEEPSEEK_BASE_URL_ENV_VARS, ENV_VARS


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's real key or base URL."""
    for name in (*ENV_VARS, *DEEPSEEK_BASE_URL_ENV_VARS):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run the test through the sync and through the async client."""
    return str(request.param)
