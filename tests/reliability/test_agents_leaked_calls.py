"""Agents finish their tool loop when the first step's tool call leaked into ``content``.

Each leaked shape (wire notes 1.16) is injected on the emulator's first reply (its
``leaked_tool_call`` fault on a scripted call); the core
recovers the call, the agent runs the tool, and the emulator's next reply (built from the tool
result) is the final answer. Without recovery the agent would end at once with the markup as
its "final answer" (checked too).
"""

from __future__ import annotations

from typing import Any

import pytest

from deepseekapi_core.testing import Emulator

from .harness import API_KEY

BAR = "\uff5c"
ARGS = {"city": "Paris"}
SHAPES = ("dsml", "tool_call_tag", "fenced_json", "bare_json")
WEATHER = "It is sunny and 22C in Paris."


def _emulator(shape: str) -> Emulator:
    """The emulator's own fault: its first tool-calling reply leaks the call in ``shape``."""
    emulator = Emulator(api_key=API_KEY)
    emulator.script.reply_tool_call("get_weather", ARGS)
    emulator.faults.leaked_tool_call(shape)
    return emulator


def _tool_results(emulator: Emulator) -> list[str]:
    """The tool results the agent sent back to the service."""
    return [
        message["content"]
        for request in emulator.chat_requests
        for message in request.json["messages"]
        if message["role"] == "tool"
    ]


# --------------------------------------------------------------------------------------------
# LangChain create_agent


def _langchain_agent(emulator: Emulator, **options: Any) -> Any:
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    from langchain_deepseekapi import ChatDeepSeekAPI

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return f"It is sunny and 22C in {city}."

    llm = ChatDeepSeekAPI(
        model="deepseek-chat", api_key=API_KEY, transport=emulator.transport(), **options
    )
    return create_agent(llm, [get_weather], system_prompt="You are a helpful assistant.")


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_langchain_create_agent_recovers_a_leaked_first_call(shape: str, streaming: bool) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    emulator = _emulator(shape)
    agent = _langchain_agent(emulator, streaming=streaming)
    result = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    messages = result["messages"]
    call_turn = next(m for m in messages if isinstance(m, AIMessage) and m.tool_calls)
    assert call_turn.tool_calls[0]["name"] == "get_weather"
    assert call_turn.tool_calls[0]["args"] == ARGS
    assert call_turn.response_metadata["tool_calls_recovered"] == shape
    assert [m.content for m in messages if isinstance(m, ToolMessage)] == [WEATHER]
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "sunny" in str(final.content)
    assert _tool_results(emulator) == [WEATHER]


async def test_langchain_create_agent_async_recovers_a_leaked_first_call() -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    emulator = _emulator("dsml")
    agent = _langchain_agent(emulator)
    result = await agent.ainvoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    final = result["messages"][-1]
    assert isinstance(final, AIMessage) and "sunny" in str(final.content)
    assert _tool_results(emulator) == [WEATHER]


def test_langchain_agent_without_recovery_ends_with_the_markup() -> None:
    """Control: the defect recovery fixes (the markup becomes the "final answer")."""
    from langchain_core.messages import HumanMessage

    emulator = _emulator("dsml")
    agent = _langchain_agent(emulator, recover_tool_calls=False)
    result = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    final = result["messages"][-1].content
    assert final.startswith(f"<{BAR}DSML{BAR}tool_calls>") and "get_weather" in final
    assert _tool_results(emulator) == []


# --------------------------------------------------------------------------------------------
# LlamaIndex FunctionAgent


def _llama_agent(emulator: Emulator, streaming: bool, **options: Any) -> Any:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.tools import FunctionTool

    from llama_index_deepseekapi import DeepSeekAPI

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return f"It is sunny and 22C in {city}."

    llm = DeepSeekAPI("deepseek-chat", api_key=API_KEY, transport=emulator.transport(), **options)
    return FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=get_weather)], llm=llm, streaming=streaming
    )


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("shape", list(SHAPES))
async def test_llama_index_function_agent_recovers_a_leaked_first_call(
    shape: str, streaming: bool
) -> None:
    from llama_index.core.agent.workflow import ToolCallResult

    emulator = _emulator(shape)
    agent = _llama_agent(emulator, streaming)
    handler = agent.run("What is the weather in Paris?")
    results: list[Any] = []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            results.append(event)
    output = await handler
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("get_weather", ARGS, WEATHER)
    ]
    assert "sunny" in str(output)
    assert _tool_results(emulator) == [WEATHER]


async def test_llama_index_agent_without_recovery_ends_with_the_markup() -> None:
    emulator = _emulator("tool_call_tag")
    agent = _llama_agent(emulator, False, recover_tool_calls=False)
    output = await agent.run("What is the weather in Paris?")
    assert str(output).startswith("<tool_call>") and "get_weather" in str(output)
    assert _tool_results(emulator) == []
