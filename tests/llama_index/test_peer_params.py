"""DeepSeek/OpenAILike/OpenAI parameters: each accepted with effect, or refused by name."""

from __future__ import annotations

import asyncio
import copy
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from deepseekapi_core import InvalidRequestError, RetryPolicy
from deepseekapi_core.http._config import DEEPSEEK_DEFAULT_BASE_URL
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import API_KEY

HELLO = [ChatMessage(role="user", content="hi")]


def _capture(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"choices": [{"message": {"content": "ok"}}]})

    return httpx.MockTransport(handler)


def test_api_base_is_the_base_url() -> None:
    seen: list[httpx.Request] = []
    llm = DeepSeekAPI(api_key=API_KEY, api_base="https://gw.example/v1", transport=_capture(seen))
    llm.chat(HELLO)
    assert str(seen[0].url) == "https://gw.example/v1/chat/completions"
    with pytest.raises(ValueError, match="api_base"):
        DeepSeekAPI(base_url="https://a.example", api_base="https://b.example")


def test_a_deepseek_key_from_the_environment_goes_to_deepseek(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds")
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", "https://proxy.example/v1")
    assert DeepSeekAPI().client.base_url == DEEPSEEK_DEFAULT_BASE_URL
    monkeypatch.setenv("DEEPSEEK_API_BASE", "https://ds.example")
    assert DeepSeekAPI().client.base_url == "https://ds.example"


def test_metadata_defaults_come_from_the_registry() -> None:
    metadata = DeepSeekAPI(model="deepseek-chat").metadata
    assert metadata.is_chat_model is True and metadata.is_function_calling_model is True
    assert metadata.context_window > 100_000


def test_strict_marks_the_tools(make_llm: Callable[..., DeepSeekAPI], emulator: Emulator) -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    tool = FunctionTool.from_defaults(fn=add)
    make_llm(strict=True).chat_with_tools([tool], "What is 2 + 3?")
    make_llm().chat_with_tools([tool], "What is 2 + 3?", strict=True)
    make_llm().chat_with_tools([tool], "What is 2 + 3?")
    strict, per_call, plain = (r.json["tools"][0]["function"] for r in emulator.chat_requests)
    assert strict["strict"] is True and per_call["strict"] is True and "strict" not in plain


def test_logprobs_are_sent(make_llm: Callable[..., DeepSeekAPI], emulator: Emulator) -> None:
    make_llm(logprobs=True, top_logprobs=3).chat(HELLO)
    body = emulator.chat_requests[0].json
    assert body["logprobs"] is True and body["top_logprobs"] == 3


def test_per_call_http_options(make_llm: Callable[..., DeepSeekAPI], emulator: Emulator) -> None:
    llm = make_llm()
    llm.chat(HELLO, timeout=9, extra_headers={"X-Tag": "t"}, extra_query={"q": "1"})
    asyncio.run(llm.achat(HELLO, extra_headers={"X-Tag": "a"}))
    first, second = [r for r in emulator.requests if r.method == "POST"]
    assert first.headers["x-tag"] == "t" and "q=1" in first.path
    assert not {"timeout", "extra_headers", "extra_query"} & set(first.json)
    assert second.headers["x-tag"] == "a"


def test_a_misspelled_call_option_is_refused_before_sending(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'temperature'"):
        make_llm().chat(HELLO, temprature=0.1)
    assert emulator.request_count == 0


def test_a_misspelled_additional_kwarg_is_refused_at_construction() -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'top_p'"):
        DeepSeekAPI(additional_kwargs={"top_pp": 0.5})


def test_reuse_client_false_builds_a_pool_per_request(
    make_llm: Callable[..., DeepSeekAPI],
) -> None:
    llm = make_llm(reuse_client=False)
    llm.chat(HELLO)
    list(llm.stream_chat(HELLO))
    assert llm.clients._client is None  # nothing kept between requests
    reused = make_llm()
    reused.chat(HELLO)
    assert reused.clients._client is not None


def test_a_bad_timeout_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="timeout"):
        DeepSeekAPI(timeout=-1)


@pytest.mark.parametrize("option", ["openai_client", "async_openai_client", "audio_config"])
def test_sdk_and_audio_options_are_refused(option: str) -> None:
    with pytest.raises(ValueError, match=option):
        DeepSeekAPI(**{option: object()})


def test_base_llm_options_are_accepted() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm: Any = DeepSeekAPI(system_prompt="Be brief.", pydantic_program_mode="default")
    assert llm.system_prompt == "Be brief."


@pytest.mark.parametrize(
    "timeout", [7.0, (2.0, 30.0), httpx.Timeout(5.0, connect=1.0)], ids=["seconds", "pair", "httpx"]
)
def test_every_timeout_form_survives_serialisation(timeout: Any) -> None:
    llm = DeepSeekAPI(timeout=timeout)
    again = DeepSeekAPI.from_json(llm.to_json())
    assert again.client.timeout == llm.client.timeout


def test_the_model_is_the_first_positional_argument(make_llm: Callable[..., DeepSeekAPI]) -> None:
    assert DeepSeekAPI("deepseek-reasoner").model == "deepseek-reasoner"
    assert DeepSeekAPI(max_new_tokens=64).max_tokens == 64
    assert DeepSeekAPI(api_key="", additional_kwargs=None).api_key is None


def test_client_objects_are_used_but_never_shown_or_serialised() -> None:
    seen: list[httpx.Request] = []
    policy = RetryPolicy(max_retries=0)
    llm = DeepSeekAPI(api_key=API_KEY, transport=_capture(seen), retry_policy=policy)
    llm.chat(HELLO)
    assert len(seen) == 1 and llm.client.retry_policy is policy
    for name in ("transport", "retry_policy", "http_client", "async_http_client"):
        assert name not in repr(llm) and name not in llm.to_dict()
    twin = copy.deepcopy(llm)
    assert twin.transport is llm.transport and twin.client is not llm.client
    twin.chat(HELLO)
    assert len(seen) == 2


def test_a_changed_transport_reaches_the_clients() -> None:
    first: list[httpx.Request] = []
    second: list[httpx.Request] = []
    llm = DeepSeekAPI(api_key=API_KEY, transport=_capture(first))
    llm.chat(HELLO)
    llm.transport = _capture(second)
    llm.chat(HELLO)
    assert (len(first), len(second)) == (1, 1)


def test_a_refused_keywords_error_never_quotes_the_key() -> None:
    secret = "sk-never-in-an-error-0042"
    for keywords in ({"api_version": "2024-06-01"}, {"temprature": 0.1}, {"temperature": 9}):
        with pytest.raises(ValueError, match="DeepSeekAPI") as caught:
            DeepSeekAPI(api_key=secret, **keywords)
        assert secret not in str(caught.value) and secret not in repr(caught.value)
