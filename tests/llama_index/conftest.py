"""Fixtures of the LlamaIndex adapter tests: offline by construction.

* Every test runs with sockets limited to the loopback interface: a connection attempt anywhere
  else fails the test (llama-index can try to fetch tiktoken or NLTK files at runtime).
* llama-index's global tokenizer is a plain whitespace splitter, so nothing needs tiktoken's
  encoding files; its NLTK data comes from the copy bundled with llama-index-core.
* No test sees the developer's real key or base URL.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core import Settings

from deepseekapi_core.http import API_KEY_ENV_VARS, BASE_URL_ENV_VAR
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

API_KEY = "sk-test-llama-index-0123456789"

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _whitespace_tokenizer(text: str) -> list[str]:
    return text.split()


class NetworkAccessError(AssertionError):
    """A test tried to reach the network."""


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse every non-loopback connection; clean environment; offline tokenizer."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in _LOOPBACK and not host.startswith("/"):
            raise NetworkAccessError(f"test tried to connect to {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK and host is not None:
            raise NetworkAccessError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in (*API_KEY_ENV_VARS, BASE_URL_ENV_VAR):
        monkeypatch.delenv(name, raising=False)
    previous_tokenizer = Settings._tokenizer
    previous_llm = Settings._llm
    previous_embed = Settings._embed_model
    Settings.tokenizer = _whitespace_tokenizer
    yield
    Settings._tokenizer = previous_tokenizer
    Settings._llm = previous_llm
    Settings._embed_model = previous_embed


@pytest.fixture
def emulator() -> Emulator:
    """A fresh, strict emulator of the newest era."""
    return Emulator()


@pytest.fixture
def make_llm(emulator: Emulator) -> Callable[..., DeepSeekAPI]:
    """Build a :class:`DeepSeekAPI` served by ``emulator`` (sync and async)."""

    def make(**kwargs: Any) -> DeepSeekAPI:
        kwargs.setdefault("api_key", API_KEY)
        return DeepSeekAPI(transport=emulator.transport(), **kwargs)

    return make
