"""Fixtures of the LangChain adapter tests: a clean environment, the strict emulator, a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deepseekapi_core.http import API_KEY_ENV_VARS, BASE_URL_ENV_VAR
from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import ChatDeepSeekAPI

KEY = "sk-langchain-test-2b7e151628aed2a6"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's real key or base URL."""
    for name in (*API_KEY_ENV_VARS, BASE_URL_ENV_VAR):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator() -> Emulator:
    """A fresh strict emulator (newest era) that accepts only ``KEY``."""
    return Emulator(api_key=KEY)


ModelFactory = Callable[..., ChatDeepSeekAPI]


@pytest.fixture
def make_llm(emulator: Emulator) -> ModelFactory:
    """Build a ``ChatDeepSeekAPI`` served by ``emulator`` (keyword arguments override)."""

    def make(**options: Any) -> ChatDeepSeekAPI:
        params: dict[str, Any] = {"api_key": KEY, "transport": emulator.transport()}
        params.update(options)
        return ChatDeepSeekAPI(**params)

    return make
