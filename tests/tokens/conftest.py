"""Fixtures of the token-count, pricing and pre-flight tests."""

from __future__ import annotations

import pytest

from deepseekapi_core.accounting._pricing import PRICES_ENV_VAR
from deepseekapi_core.accounting._tokenizer import (
    TOKENIZER_FILE_ENV_VAR,
    DeepSeekTokenizer,
    get_tokenizer,
)
from deepseekapi_core.http import API_KEY_ENV_VARS, BASE_URL_ENV_VAR


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's key, base URL, prices or tokenizer override."""
    for name in (*API_KEY_ENV_VARS, BASE_URL_ENV_VAR, PRICES_ENV_VAR, TOKENIZER_FILE_ENV_VAR):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def tokenizer() -> DeepSeekTokenizer:
    """The DeepSeek tokenizer (the ``[tokenizer]`` extra is in ``[all]``, which CI installs)."""
    return get_tokenizer()
