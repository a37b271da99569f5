"""The service's own failure shapes on demand: leaked tool calls, whitespace JSON, resource
exhaustion and stalled streams (issue 14; deepseek-wire.md 1.16)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from deepseekapi_core import DeepSeekClient, StreamInterruptedError
from deepseekapi_core.testing import LEAK_SHAPES, Emulator, EmulatorServer
from deepseekapi_core.testing._leaks import DSML

from .conftest import AUTH, chat_body, sse_payloads

URL = "https://x/v1/chat/completions"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}
ASK = "What is the weather in Paris for 3 days?"


def tool_body(**extra: Any) -> dict[str, Any]:
    return chat_body(ASK, tools=[WEATHER], **extra)


def plain_message(http: httpx.Client, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    choice = http.post(URL, json=body).json()["choices"][0]
    return choice["message"], choice["finish_reason"]


def streamed(http: httpx.Client, body: dict[str, Any]) -> list[Any]:
    response = http.post(URL, json={**body, "stream": True})
    assert response.status_code == 200
    return sse_payloads(response.text)


def joined(payloads: list[Any], field: str) -> str:
    return "".join(
        p["choices"][0]["delta"].get(field) or "" for p in payloads if isinstance(p, dict)
    )


def finish_of(payloads: list[Any]) -> str | None:
    finishes = [p["choices"][0]["finish_reason"] for p in payloads if isinstance(p, dict)]
    return next((f for f in finishes if f is not None), None)


def expected_call(emulator_seed: int = 0) -> tuple[str, dict[str, Any]]:
    """The call the emulator makes for ``ASK`` without any fault."""
    emulator = Emulator(seed=emulator_seed)
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        message, finish = plain_message(client, tool_body())
    assert finish == "tool_calls"
    call = message["tool_calls"][0]["function"]
    return call["name"], json.loads(call["arguments"])


def calls_in(shape: str, content: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse leaked calls back out of ``content`` (a test-side reader of each shape)."""
    if shape == "dsml":
        calls = []
        for name, inner in re.findall(
            rf'<{DSML}invoke name="([^"]+)">\n(.*?)</{DSML}invoke>', content, re.S
        ):
            arguments: dict[str, Any] = {}
            for key, is_string, value in re.findall(
                rf'<{DSML}parameter name="([^"]+)" string="(true|false)">(.*?)</{DSML}parameter>',
                inner,
            ):
                arguments[key] = value if is_string == "true" else json.loads(value)
            calls.append((name, arguments))
        return calls
    if shape == "tool_call_tag":
        objects = [json.loads(m) for m in re.findall(r"<tool_call>(.*?)</tool_call>", content)]
    elif shape == "fenced_json":
        objects = [json.loads(m) for m in re.findall(r"```json\n(.*?)\n```", content, re.S)]
    else:
        objects = [json.loads(line) for line in content.splitlines() if line.strip()]
    return [(o["name"], o["arguments"]) for o in objects]


# --------------------------------------------------------------------------------------------
# Leaked tool calls


@pytest.mark.parametrize("shape", LEAK_SHAPES)
def test_leaked_tool_call_plain_reply(http: httpx.Client, emulator: Emulator, shape: str) -> None:
    rule = emulator.faults.leaked_tool_call(shape)
    message, finish = plain_message(http, tool_body())
    assert finish == "stop"
    assert "tool_calls" not in message
    assert calls_in(shape, message["content"]) == [expected_call()]
    assert rule.hits == 1 and rule.exhausted


@pytest.mark.parametrize("shape", LEAK_SHAPES)
def test_leaked_tool_call_streamed_reply(
    http: httpx.Client, emulator: Emulator, shape: str
) -> None:
    emulator.faults.leaked_tool_call(shape)
    payloads = streamed(http, tool_body())
    assert payloads[-1] == "[DONE]"
    assert finish_of(payloads) == "stop"
    assert not any("tool_calls" in p["choices"][0]["delta"] for p in payloads[:-1])
    content = joined(payloads, "content")
    assert calls_in(shape, content) == [expected_call()]
    # The markup arrives in several pieces, as the service streams it.
    assert sum(1 for p in payloads[:-1] if p["choices"][0]["delta"].get("content")) > 1


def test_dsml_markup_is_the_reported_form(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.leaked_tool_call("dsml")
    content = plain_message(http, tool_body())[0]["content"]
    assert content.splitlines() == [
        "<\uff5cDSML\uff5ctool_calls>",
        '<\uff5cDSML\uff5cinvoke name="get_weather">',
        '<\uff5cDSML\uff5cparameter name="city" string="true">Paris</\uff5cDSML\uff5cparameter>',
        '<\uff5cDSML\uff5cparameter name="days" string="false">3</\uff5cDSML\uff5cparameter>',
        "</\uff5cDSML\uff5cinvoke>",
        "</\uff5cDSML\uff5ctool_calls>",
    ]


def test_leaked_parallel_calls_and_preamble(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_tool_calls([("get_weather", {"city": "Paris"}), ("get_weather", {})])
    emulator.faults.leaked_tool_call("tool_call_tag", preamble="Let me check.\n")
    message, finish = plain_message(http, tool_body())
    assert finish == "stop" and message["content"].startswith("Let me check.\n<tool_call>")
    assert calls_in("tool_call_tag", message["content"]) == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {}),
    ]


def test_leak_waits_for_a_reply_that_calls_tools(http: httpx.Client, emulator: Emulator) -> None:
    rule = emulator.faults.leaked_tool_call("bare_json")
    message, finish = plain_message(http, chat_body())
    assert finish == "stop" and message["content"].startswith("[emulated")
    assert rule.hits == 0 and not rule.exhausted
    message, finish = plain_message(http, tool_body())
    assert finish == "stop" and calls_in("bare_json", message["content"]) == [expected_call()]
    assert plain_message(http, tool_body())[1] == "tool_calls"


def test_leak_keeps_the_reasoning_in_thinking_mode(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.leaked_tool_call("fenced_json", times=2)
    body = tool_body(model="deepseek-v4-pro", thinking={"type": "enabled"})
    message, finish = plain_message(http, body)
    assert finish == "stop" and message["reasoning_content"].startswith("[emulated reasoning]")
    payloads = streamed(http, body)
    assert joined(payloads, "reasoning_content").startswith("[emulated reasoning]")
    assert calls_in("fenced_json", joined(payloads, "content"))[0][0] == "get_weather"


def test_leaked_call_reaches_the_core_client_as_text(emulator: Emulator) -> None:
    emulator.faults.leaked_tool_call("dsml")
    # The core recovers leaked calls by default (tests/core/test_tool_recovery.py): switched
    # off here to see the fault as the service sends it.
    with DeepSeekClient(
        api_key="sk-test", transport=emulator.transport(), recover_tool_calls=False
    ) as client:
        completion = client.chat(
            model="deepseek-chat", messages=[{"role": "user", "content": ASK}], tools=[WEATHER]
        )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    assert (choice.message.content or "").startswith(f"<{DSML}tool_calls>")


def test_unknown_leak_shape_is_refused(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="shape must be one of dsml, tool_call_tag"):
        emulator.faults.leaked_tool_call("xml")


# --------------------------------------------------------------------------------------------
# Whitespace-only JSON mode


JSON_MODE = {"response_format": {"type": "json_object"}}


def test_json_whitespace_plain_and_streamed(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.json_whitespace(times=2)
    body = chat_body("Give me a JSON object with a 'name' key", **JSON_MODE)
    message, finish = plain_message(http, body)
    assert finish == "stop" and message["content"] and not message["content"].strip()
    payloads = streamed(http, body)
    content = joined(payloads, "content")
    assert finish_of(payloads) == "stop" and content and not content.strip()
    assert json.loads(plain_message(http, body)[0]["content"])


def test_json_whitespace_waits_for_json_mode(http: httpx.Client, emulator: Emulator) -> None:
    rule = emulator.faults.json_whitespace(" \n ")
    assert plain_message(http, chat_body())[0]["content"].startswith("[emulated")
    assert rule.hits == 0
    assert plain_message(http, chat_body("JSON please", **JSON_MODE))[0]["content"] == " \n "


def test_json_whitespace_must_be_whitespace(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="whitespace only"):
        emulator.faults.json_whitespace("{}")


# --------------------------------------------------------------------------------------------
# insufficient_system_resource


def test_insufficient_resource_with_nothing_delivered(
    http: httpx.Client, emulator: Emulator
) -> None:
    emulator.faults.insufficient_system_resource(times=2)
    message, finish = plain_message(http, tool_body())
    assert finish == "insufficient_system_resource"
    assert message["content"] == "" and "tool_calls" not in message
    payloads = streamed(http, chat_body())
    assert finish_of(payloads) == "insufficient_system_resource"
    assert joined(payloads, "content") == "" and payloads[-1] == "[DONE]"


def test_insufficient_resource_after_some_content_in_a_stream(
    http: httpx.Client, emulator: Emulator
) -> None:
    body = chat_body("Tell me a long story about a lighthouse keeper")
    whole = joined(streamed(http, body), "content")
    emulator.faults.insufficient_system_resource(delivered=3)
    payloads = streamed(http, {**body, "stream_options": {"include_usage": True}})
    partial = joined(payloads, "content")
    assert partial and whole.startswith(partial) and len(partial) < len(whole)
    final = next(p for p in payloads if isinstance(p, dict) and p["choices"][0]["finish_reason"])
    assert final["choices"][0]["finish_reason"] == "insufficient_system_resource"
    assert final["usage"]["completion_tokens"] > 0


def test_insufficient_resource_mid_reasoning(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.insufficient_system_resource(delivered=2)
    payloads = streamed(http, chat_body(model="deepseek-reasoner"))
    assert joined(payloads, "reasoning_content").startswith("[emulated reasoning]")
    assert joined(payloads, "content") == ""
    assert finish_of(payloads) == "insufficient_system_resource"


# --------------------------------------------------------------------------------------------
# Stalled streams


def test_stall_mid_reasoning_times_out_in_process(emulator: Emulator) -> None:
    rule = emulator.faults.stall_stream()
    received: list[bytes] = []
    with httpx.Client(transport=emulator.transport(), headers=AUTH, timeout=0.2) as client:
        body = {**chat_body(model="deepseek-reasoner"), "stream": True}
        with client.stream("POST", URL, json=body) as response:
            assert response.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                for piece in response.iter_raw():
                    received.append(piece)
    text = b"".join(received).decode()
    payloads = sse_payloads(text)
    assert len(payloads) == 2 and "[DONE]" not in text
    assert payloads[1]["choices"][0]["delta"]["reasoning_content"]
    assert finish_of(payloads) is None and rule.hits == 1


def test_stall_through_the_core_keeps_the_reasoning_so_far(emulator: Emulator) -> None:
    emulator.faults.stall_stream(after_events=3)
    with (
        DeepSeekClient(
            api_key="sk-test", transport=emulator.transport(), timeout=0.2, max_retries=0
        ) as client,
        pytest.raises(StreamInterruptedError) as caught,
    ):
        for _ in client.stream_chat(
            model="deepseek-reasoner", messages=[{"role": "user", "content": "Hi"}]
        ):
            pass
    assert caught.value.partial_reasoning.startswith("[emulated reasoning]")
    assert caught.value.partial_content == ""


def test_stall_that_ends_closes_the_connection_without_done(emulator: Emulator) -> None:
    emulator.faults.stall_stream(after_events=1, seconds=0.01)
    with (
        httpx.Client(transport=emulator.transport(), headers=AUTH) as client,
        client.stream("POST", URL, json={**chat_body(), "stream": True}) as response,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        response.read()


async def test_stall_async_in_process(emulator: Emulator) -> None:
    emulator.faults.stall_stream(after_events=1)
    async with (
        httpx.AsyncClient(transport=emulator.transport(), headers=AUTH, timeout=0.2) as client,
        client.stream("POST", URL, json={**chat_body(), "stream": True}) as response,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await response.aread()


def test_stall_on_loopback_keeps_the_connection_open(emulator: Emulator) -> None:
    emulator.faults.stall_stream(after_events=2, times=2)
    body = {**chat_body(model="deepseek-reasoner"), "stream": True}
    with EmulatorServer(emulator) as server:
        with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=0.3) as client:
            received = []
            with (
                client.stream("POST", "/chat/completions", json=body) as response,
                pytest.raises(httpx.ReadTimeout),
            ):
                for line in response.iter_lines():
                    received.append(line)
            assert [line for line in received if line.startswith("data: ")][-1] != "data: [DONE]"
            assert len([line for line in received if line.startswith("data: ")]) == 2
        emulator.faults.clear()
        emulator.faults.stall_stream(after_events=1, seconds=0.01)
        with (
            httpx.Client(base_url=server.base_url, headers=AUTH) as client,
            client.stream("POST", "/chat/completions", json=body) as response,
            pytest.raises(httpx.RemoteProtocolError),
        ):
            response.read()
