"""Agents of both frameworks finish a tool loop against the emulator (call once, then answer)."""

from __future__ import annotations

import pytest

from deepseekapi_core.testing import Emulator


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
def test_langchain_agent_tool_loop(model: str) -> None:
    pytest.importorskip("langchain.agents")
    adapter = pytest.importorskip("langchain_deepseekapi")
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return f"It is sunny and 22 C in {city}."

    emulator = Emulator()
    llm = adapter.ChatDeepSeekAPI(model=model, api_key="k", transport=emulator.transport())
    agent = create_agent(llm, [get_weather])
    result = agent.invoke({"messages": [("user", "What's the weather in Paris?")]})
    kinds = [type(m).__name__ for m in result["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert result["messages"][1].tool_calls[0]["args"] == {"city": "Paris"}
    assert "sunny and 22 C in Paris" in result["messages"][-1].content
    assert emulator.request_count == 2


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
async def test_llama_index_function_agent_tool_loop(model: str) -> None:
    pytest.importorskip("llama_index.core.agent.workflow")
    adapter = pytest.importorskip("llama_index_deepseekapi")
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.tools import FunctionTool

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    emulator = Emulator()
    llm = adapter.DeepSeekAPI(model=model, api_key="k", async_transport=emulator.transport())
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm)
    answer = await agent.run("What is 6 times 7?")
    assert "42" in str(answer)
    assert emulator.request_count == 2
