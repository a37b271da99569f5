"""Construction, configuration, metadata, serialisation and secrecy of ``DeepSeekAPI``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.llms.function_calling import FunctionCallingLLM

from deepseekapi_core import MissingAPIKeyError, RateLimitError, RetryPolicy
from deepseekapi_core.http import DEFAULT_BASE_URL
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import API_KEY

SECRET = "sk-very-secret-key-value-42"


def _capture(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "id": "x",
                "model": "deepseek-chat",
                "choices": [{"message": {"role": "assistant", "content": "ok"}}],
            },
        )

    return httpx.MockTransport(handler)


def test_is_a_function_calling_llm_with_defaults() -> None:
    llm = DeepSeekAPI()
    assert isinstance(llm, FunctionCallingLLM)
    assert llm.model == "deepseek-chat"
    assert llm.max_retries == 3  # llama-index's own LLMs' default (test_peer_defaults.py)
    assert llm.reasoning_replay == "auto"
    assert DeepSeekAPI.class_name() == "DeepSeekAPI_llm"


@pytest.mark.parametrize(
    ("model", "era", "context", "output", "tools"),
    [
        ("deepseek-chat", "v4", 1_048_576, 384 * 1024, True),
        ("deepseek-reasoner", "v4", 1_048_576, 384 * 1024, True),
        ("deepseek-chat", "r1", 64 * 1024, 8 * 1024, True),
        # The R1-era reasoner had no function calling.
        ("deepseek-reasoner", "r1", 64 * 1024, 8 * 1024, False),
        # V3.1: tools on the reasoner silently ran the chat model: not a function-calling model.
        ("deepseek-reasoner", "v3.1", 128 * 1024, 64 * 1024, False),
        ("deepseek-reasoner", "v3.2", 128 * 1024, 64 * 1024, True),
        ("some-future-model", "v4", 64 * 1024, 8 * 1024, True),
    ],
)
def test_metadata_comes_from_the_registry(
    model: str, era: str, context: int, output: int, tools: bool
) -> None:
    metadata = DeepSeekAPI(model=model, era=era).metadata  # type: ignore[arg-type]
    assert metadata.context_window == context
    assert metadata.num_output == output
    assert metadata.is_chat_model is True
    assert metadata.is_function_calling_model is tools
    assert metadata.model_name == model


def test_num_output_follows_max_tokens() -> None:
    assert DeepSeekAPI(max_tokens=512).metadata.num_output == 512


def test_api_key_never_in_repr_str_or_serialisation() -> None:
    llm = DeepSeekAPI(api_key=SECRET, default_headers={"X-Secret": SECRET})
    assert llm.api_key is not None and llm.api_key.get_secret_value() == SECRET
    texts = [repr(llm), str(llm), llm.to_json(), json.dumps(llm.to_dict()), str(llm.to_payload())]
    texts.append(llm.model_dump_json())
    for text in texts:
        assert SECRET not in text
    assert "api_key" not in llm.to_dict()
    # The core client does not show it either.
    assert SECRET not in repr(llm.client)


def test_round_trips_through_to_dict_without_the_key() -> None:
    llm = DeepSeekAPI(model="deepseek-reasoner", temperature=0.3, max_tokens=99, api_key=SECRET)
    data = llm.to_dict()
    assert data["class_name"] == "DeepSeekAPI_llm"
    again = DeepSeekAPI.from_dict(data)
    assert (again.model, again.temperature, again.max_tokens) == ("deepseek-reasoner", 0.3, 99)
    assert again.api_key is None


def test_api_key_from_environment_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-second")
    llm = DeepSeekAPI(transport=_capture(seen))
    llm.chat([ChatMessage(role="user", content="hi")])
    assert seen[-1].headers["authorization"] == "Bearer sk-second"
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "sk-first")
    llm = DeepSeekAPI(transport=_capture(seen))
    llm.chat([ChatMessage(role="user", content="hi")])
    assert seen[-1].headers["authorization"] == "Bearer sk-first"


def test_missing_key_is_a_clear_error_at_the_first_request() -> None:
    llm = DeepSeekAPI(transport=_capture([]))
    with pytest.raises(MissingAPIKeyError, match="DEEPSEEKAPI_API_KEY"):
        llm.chat([ChatMessage(role="user", content="hi")])


def test_base_url_from_argument_environment_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    DeepSeekAPI(api_key=API_KEY, transport=_capture(seen)).complete("x")
    assert str(seen[-1].url) == f"{DEFAULT_BASE_URL}/chat/completions"
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", "https://env.example/v9/")
    DeepSeekAPI(api_key=API_KEY, transport=_capture(seen)).complete("x")
    assert str(seen[-1].url) == "https://env.example/v9/chat/completions"
    DeepSeekAPI(
        api_key=API_KEY, base_url="https://arg.example/v1", transport=_capture(seen)
    ).complete("x")
    assert str(seen[-1].url) == "https://arg.example/v1/chat/completions"


def test_settings_reach_the_wire() -> None:
    seen: list[httpx.Request] = []
    llm = DeepSeekAPI(
        api_key=API_KEY,
        temperature=0.25,
        max_tokens=77,
        additional_kwargs={"top_p": 0.5, "stop": ["END"], "user_id": "u-1"},
        default_headers={"X-Trace": "t1"},
        transport=_capture(seen),
    )
    llm.chat(
        [ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content="hi")]
    )
    body = json.loads(seen[-1].content)
    assert body["model"] == "deepseek-chat"
    assert (body["temperature"], body["max_tokens"], body["top_p"]) == (0.25, 77, 0.5)
    assert body["stop"] == ["END"] and body["user_id"] == "u-1"
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert seen[-1].headers["x-trace"] == "t1"
    # Per-call keyword arguments win over the instance's.
    llm.chat([ChatMessage(role="user", content="hi")], temperature=1.5)
    assert json.loads(seen[-1].content)["temperature"] == 1.5


def test_thinking_switch_and_effort_reach_the_wire() -> None:
    seen: list[httpx.Request] = []
    llm = DeepSeekAPI(
        model="deepseek-v4-flash",
        api_key=API_KEY,
        thinking=True,
        reasoning_effort="max",
        transport=_capture(seen),
    )
    llm.complete("x")
    body = json.loads(seen[-1].content)
    assert body["thinking"] == {"type": "enabled"} and body["reasoning_effort"] == "max"
    llm.thinking = False
    llm.reasoning_effort = None
    llm.complete("x")
    assert json.loads(seen[-1].content)["thinking"] == {"type": "disabled"}


def test_invalid_settings_fail_before_sending() -> None:
    with pytest.raises(ValueError):
        DeepSeekAPI(temperature=3.0)
    with pytest.raises(ValueError):
        DeepSeekAPI(max_retries=-1)


def test_clients_are_built_once_and_rebuilt_after_connection_changes() -> None:
    emulator = Emulator()
    llm = DeepSeekAPI(api_key=API_KEY, transport=emulator.transport())
    first = llm.client
    assert llm.client is first
    llm.temperature = 0.1  # a per-request setting: same client
    assert llm.client is first
    llm.base_url = "https://other.example/v1"
    assert llm.client is not first
    assert llm.client.base_url == "https://other.example/v1"


async def test_async_client_is_reused_within_a_loop() -> None:
    llm = DeepSeekAPI(api_key=API_KEY, transport=Emulator().transport())
    assert llm.async_client is llm.async_client


def test_async_client_is_rebuilt_for_a_new_event_loop() -> None:
    import asyncio

    llm = DeepSeekAPI(api_key=API_KEY, transport=Emulator().transport())

    async def grab() -> object:
        await llm.achat([ChatMessage(role="user", content="hi")])
        return llm.async_client

    first = asyncio.run(grab())
    second = asyncio.run(grab())
    assert first is not second


def test_injected_http_clients_are_used() -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(transport=_capture(seen))
    llm = DeepSeekAPI(api_key=API_KEY, http_client=http)
    llm.complete("x")
    assert len(seen) == 1
    llm.close()
    assert not http.is_closed  # injected clients belong to the caller


async def test_injected_async_http_client_is_used() -> None:
    seen: list[httpx.Request] = []
    http = httpx.AsyncClient(transport=_capture(seen))
    llm = DeepSeekAPI(api_key=API_KEY, async_http_client=http)
    await llm.acomplete("x")
    assert len(seen) == 1
    await llm.aclose()
    assert not http.is_closed
    await http.aclose()


def test_importing_the_adapter_is_light() -> None:
    # Of the core, only the package (whose names load lazily) and the light mixin module.
    code = (
        "import sys, llama_index.core.llms\n"
        "before = set(sys.modules)\n"
        "import llama_index_deepseekapi\n"
        "new = set(sys.modules) - before\n"
        "core = sorted(name for name in new if name.startswith('deepseekapi_core'))\n"
        "assert core == ['deepseekapi_core', 'deepseekapi_core._adapters',"
        " 'deepseekapi_core._adapters._mixins', 'deepseekapi_core._lazy'], core\n"
        "assert 'httpx' not in new, sorted(new)\n"
        "print(len(new))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # The adapter's own modules (_llm, _metadata, _tokens, _fim: the FIM dispatch of complete,
    # which imports nothing llama_index.core.llms has not) and the core's lazy package.
    assert int(result.stdout) < 11


def test_make_llm_fixture_uses_the_emulator(make_llm: Callable[..., DeepSeekAPI]) -> None:
    assert "[emulated" in make_llm().complete("hello").text


def test_retry_policy_reaches_the_core_clients() -> None:
    emulator = Emulator()
    waits: list[float] = []
    policy = RetryPolicy(max_retries=1, max_retry_after=5)
    llm = DeepSeekAPI(api_key="sk-test", transport=emulator.transport(), retry_policy=policy)
    llm.clients.sleep = waits.append
    assert llm.client.retry_policy is policy
    emulator.faults.status(429, retry_after=2, times=1)
    assert llm.complete("hi").text
    assert waits == [2.0]
    emulator.faults.status(429, retry_after=30, times=1)  # beyond this policy's 5 s cap
    with pytest.raises(RateLimitError) as caught:
        llm.complete("hi")
    assert caught.value.retry_after == 30
    # Never the 30 s; the one wait is what the recorder left of the first 429's pause, which the
    # account's limiter shares with every later request (docs/scaling.md).
    assert waits[0] == 2.0 and len(waits) == 2 and 0 < waits[1] <= 2.0


def test_reasoning_effort_takes_the_cores_values() -> None:
    # The adapter checks against the core's ReasoningEffort rather than keeping a copy.
    from typing import get_args

    import deepseekapi_core

    for effort in get_args(deepseekapi_core.wire.ReasoningEffort):
        assert DeepSeekAPI(reasoning_effort=effort).reasoning_effort == effort
    with pytest.raises(ValueError, match="reasoning_effort must be one of"):
        DeepSeekAPI(reasoning_effort="extreme")
    with pytest.raises(ValueError, match="era must be one of"):
        DeepSeekAPI(era="v9")
