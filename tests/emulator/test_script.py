"""The script queue decides the next replies."""

from __future__ import annotations

import json

import httpx
import pytest

from deepseekapi_core import DeepSeekClient
from deepseekapi_core.testing import Emulator

from .conftest import chat_body, sse_payloads

URL = "https://x/v1/chat/completions"
TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}


def test_scripted_text_then_generated(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_text("Scripted answer.").reply_text("Second.")
    assert len(emulator.script) == 2
    first = http.post(URL, json=chat_body()).json()["choices"][0]["message"]["content"]
    second = http.post(URL, json=chat_body()).json()["choices"][0]["message"]["content"]
    third = http.post(URL, json=chat_body()).json()["choices"][0]["message"]["content"]
    assert (first, second) == ("Scripted answer.", "Second.")
    assert third.startswith("[emulated")


def test_scripted_tool_calls_parallel(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_tool_calls([("lookup", {"q": "a"}), ("lookup", '{"q": "b"}')])
    message = http.post(URL, json=chat_body(tools=[TOOL])).json()["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    calls = message["message"]["tool_calls"]
    assert [c["id"][:8] for c in calls] == ["call_00_", "call_01_"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"q": "a"}, {"q": "b"}]


def test_scripted_tool_call_streams_in_fragments(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_tool_call("lookup", {"query": "deepseek"})
    chunks = sse_payloads(http.post(URL, json=chat_body(stream=True, tools=[TOOL])).text)[:-1]
    pieces = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert pieces[0]["function"]["name"] == "lookup"
    assert json.loads("".join(p["function"]["arguments"] for p in pieces)) == {"query": "deepseek"}


def test_scripted_reasoning_only_in_thinking_mode(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_text("A", reasoning="because").reply_text("B", reasoning="because")
    thinking = http.post(URL, json=chat_body(model="deepseek-reasoner")).json()["choices"][0][
        "message"
    ]
    plain = http.post(URL, json=chat_body(model="deepseek-chat")).json()["choices"][0]["message"]
    assert thinking["reasoning_content"] == "because"
    assert "reasoning_content" not in plain


def test_scripted_error(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_error(402).reply_error(
        400, "Content Exists Risk", headers={"x-extra": "1"}
    )
    first = http.post(URL, json=chat_body())
    second = http.post(URL, json=chat_body())
    assert first.status_code == 402 and first.json()["error"]["message"] == "Insufficient Balance"
    assert second.status_code == 400 and second.json()["error"]["message"] == "Content Exists Risk"
    assert second.headers["x-extra"] == "1"


def test_invalid_request_keeps_the_script_item(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_text("kept")
    assert http.post(URL, json=chat_body(model="nope")).status_code == 400
    assert http.post(URL, json=chat_body()).json()["choices"][0]["message"]["content"] == "kept"


def test_scripted_json_and_finish_reason(http: httpx.Client, emulator: Emulator) -> None:
    emulator.script.reply_json({"ok": True}).reply_text("cut", finish_reason="length")
    assert json.loads(
        http.post(URL, json=chat_body()).json()["choices"][0]["message"]["content"]
    ) == {"ok": True}
    assert http.post(URL, json=chat_body()).json()["choices"][0]["finish_reason"] == "length"


def test_script_arguments_are_checked(emulator: Emulator) -> None:
    with pytest.raises(ValueError):
        emulator.script.reply_error(200)
    with pytest.raises(ValueError):
        emulator.script.reply_tool_calls([])
    emulator.script.reply_text("x")
    emulator.script.clear()
    assert len(emulator.script) == 0


def test_core_client_full_tool_loop_with_reasoning_round_trip(emulator: Emulator) -> None:
    """The V4 rule end to end: the core client must send reasoning back for tool turns."""
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "Current time in a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    messages: list[dict[str, object]] = [{"role": "user", "content": "What time is it in Tokyo?"}]
    with DeepSeekClient(api_key="k", transport=emulator.transport()) as client:
        first = client.chat(model="deepseek-reasoner", messages=messages, tools=tools)
        call = first.message.tool_calls[0]  # type: ignore[index]
        assert json.loads(call.function.arguments) == {"city": "Tokyo"}
        messages.append(first.message.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": "09:30"})
        second = client.chat(model="deepseek-reasoner", messages=messages, tools=tools)
    assert second.finish_reason == "stop" and "09:30" in (second.message.content or "")
    assert emulator.chat_requests[1].json["messages"][1]["reasoning_content"]
