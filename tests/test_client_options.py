"""Every client option is defined once, in ``ClientOptions``, and reaches the holder's options
from both adapters under its own name, with the same default; a new option needs no edit of
either adapter."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from deepseekapi_core import RetryPolicy
from deepseekapi_core._adapters import _keywords
from deepseekapi_core.http import ClientOptions, InvalidRequestError
from deepseekapi_core.wire import Era
from langchain_deepseekapi import ChatDeepSeekAPI
from llama_index_deepseekapi import DeepSeekAPI
from llama_index_deepseekapi._llm import PEER_DEFAULTS as LLAMA_INDEX_PEER_DEFAULTS

BASE = {"api_key": "sk-options", "base_url": "https://options.example/v1"}
ADAPTERS: dict[str, Callable[..., Any]] = {"langchain": ChatDeepSeekAPI, "llama_index": DeepSeekAPI}


def _mock() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(500))


# A value other than the default for each option (built per test: clients hold resources).
SAMPLES: dict[str, Callable[[], Any]] = {
    "api_key": lambda: "sk-other",
    "base_url": lambda: "https://other.example/v1",
    "beta_base_url": lambda: "https://other.example/beta",
    "timeout": lambda: 7.5,
    "max_retries": lambda: 5,
    "retry_policy": lambda: RetryPolicy(max_retries=1),
    "era": lambda: Era.V3_2,
    "reasoning_replay": lambda: "never",
    "default_headers": lambda: {"X-Tag": "a"},
    "default_query": lambda: {"tag": "b"},
    "transport": _mock,
    "async_transport": _mock,
    "http_client": httpx.Client,
    "async_http_client": httpx.AsyncClient,
    "limiter": lambda: "off",
    "max_concurrency": lambda: 3,
    "deadline": lambda: 9.0,
    "recover_tool_calls": lambda: False,
    "reuse_client": lambda: False,
    "stream_chunk_timeout": lambda: 4.0,
    "max_response_bytes": lambda: 32 * 1024 * 1024,
    "max_sse_line_bytes": lambda: 8 * 1024 * 1024,
    "proxy": lambda: "http://proxy.example:3128",
}
OPTION_NAMES = [option.name for option in dataclasses.fields(ClientOptions)]


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def test_every_option_has_a_sample() -> None:
    # A new ClientOptions field needs a sample here, and then nothing in either adapter.
    assert set(SAMPLES) == set(OPTION_NAMES)


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
@pytest.mark.parametrize("option", OPTION_NAMES)
def test_each_option_reaches_the_holder_under_its_own_name(adapter: str, option: str) -> None:
    value = SAMPLES[option]()
    assert value != getattr(ClientOptions(), option)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not moved to model_kwargs, nor warned about
        llm = ADAPTERS[adapter](**{**BASE, option: value})
    expected = getattr(ClientOptions(**{**BASE, option: value}), option)
    assert _plain(getattr(llm.clients.options, option)) == _plain(expected)
    # and by the adapter's own field where it declares one (LangChain's http_async_client);
    # an option it declares no field for is kept, by its own name, in extra_client_options
    field = {v: k for k, v in type(llm)._client_fields().items()}.get(option)
    if field is None or field not in type(llm).model_fields:
        assert _plain(llm.extra_client_options[option]) == _plain(value)
    else:
        assert _plain(getattr(llm, field)) == _plain(value) or option == "era"


# The defaults an adapter takes from its framework's own LLMs, declared once in the adapter.
PEER_DEFAULTS: dict[str, dict[str, Any]] = {"llama_index": LLAMA_INDEX_PEER_DEFAULTS}


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_each_default_is_client_options_default(adapter: str) -> None:
    llm = ADAPTERS[adapter](**BASE)
    defaults = dataclasses.replace(ClientOptions(**BASE), **PEER_DEFAULTS.get(adapter, {}))
    for option in OPTION_NAMES:
        given = _plain(getattr(llm.clients.options, option))
        assert given == _plain(getattr(defaults, option)), option


# The one declared difference: ChatDeepSeekAPI pairs key and base URL from the environment when
# it is built (LangChain serialises the key as a reference to the variable it came from), where
# ClientOptions leaves both None for the client to pair the same way at its first request.
RESOLVED_WHEN_BUILT = {"langchain": {"base_url"}, "llama_index": set()}


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_key_and_base_url_defaults_resolve_as_the_core_does(adapter: str) -> None:
    from deepseekapi_core.http._config import resolve_endpoint

    options = ADAPTERS[adapter]().clients.options
    assert options.api_key is None  # no key in the environment: refused at the first request
    for option in ("base_url",):
        expected = ClientOptions().base_url
        if option in RESOLVED_WHEN_BUILT[adapter]:
            expected = resolve_endpoint(None, None).base_url
        assert getattr(options, option) == expected


@pytest.fixture
def wider_options(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[ClientOptions]]:
    """ClientOptions with one more field, as a core release adding an option would have."""

    @dataclasses.dataclass(frozen=True)
    class WiderOptions(ClientOptions):
        tenant: str | None = None

    monkeypatch.setattr(_keywords, "ClientOptions", WiderOptions)
    yield WiderOptions


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_a_new_option_passes_through_both_adapters_unedited(
    adapter: str, wider_options: type[ClientOptions]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm = ADAPTERS[adapter](**BASE, tenant="acme")
    assert isinstance(llm.clients.options, wider_options)
    assert llm.clients.options.tenant == "acme"  # type: ignore[attr-defined]
    assert llm.extra_client_options == {"tenant": "acme"}
    assert "acme" not in repr(llm)
    # Changing it later rebuilds the clients from the new value, as a field's change does.
    first = llm.clients.client
    llm.extra_client_options = {"tenant": "other"}
    assert llm.clients.options.tenant == "other"  # type: ignore[attr-defined]
    assert llm.clients.client is not first


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_extra_client_options_refuse_a_name_that_is_no_option(adapter: str) -> None:
    with pytest.raises((InvalidRequestError, ValueError), match="tenant"):
        ADAPTERS[adapter](**BASE, extra_client_options={"tenant": "acme"})


def test_langchain_takes_the_option_name_for_its_own_spelling() -> None:
    client = httpx.AsyncClient()
    by_option = ChatDeepSeekAPI(**BASE, async_http_client=client)
    assert by_option.http_async_client is client
    assert by_option.clients.options.async_http_client is client
    with pytest.raises((InvalidRequestError, ValueError), match="same setting"):
        ChatDeepSeekAPI(**BASE, async_http_client=client, http_async_client=httpx.AsyncClient())
