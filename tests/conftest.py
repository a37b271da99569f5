"""Suite-wide settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from deepseekapi_core.accounting._limiter import reset_default_limiter
from deepseekapi_core.http._config import ENV_VARS

# On CI, hypothesis draws the same examples every run, so a submission never fails on a rare
# input met by chance; local runs keep drawing new ones (that is how fuzzing finds bugs).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _no_key_or_base_url_from_the_developer(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's keys or base URLs (either family of variables)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _fresh_default_limiter() -> Iterator[None]:
    """Each test starts with no slots held and no 429 pause left by another test."""
    reset_default_limiter()
    yield
    reset_default_limiter()
