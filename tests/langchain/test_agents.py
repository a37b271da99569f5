"""Full agent loops against the strict emulator: LangChain's create_agent and LangGraph's
prebuilt ReAct agent, with deepseek-chat and with the reasoner in thinking mode.

The emulator answers 400 when a thinking-mode tool-call turn comes back without its
``reasoning_content`` (as the service does; langchain-ai/langchain 34166, 37713, 39370), so a
loop that survives to its final answer proves the reasoning was carried back.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool

from deepseekapi_core import BadRequestError
from deepseekapi_core.testing import Emulator

from .conftest import ModelFactory

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # create_react_agent is deprecated in favour of create_agent
    from langgraph.prebuilt import create_react_agent


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny and 22C in {city}."


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"It is 14:05 in {city}."


def build_create_agent(llm: Any) -> Any:
    return create_agent(llm, [get_weather, get_time], system_prompt="You are a helpful assistant.")


def build_react_agent(llm: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_react_agent(llm, [get_weather, get_time])


AGENTS: dict[str, Callable[[Any], Any]] = {
    "create_agent": build_create_agent,
    "react_agent": build_react_agent,
}
MODELS = ["deepseek-chat", "deepseek-reasoner"]


def assistant_turns(emulator: Emulator) -> list[list[dict[str, Any]]]:
    """The assistant messages of each request, as sent."""
    return [
        [m for m in request.json["messages"] if m["role"] == "assistant"]
        for request in emulator.chat_requests
    ]


def check_loop(result: dict[str, Any], emulator: Emulator, model: str) -> None:
    messages = result["messages"]
    calls = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    tools = [m for m in messages if isinstance(m, ToolMessage)]
    assert calls and tools, "the agent did not call a tool"
    assert "sunny" in tools[0].content
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "sunny" in str(final.content)
    assert len(emulator.chat_requests) >= 2
    sent_back = assistant_turns(emulator)[1][0]
    if model == "deepseek-reasoner":
        reasoning = calls[0].additional_kwargs["reasoning_content"]
        assert reasoning
        assert sent_back["reasoning_content"] == reasoning
        assert final.content_blocks[0]["type"] == "reasoning"
    else:
        assert "reasoning_content" not in sent_back


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("agent_name", list(AGENTS))
def test_agent_loop(
    agent_name: str, model: str, make_llm: ModelFactory, emulator: Emulator
) -> None:
    agent = AGENTS[agent_name](make_llm(model=model))
    result = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    check_loop(result, emulator, model)


@pytest.mark.parametrize("agent_name", list(AGENTS))
async def test_agent_loop_async_reasoner(
    agent_name: str, make_llm: ModelFactory, emulator: Emulator
) -> None:
    agent = AGENTS[agent_name](make_llm(model="deepseek-reasoner"))
    result = await agent.ainvoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    check_loop(result, emulator, "deepseek-reasoner")


def test_streamed_agent_with_the_reasoner(make_llm: ModelFactory, emulator: Emulator) -> None:
    agent = build_create_agent(make_llm(model="deepseek-reasoner", streaming=True))
    reasoning_pieces: list[str] = []
    tool_chunks = 0
    for message, _metadata in agent.stream(
        {"messages": [HumanMessage("What is the weather in Paris?")]}, stream_mode="messages"
    ):
        if isinstance(message, AIMessageChunk):
            reasoning_pieces.append(message.additional_kwargs.get("reasoning_content", ""))
            tool_chunks += len(message.tool_call_chunks)
    assert "".join(reasoning_pieces)
    assert tool_chunks >= 1
    assert all(r.json["stream"] is True for r in emulator.chat_requests)
    assert assistant_turns(emulator)[1][0]["reasoning_content"]


def test_next_user_turn_keeps_earlier_tool_turn_reasoning(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    agent = build_create_agent(make_llm(model="deepseek-reasoner"))
    first = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    history = [*first["messages"], HumanMessage("And what time is it in Paris?")]
    second = agent.invoke({"messages": history})
    assert isinstance(second["messages"][-1], AIMessage)
    # every assistant turn in every later request carried reasoning back
    for turns in assistant_turns(emulator)[2:]:
        assert turns and all("reasoning_content" in turn for turn in turns)


def test_parallel_tool_calls_in_one_turn(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_tool_calls(
        [("get_weather", {"city": "Paris"}), ("get_time", {"city": "Paris"})]
    )
    agent = build_create_agent(make_llm(model="deepseek-reasoner"))
    result = agent.invoke({"messages": [HumanMessage("Weather and time in Paris?")]})
    tools = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert sorted(m.name or "" for m in tools) == ["get_time", "get_weather"]
    second = emulator.chat_requests[1].json["messages"]
    assert [m["role"] for m in second[-3:]] == ["assistant", "tool", "tool"]


def test_the_emulator_is_strict_without_reasoning(make_llm: ModelFactory) -> None:
    """Control: with reasoning stripped, the same loop dies on its second step."""
    agent = build_create_agent(make_llm(model="deepseek-reasoner", reasoning_replay="never"))
    with pytest.raises(BadRequestError, match="reasoning_content"):
        agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
