"""A LlamaIndex FunctionAgent with tools, on deepseek-chat and on the reasoner (thinking mode).

The reasoner's tool-call turns must carry their reasoning back to the service (it answers 400
otherwise); DeepSeekAPI does that for you, across every step of the loop and across runs that
share memory.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator.

    python examples/llama_index_agent.py
"""

from __future__ import annotations

import asyncio
import os

from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.memory import ChatMemoryBuffer

from llama_index_deepseekapi import DeepSeekAPI


def make_llm(model: str) -> DeepSeekAPI:
    """A DeepSeekAPI for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return DeepSeekAPI(model=model)
    from deepseekapi_core.testing import Emulator

    return DeepSeekAPI(model=model, api_key="sk-emulator", transport=Emulator().transport())


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


async def run(model: str) -> None:
    llm = make_llm(model)
    agent = FunctionAgent(
        tools=[multiply, add],
        llm=llm,
        system_prompt="You are a careful calculator. Use the tools for arithmetic.",
    )
    memory = ChatMemoryBuffer.from_defaults(llm=llm)
    for question in ("What is 12.5 times 4?", "Now add 7 to that."):
        print(f"[{model}] user: {question}")
        handler = agent.run(question, memory=memory)
        async for event in handler.stream_events():
            if isinstance(event, AgentStream) and event.thinking_delta:
                print(event.thinking_delta, end="", flush=True)
            elif isinstance(event, ToolCallResult):
                print(f"\n  tool {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}")
        print(f"\n[{model}] agent: {await handler}\n")


async def main() -> None:
    if not (os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY")):
        print("(no API key set: using the offline emulator)")
    await run("deepseek-chat")
    await run("deepseek-reasoner")


if __name__ == "__main__":
    asyncio.run(main())
