"""The built-in web tools' request shapes at the HTTP level, for the core and both adapters:
the declaration beside a function tool, the reply's server calls and results (whole and
streamed), and the next request carrying them back unchanged.

These cassettes are recorded from the V4.1 emulator (the built-in tools exist from
2026-11-13, for ``deepseek-flash`` only), not the suite's V4 one; the clients use V4.1 rules.
What the service returned is read straight from the cassette's JSON or SSE text, so the same
checks hold for a recording from the real service.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from deepseekapi_core import DeepSeekClient
from deepseekapi_core.testing import Emulator, EmulatorServer, Era
from deepseekapi_core.tools import read_url, web_search
from deepseekapi_core.wire import StreamAccumulator
from langchain_deepseekapi import ChatDeepSeekAPI
from llama_index_deepseekapi import DeepSeekAPI, DeepSeekWebSearchTool

from . import _scenarios as sc
from ._support import TEST_KEY, body_text, sent
from .conftest import Backend, UseCassette

NEWS_PROMPT = "What is new in Rust this month?"
NEWS_QUERY = "Rust news this month"
NEWS_HITS = [
    {
        "type": "web_search_result",
        "title": "Rust 1.99 released",
        "url": "https://blog.example/rust-1-99",
        "snippet": "Rust 1.99 is out.",
    }
]
NEWS_REPLY = "Rust 1.99 is out [1]."
FOLLOW_UP = "Anything else?"
PAGE_URL = "https://example.org/post"
PAGE = {"type": "web_page", "url": PAGE_URL, "title": "A post", "content": "It says hello."}
PAGE_REPLY = "The post says hello."


@pytest.fixture
def web(backend: Backend, _loopback_server: EmulatorServer | None) -> Backend:
    """The test's backend, recording (from the emulator) in the V4.1 era."""
    if backend.mode == "emulator":
        assert _loopback_server is not None
        backend.emulator = Emulator(api_key=TEST_KEY, era=Era.V4_1)
        _loopback_server.emulator = backend.emulator
    return backend


def _entries(cass: Any, index: int) -> dict[str, list[dict[str, Any]]]:
    """The server calls and results of response ``index``, read from the cassette's text (an
    SSE body is folded by index, an entry's ``arguments`` appended)."""
    text = body_text(cass.responses[index]["body"]["string"])
    if text.lstrip().startswith("{"):
        message = json.loads(text)["choices"][0]["message"]
        return {k: message.get(k) or [] for k in ("server_tool_calls", "server_tool_results")}
    folded: dict[str, dict[int, dict[str, Any]]] = {
        "server_tool_calls": {},
        "server_tool_results": {},
    }
    for line in text.splitlines():
        if not line.startswith("data: {"):
            continue
        for choice in json.loads(line[len("data: ") :])["choices"]:
            for key, by_index in folded.items():
                for entry in choice["delta"].get(key) or []:
                    target = by_index.setdefault(entry["index"], {})
                    for name, value in entry.items():
                        if name == "arguments" and name in target:
                            target[name] += value
                        elif name != "index":
                            target[name] = value
    return {key: [v[i] for i in sorted(v)] for key, v in folded.items()}


def _assert_sent_back(cass: Any, request: int, reply: int, position: int) -> None:
    """Request ``request``'s message at ``position`` carries reply ``reply``'s entries as
    they came."""
    message = sent(cass, request)["messages"][position]
    assert message["role"] == "assistant"
    entries = _entries(cass, reply)
    assert entries["server_tool_calls"], "the recorded reply has no server tool calls"
    assert message["server_tool_calls"] == entries["server_tool_calls"]
    assert message["server_tool_results"] == entries["server_tool_results"]


def _script_news(emulator: Emulator | None, **options: Any) -> None:
    if emulator is not None:
        emulator.script.reply_web_search(NEWS_QUERY, NEWS_HITS, **options)


def _client(backend: Backend) -> DeepSeekClient:
    return DeepSeekClient(api_key=backend.api_key, base_url=backend.base_url, sleep=backend.sleeps)


# ------------------------------------------------------------------------------------------------
# Core


def test_core_web_search_round_trip(web: Backend, cassette: UseCassette) -> None:
    _script_news(web.emulator, answer=NEWS_REPLY)
    sc.script_chat(web.emulator, "Nothing else.")
    turn = [{"role": "user", "content": NEWS_PROMPT}]
    with cassette("core-web-search") as cass, _client(web) as api:
        first = api.chat(
            model="deepseek-flash", messages=turn, tools=[web_search()], thinking=False
        )
        message = first.message
        history = [
            *turn,
            {
                "role": "assistant",
                "content": message.content,
                "server_tool_calls": message.server_tool_calls,
                "server_tool_results": message.server_tool_results,
            },
            {"role": "user", "content": FOLLOW_UP},
        ]
        api.chat(model="deepseek-flash", messages=history, tools=[web_search()], thinking=False)
    assert sent(cass, 0)["tools"] == [{"type": "deepseek_web_search"}]
    assert sent(cass, 0)["thinking"] == {"type": "disabled"}
    entries = _entries(cass, 0)
    assert message.server_tool_calls == entries["server_tool_calls"]
    assert message.server_tool_results == entries["server_tool_results"]
    _assert_sent_back(cass, 1, 0, 1)


def test_core_web_search_stream(web: Backend, cassette: UseCassette) -> None:
    _script_news(web.emulator, answer=NEWS_REPLY)
    turn = [{"role": "user", "content": NEWS_PROMPT}]
    folded = StreamAccumulator()
    with cassette("core-web-search-stream") as cass, _client(web) as api:
        for chunk in api.stream_chat(
            model="deepseek-flash", messages=turn, tools=[web_search()], thinking=False
        ):
            folded.add(chunk)
    assert sent(cass, 0)["stream"] is True
    entries = _entries(cass, 0)
    assert folded.server_tool_calls == entries["server_tool_calls"]
    assert folded.server_tool_results == entries["server_tool_results"]
    if web.recording and web.emulator is not None:
        assert folded.text == NEWS_REPLY


def test_core_read_url(web: Backend, cassette: UseCassette) -> None:
    if web.emulator is not None:
        web.emulator.script.reply_read_url(PAGE_URL, PAGE, answer=PAGE_REPLY)
    turn = [{"role": "user", "content": f"Summarise {PAGE_URL}"}]
    with cassette("core-read-url") as cass, _client(web) as api:
        reply = api.chat(model="deepseek-flash", messages=turn, tools=[read_url()], thinking=False)
    assert sent(cass, 0)["tools"] == [{"type": "deepseek_read_url"}]
    assert reply.message.server_tool_results == _entries(cass, 0)["server_tool_results"]


# ------------------------------------------------------------------------------------------------
# LangChain


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return sc.WEATHER_RESULT


def test_langchain_web_search_with_a_function_tool(web: Backend, cassette: UseCassette) -> None:
    _script_news(web.emulator, tool_calls=[("get_weather", sc.WEATHER_ARGS)])
    sc.script_chat(web.emulator, sc.WEATHER_REPLY)
    llm = ChatDeepSeekAPI(
        model="deepseek-flash", api_key=web.api_key, base_url=web.base_url, thinking=False
    ).bind_tools([{"type": "deepseek_web_search"}, get_weather])
    with cassette("langchain-web-search") as cass:
        first = llm.invoke([HumanMessage(sc.WEATHER_PROMPT)])
        calls = first.tool_calls  # type: ignore[attr-defined]
        result = ToolMessage(sc.WEATHER_RESULT, tool_call_id=calls[0]["id"])
        llm.invoke([HumanMessage(sc.WEATHER_PROMPT), first, result])
    assert sent(cass, 0)["tools"][0] == {"type": "deepseek_web_search"}
    assert [c["name"] for c in calls] == ["get_weather"]
    kinds = [block["type"] for block in first.content_blocks]
    assert kinds[:2] == ["server_tool_call", "server_tool_result"]
    _assert_sent_back(cass, 1, 0, 1)
    assert sent(cass, 1)["messages"][2]["role"] == "tool"


# ------------------------------------------------------------------------------------------------
# LlamaIndex


def test_llama_index_web_search_with_a_function_tool(web: Backend, cassette: UseCassette) -> None:
    _script_news(web.emulator, tool_calls=[("get_weather", sc.WEATHER_ARGS)])
    sc.script_chat(web.emulator, sc.WEATHER_REPLY)
    llm = DeepSeekAPI(
        model="deepseek-flash", api_key=web.api_key, base_url=web.base_url, thinking=False
    )
    llm.clients.sleep = web.sleeps
    weather = FunctionTool.from_defaults(lambda city: sc.WEATHER_RESULT, name="get_weather")
    tools = [DeepSeekWebSearchTool(), weather]
    with cassette("llama-index-web-search") as cass:
        first = llm.chat_with_tools(tools, user_msg=sc.WEATHER_PROMPT)
        (selection,) = llm.get_tool_calls_from_response(first)
        history = [
            ChatMessage(role="user", content=sc.WEATHER_PROMPT),
            first.message,
            ChatMessage(
                role="tool",
                content=sc.WEATHER_RESULT,
                additional_kwargs={"tool_call_id": selection.tool_id},
            ),
        ]
        llm.chat_with_tools(tools, chat_history=history)
    assert sent(cass, 0)["tools"][0] == {"type": "deepseek_web_search"}
    assert selection.tool_name == "get_weather"
    _assert_sent_back(cass, 1, 0, 1)
    assert first.additional_kwargs["builtin_tool_calls"] == {"deepseek_web_search": 1}
