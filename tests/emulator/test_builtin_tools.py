"""The emulator's built-in web tools: what it accepts (era, model), the calls and results it
puts on a reply (whole and streamed, scripted and composed), and what it checks when the
assistant message comes back."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from deepseekapi_core.testing import Emulator, Era, ScriptedServerCall

from .conftest import AUTH, chat_body, sse_payloads

SEARCH = {"type": "deepseek_web_search"}
READ = {"type": "deepseek_read_url"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def _post(emulator: Emulator, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(
        transport=emulator.transport(), base_url="https://api.deepseek.test/v1", headers=AUTH
    ) as client:
        return client.post("/chat/completions", json=body)


def _message(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["choices"][0]["message"]
    return message


# --------------------------------------------------------------------------------------------
# What is accepted


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-v4-pro", "deepseek-v4-flash"])
def test_a_model_without_builtin_tools_is_refused(model: str) -> None:
    response = _post(Emulator(), chat_body(model=model, tools=[SEARCH]))
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert model in message
    assert "deepseek_web_search" in message


def test_an_era_before_the_builtin_tools_reads_them_as_an_unknown_tool_type() -> None:
    response = _post(Emulator(era=Era.V4), chat_body(model="deepseek-v4-flash", tools=[SEARCH]))
    assert response.status_code == 422
    assert "unknown variant `deepseek_web_search`" in response.text


def test_a_builtin_tool_declared_twice_is_refused() -> None:
    response = _post(Emulator(), chat_body(model="deepseek-flash", tools=[READ, READ]))
    assert response.status_code == 400
    assert "declared twice" in response.text


def test_tool_choice_auto_with_only_builtin_tools_is_accepted() -> None:
    body = chat_body(model="deepseek-flash", tools=[SEARCH], tool_choice="auto")
    assert _post(Emulator(), body).status_code == 200


# --------------------------------------------------------------------------------------------
# Replies


def test_a_composed_reply_searches_and_cites_what_it_found() -> None:
    message = _message(
        _post(Emulator(), chat_body("Latest Rust release?", "deepseek-flash", tools=[SEARCH]))
    )
    (call,) = message["server_tool_calls"]
    (result,) = message["server_tool_results"]
    assert call["type"] == "deepseek_web_search"
    assert json.loads(call["arguments"]) == {"query": "Latest Rust release?"}
    assert result["tool_call_id"] == call["id"]
    urls = [hit["url"] for hit in result["content"]]
    assert len(urls) == 2 and all(url.startswith("https://example.com/") for url in urls)
    assert all(url in message["content"] for url in urls)
    assert "tool_calls" not in message


def test_a_link_in_the_message_is_read_rather_than_searched() -> None:
    body = chat_body(
        "Summarise https://example.org/post please", "deepseek-flash", tools=[READ, SEARCH]
    )
    message = _message(_post(Emulator(), body))
    (call,) = message["server_tool_calls"]
    assert call["type"] == "deepseek_read_url"
    assert json.loads(call["arguments"]) == {"url": "https://example.org/post"}
    (page,) = message["server_tool_results"][0]["content"]
    assert page["url"] == "https://example.org/post"


def test_no_builtin_tools_no_server_calls() -> None:
    message = _message(_post(Emulator(), chat_body(model="deepseek-flash")))
    assert "server_tool_calls" not in message


def test_a_scripted_search_with_a_function_call() -> None:
    emulator = Emulator()
    hits = [{"type": "web_search_result", "url": "https://news.example/1", "title": "One"}]
    emulator.script.reply_web_search("paris", hits, tool_calls=[("get_weather", {"city": "Paris"})])
    body = chat_body("Weather in Paris?", "deepseek-flash", tools=[SEARCH, WEATHER])
    response = _post(emulator, body)
    message = _message(response)
    assert response.json()["choices"][0]["finish_reason"] == "tool_calls"
    assert message["server_tool_results"][0]["content"] == hits
    assert [call["function"]["name"] for call in message["tool_calls"]] == ["get_weather"]
    assert message["server_tool_calls"][0]["id"] != message["tool_calls"][0]["id"]


def test_a_prepared_scripted_reply_may_carry_server_calls() -> None:
    from deepseekapi_core.testing import ScriptedReply

    emulator = Emulator()
    call = ScriptedServerCall(
        "deepseek_read_url", '{"url": "https://a.example"}', [{"url": "https://a.example"}]
    )
    emulator.script.add(ScriptedReply("Done.", server_calls=(call,)))
    message = _message(
        _post(emulator, chat_body("Read https://a.example", "deepseek-flash", tools=[READ]))
    )
    assert message["server_tool_calls"][0]["arguments"] == '{"url": "https://a.example"}'
    assert message["content"] == "Done."


def test_the_stream_sends_each_call_then_its_result_before_the_answer() -> None:
    emulator = Emulator()
    emulator.script.reply_web_search("q", answer="Answer [1].")
    body = chat_body("q?", "deepseek-flash", tools=[SEARCH], stream=True)
    response = _post(emulator, body)
    deltas = [p["choices"][0]["delta"] for p in sse_payloads(response.text)[:-1] if p["choices"]]
    kinds = [
        next(k for k in ("server_tool_calls", "server_tool_results", "content") if d.get(k))
        for d in deltas
        if any(d.get(k) for k in ("server_tool_calls", "server_tool_results", "content"))
    ]
    assert kinds[:2] == ["server_tool_calls", "server_tool_results"]
    assert set(kinds[2:]) == {"content"}
    call = next(d for d in deltas if d.get("server_tool_calls"))["server_tool_calls"][0]
    assert call["index"] == 0 and call["type"] == "deepseek_web_search"


def test_the_calls_arguments_count_as_completion_tokens() -> None:
    plain = Emulator()
    plain.script.reply_text("Answer.")
    searched = Emulator()
    searched.script.reply_web_search("a long query about something", answer="Answer.")
    body = chat_body("q?", "deepseek-flash", tools=[SEARCH])
    without = _post(plain, body).json()["usage"]["completion_tokens"]
    with_call = _post(searched, body).json()["usage"]["completion_tokens"]
    assert with_call > without


# --------------------------------------------------------------------------------------------
# The next round


def _history(calls: list[Any], results: list[Any]) -> dict[str, Any]:
    return {
        "model": "deepseek-flash",
        "tools": [SEARCH],
        "messages": [
            {"role": "user", "content": "q?"},
            {
                "role": "assistant",
                "content": "A.",
                "server_tool_calls": calls,
                "server_tool_results": results,
            },
            {"role": "user", "content": "more?"},
        ],
    }


def test_entries_sent_back_as_returned_are_accepted() -> None:
    emulator = Emulator()
    first = _message(_post(emulator, chat_body("q?", "deepseek-flash", tools=[SEARCH])))
    body = _history(first["server_tool_calls"], first["server_tool_results"])
    assert _post(emulator, body).status_code == 200


def test_a_result_sent_back_without_its_call_is_refused() -> None:
    result = {"tool_call_id": "srv_x", "type": "deepseek_web_search", "content": []}
    response = _post(Emulator(), _history([], [result]))
    assert response.status_code == 400
    assert "answers no server tool call" in response.text


def test_server_entries_on_a_user_message_are_refused() -> None:
    body = chat_body(model="deepseek-flash")
    body["messages"][0]["server_tool_calls"] = [{"id": "s"}]
    response = _post(Emulator(), body)
    assert response.status_code == 400
    assert "belong to assistant messages" in response.text


def test_entries_that_are_not_maps_are_unreadable() -> None:
    response = _post(Emulator(), _history(["not a map"], []))
    assert response.status_code == 422


# --------------------------------------------------------------------------------------------
# The demo


def test_the_demo_shows_the_service_searching_through_both_adapters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("langchain_core")
    pytest.importorskip("llama_index.core")
    from deepseekapi_core import cli

    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    step = "Built-in web search (deepseek-flash: the service searches, the answer cites)"
    assert out.count(step) == 2
    call = "service tool call: deepseek_web_search({'query': 'What did DeepSeek"
    assert out.count(call) == 2
    assert "found: https://example.com/what-did-deepseek-release-this-month/1" in out
    assert "cited: https://example.com/what-did-deepseek-release-this-month/1" in out
