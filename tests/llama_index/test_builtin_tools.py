"""DeepSeek's built-in web tools through ``DeepSeekAPI``: tools for LlamaIndex tool lists, the
service's calls and results as citation blocks and raw entries (whole and streamed), never
tool selections, sent back unchanged, and a FunctionAgent run with a search and a function."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import CitationBlock, TextBlock, ToolCallBlock
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from deepseekapi_core import InvalidRequestError
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI, DeepSeekReadURLTool, DeepSeekWebSearchTool

HITS = [
    {"type": "web_search_result", "url": "https://news.example/1", "title": "One", "snippet": "s1"},
    {"type": "web_search_result", "url": "https://news.example/2", "title": "Two", "snippet": "s2"},
]
MakeLLM = Callable[..., DeepSeekAPI]


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


WEATHER = FunctionTool.from_defaults(get_weather)


def _flash(make_llm: MakeLLM) -> DeepSeekAPI:
    return make_llm(model="deepseek-flash", thinking=False)


def test_builtin_tools_go_out_beside_function_tools(make_llm: MakeLLM, emulator: Emulator) -> None:
    tools = [DeepSeekWebSearchTool(), DeepSeekReadURLTool(), WEATHER]
    _flash(make_llm).chat_with_tools(tools, user_msg="hi")
    sent = emulator.chat_requests[-1].json["tools"]
    assert sent[:2] == [{"type": "deepseek_web_search"}, {"type": "deepseek_read_url"}]
    assert sent[2]["function"]["name"] == "get_weather"


def test_a_dict_works_as_well(make_llm: MakeLLM, emulator: Emulator) -> None:
    _flash(make_llm).chat(
        [ChatMessage(role="user", content="hi")], tools=[{"type": "deepseek_web_search"}]
    )
    assert emulator.chat_requests[-1].json["tools"] == [{"type": "deepseek_web_search"}]


def test_a_model_without_them_is_refused_before_sending(
    make_llm: MakeLLM, emulator: Emulator
) -> None:
    with pytest.raises(InvalidRequestError, match="deepseek-chat has no built-in tool"):
        make_llm(model="deepseek-chat").chat_with_tools([DeepSeekWebSearchTool()], user_msg="x")
    assert emulator.chat_requests == []


def test_the_tool_itself_never_runs() -> None:
    tool = DeepSeekWebSearchTool()
    assert tool.metadata.name == "deepseek_web_search"
    output = tool({"query": "x"})
    assert output.is_error
    assert "runs on the DeepSeek service" in output.content
    assert asyncio.run(tool.acall({"query": "x"})).is_error


def test_the_reply_has_citations_raw_entries_and_counts(
    make_llm: MakeLLM, emulator: Emulator
) -> None:
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = _flash(make_llm)
    response = llm.chat_with_tools([DeepSeekWebSearchTool(), WEATHER], user_msg="Any news?")
    message = response.message
    assert message.content == "Big news [1]."
    citations = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert [(c.source, c.title) for c in citations] == [
        ("https://news.example/1", "One"),
        ("https://news.example/2", "Two"),
    ]
    assert isinstance(citations[0].cited_content, TextBlock)
    assert citations[0].cited_content.text == "s1"
    assert citations[1].additional_location_info == {"server_tool_call": 0, "rank": 2}
    assert not any(isinstance(b, ToolCallBlock) for b in message.blocks)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    assert message.additional_kwargs["server_tool_results"][0]["content"] == HITS
    assert response.additional_kwargs["builtin_tool_calls"] == {"deepseek_web_search": 1}


def test_the_next_request_sends_the_entries_back_unchanged(
    make_llm: MakeLLM, emulator: Emulator
) -> None:
    llm = _flash(make_llm)
    tools = [DeepSeekWebSearchTool()]
    first = llm.chat_with_tools(tools, user_msg="Any news?").message
    history = [ChatMessage(role="user", content="Any news?"), first]
    llm.chat_with_tools(tools, user_msg="More?", chat_history=history)
    sent = emulator.chat_requests[-1].json["messages"][1]
    # The citations are not the answer: the content goes back as the service wrote it.
    assert sent["content"] == first.content
    assert sent["server_tool_calls"] == first.additional_kwargs["server_tool_calls"]
    assert sent["server_tool_results"] == first.additional_kwargs["server_tool_results"]


def test_streaming_gives_the_same_message(make_llm: MakeLLM, emulator: Emulator) -> None:
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = _flash(make_llm)
    tools = [DeepSeekWebSearchTool()]
    whole = llm.chat_with_tools(tools, user_msg="Any news?")
    responses = list(llm.stream_chat_with_tools(tools, user_msg="Any news?"))
    last = responses[-1]
    streamed, expected = last.message, whole.message
    assert streamed.content == expected.content
    assert [b.source for b in streamed.blocks if isinstance(b, CitationBlock)] == [
        b.source for b in expected.blocks if isinstance(b, CitationBlock)
    ]
    strip = lambda e: {k: v for k, v in e.items() if k not in ("id", "tool_call_id")}  # noqa: E731
    for name in ("server_tool_calls", "server_tool_results"):
        assert [strip(e) for e in streamed.additional_kwargs[name]] == [
            strip(e) for e in expected.additional_kwargs[name]
        ]
    assert last.additional_kwargs["builtin_tool_calls"] == {"deepseek_web_search": 1}


def test_a_function_agent_runs_with_a_search_and_a_function(
    make_llm: MakeLLM, emulator: Emulator
) -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    emulator.script.reply_web_search(
        "paris weather", HITS, tool_calls=[("get_weather", {"city": "Paris"})]
    ).reply_text("Sunny in Paris [1].")
    agent = FunctionAgent(tools=[DeepSeekWebSearchTool(), WEATHER], llm=_flash(make_llm))

    async def run() -> str:
        return str(await agent.run("Weather in Paris?"))

    assert asyncio.run(run()) == "Sunny in Paris [1]."
    first, second = (r.json for r in emulator.chat_requests)
    assert {"type": "deepseek_web_search"} in first["tools"]
    turn = next(m for m in second["messages"] if m["role"] == "assistant")
    assert [c["function"]["name"] for c in turn["tool_calls"]] == ["get_weather"]
    assert turn["server_tool_results"][0]["content"] == HITS
    tool_message = second["messages"][-1]
    assert tool_message == {
        "role": "tool",
        "content": "It is sunny in Paris.",
        "tool_call_id": turn["tool_calls"][0]["id"],
    }


@pytest.mark.parametrize("stream", [False, True])
def test_unmodelled_reply_fields_go_back_as_they_came(stream: bool) -> None:
    from tests.core.test_builtin_tools import UNKNOWN, _service

    sent: list[dict[str, Any]] = []
    llm = DeepSeekAPI(model="deepseek-flash", api_key="sk-test", transport=_service(sent))
    ask = ChatMessage(role="user", content="Find it")
    first = list(llm.stream_chat([ask]))[-1].message if stream else llm.chat([ask]).message
    assert first.additional_kwargs["extra_message_fields"] == UNKNOWN
    llm.chat([ask, first, ChatMessage(role="user", content="More?")])
    assert sent[-1]["messages"][1] == {"role": "assistant", "content": "Found it [1].", **UNKNOWN}
