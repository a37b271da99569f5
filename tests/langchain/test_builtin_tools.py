"""DeepSeek's built-in web tools through ``ChatDeepSeekAPI``: bound beside functions, the
service's calls and results as standard server tool blocks (whole and streamed), never in
``tool_calls``, sent back unchanged, and an agent loop with a search and a function tool."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool

from deepseekapi_core import InvalidRequestError
from deepseekapi_core.testing import Emulator
from deepseekapi_core.tools import web_search

from .conftest import ModelFactory

HITS = [
    {"type": "web_search_result", "url": "https://news.example/1", "title": "One", "snippet": "s"}
]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


def _flash(make_llm: ModelFactory, **options: Any) -> Any:
    return make_llm(model="deepseek-flash", thinking=False, **options)


def test_bind_tools_sends_the_builtin_tools_beside_functions(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    llm = _flash(make_llm).bind_tools([{"type": "deepseek_web_search"}, web_search(), get_weather])
    with pytest.raises(InvalidRequestError, match="two tools are named"):
        llm.invoke("hi")
    llm = _flash(make_llm).bind_tools([{"type": "deepseek_read_url"}, get_weather])
    llm.invoke("hi")
    tools = emulator.chat_requests[-1].json["tools"]
    assert tools[0] == {"type": "deepseek_read_url"}
    assert tools[1]["function"]["name"] == "get_weather"


def test_tool_choice_names_functions_only(make_llm: ModelFactory) -> None:
    with pytest.raises(InvalidRequestError, match=r"nor one of the tools \['get_weather'\]"):
        _flash(make_llm).bind_tools([web_search(), get_weather], tool_choice="deepseek_web_search")


def test_a_model_without_them_is_refused_before_sending(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-chat").bind_tools([web_search()])
    with pytest.raises(InvalidRequestError, match="deepseek-chat has no built-in tool"):
        llm.invoke("hi")
    assert emulator.chat_requests == []


def test_the_reply_carries_standard_server_tool_blocks(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    message = _flash(make_llm).bind_tools([web_search()]).invoke("Any news?")
    assert isinstance(message, AIMessage)
    assert message.text == "Big news [1]."
    assert message.tool_calls == []
    call, result, text = message.content_blocks
    assert call["type"] == "server_tool_call"
    assert (call["name"], call["args"]) == ("deepseek_web_search", {"query": "news"})
    assert result["type"] == "server_tool_result"
    assert result["tool_call_id"] == call["id"]
    assert result["status"] == "success"
    assert result["output"] == HITS
    assert text == {"type": "text", "text": "Big news [1]."}
    raw = emulator.chat_requests[-1]
    assert raw.json["tools"] == [{"type": "deepseek_web_search"}]
    assert message.additional_kwargs["server_tool_calls"][0]["id"] == call["id"]


def test_the_next_request_sends_the_entries_back_unchanged(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    llm = _flash(make_llm).bind_tools([web_search()])
    first = llm.invoke("Any news?")
    llm.invoke([HumanMessage("Any news?"), first, HumanMessage("More?")])
    sent = emulator.chat_requests[-1].json["messages"][1]
    assert sent["content"] == first.text
    assert sent["server_tool_calls"] == first.additional_kwargs["server_tool_calls"]
    assert sent["server_tool_results"] == first.additional_kwargs["server_tool_results"]


def test_blocks_alone_carry_the_raw_entries_back(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    # A history rebuilt from content blocks (additional_kwargs lost) still round-trips.
    llm = _flash(make_llm).bind_tools([web_search()])
    first = llm.invoke("Any news?")
    bare = AIMessage(content=first.content)
    llm.invoke([HumanMessage("Any news?"), bare, HumanMessage("More?")])
    sent = emulator.chat_requests[-1].json["messages"][1]
    assert sent["server_tool_calls"] == first.additional_kwargs["server_tool_calls"]
    assert sent["server_tool_results"] == first.additional_kwargs["server_tool_results"]


@pytest.mark.parametrize("output_version", ["v0", "v1"])
def test_streaming_gives_the_same_blocks(
    make_llm: ModelFactory, emulator: Emulator, output_version: str
) -> None:
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = _flash(make_llm, output_version=output_version).bind_tools([web_search()])
    merged: AIMessageChunk | None = None
    for chunk in llm.stream("Any news?"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    kinds = [block["type"] for block in merged.content_blocks]
    assert kinds == ["server_tool_call", "server_tool_result", "text"]
    assert merged.text == "Big news [1]."
    assert merged.tool_calls == []
    calls = merged.additional_kwargs["server_tool_calls"]
    assert calls == [merged.content_blocks[0]["extras"]["raw"]]  # type: ignore[typeddict-item]
    assert "index" not in calls[0]


def test_an_agent_loop_with_a_search_and_a_function_tool(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    from langchain.agents import create_agent

    emulator.script.reply_web_search(
        "paris weather", HITS, tool_calls=[("get_weather", {"city": "Paris"})]
    ).reply_text("Sunny in Paris [1].")
    # LangChain passes provider tools as dicts (create_agent takes no other object).
    agent = create_agent(_flash(make_llm), [{"type": "deepseek_web_search"}, get_weather])
    result = agent.invoke({"messages": [("user", "Weather in Paris?")]})
    messages = result["messages"]
    assert [type(m).__name__ for m in messages] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]
    assert isinstance(messages[2], ToolMessage)
    assert messages[2].content == "It is sunny in Paris."
    assert messages[-1].text == "Sunny in Paris [1]."
    first, second = (r.json for r in emulator.chat_requests)
    assert {"type": "deepseek_web_search"} in first["tools"]
    turn = second["messages"][1]
    assert [c["function"]["name"] for c in turn["tool_calls"]] == ["get_weather"]
    assert turn["server_tool_calls"][0]["type"] == "deepseek_web_search"
    assert turn["server_tool_results"][0]["content"] == HITS


@pytest.mark.parametrize("stream", [False, True])
def test_unmodelled_reply_fields_go_back_as_they_came(stream: bool) -> None:
    from langchain_deepseekapi import ChatDeepSeekAPI
    from tests.core.test_builtin_tools import UNKNOWN, _service

    sent: list[dict[str, Any]] = []
    llm = ChatDeepSeekAPI(model="deepseek-flash", api_key="sk-test", transport=_service(sent))
    if stream:
        merged: Any = None
        for chunk in llm.stream("Find it"):
            merged = chunk if merged is None else merged + chunk
        first = AIMessage(content=merged.content, additional_kwargs=merged.additional_kwargs)
    else:
        first = llm.invoke("Find it")
    assert first.additional_kwargs["extra_message_fields"] == UNKNOWN
    llm.invoke([HumanMessage("Find it"), first, HumanMessage("More?")])
    assert sent[-1]["messages"][1] == {"role": "assistant", "content": "Found it [1].", **UNKNOWN}


def test_async_calls_give_the_same_blocks(make_llm: ModelFactory, emulator: Emulator) -> None:
    import asyncio

    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = _flash(make_llm).bind_tools([web_search()])

    async def run() -> tuple[Any, Any]:
        whole = await llm.ainvoke("Any news?")
        merged: Any = None
        async for chunk in llm.astream("Any news?"):
            merged = chunk if merged is None else merged + chunk
        return whole, merged

    whole, merged = asyncio.run(run())
    for message in (whole, merged):
        assert [b["type"] for b in message.content_blocks] == [
            "server_tool_call",
            "server_tool_result",
            "text",
        ]
        assert message.text == "Big news [1]."
