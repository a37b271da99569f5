"""A tool-calling agent with LangChain's create_agent, first with deepseek-chat, then with
deepseek-reasoner in thinking mode (whose tool-call turns must carry their reasoning back; the
adapter and core do that, so the loop does not die with a 400 on its second step).

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator (which is as strict as the service about that reasoning).

    python examples/langchain_agent.py
"""

from __future__ import annotations

import os
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from langchain_deepseekapi import ChatDeepSeekAPI


def make_llm(**options: Any) -> ChatDeepSeekAPI:
    """A model for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return ChatDeepSeekAPI(**options)
    from deepseekapi_core.testing import Emulator

    return ChatDeepSeekAPI(api_key="sk-emulator", transport=Emulator().transport(), **options)


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 °C in {city}."


@tool
def convert_celsius(celsius: float) -> str:
    """Convert a temperature from Celsius to Fahrenheit."""
    return f"{celsius * 9 / 5 + 32:.1f} °F"


def run(model: str) -> None:
    print(f"\n== {model}")
    agent = create_agent(
        make_llm(model=model),
        [get_weather, convert_celsius],
        system_prompt="You are a helpful assistant. Use the tools when they help.",
    )
    result = agent.invoke({"messages": [("user", "What is the weather in Lisbon?")]})
    for message in result["messages"]:
        if isinstance(message, AIMessage):
            reasoning = message.additional_kwargs.get("reasoning_content")
            if reasoning:
                print(f"thinking: {reasoning[:120]}")
            for call in message.tool_calls:
                print(f"tool call: {call['name']}({call['args']})")
            if message.content:
                print(f"answer: {message.content}")
        elif isinstance(message, ToolMessage):
            print(f"tool result: {message.content}")


def main() -> None:
    if not (os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY")):
        print("(no API key set: using the offline emulator; replies are emulated)")
    run("deepseek-chat")
    run("deepseek-reasoner")


if __name__ == "__main__":
    main()
