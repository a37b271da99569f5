"""Strict function calling (beta): agents whose tool schemas the service enforces.

With ``strict=True`` the tools are sent with ``"strict": true`` to DeepSeek's beta base URL
(``beta_base_url``, by default the base URL's ``/v1`` as ``/beta``), after the core has closed
each schema (every property required, optional ones nullable, ``additionalProperties: false``,
``$ref`` inlined, unsupported keywords dropped). A schema that cannot be made strict (a
free-form map, a recursive model) fails before anything is sent, naming the tool and the part.
See docs/strict_tools.md.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator (which checks strict schemas as the service documents).

    python examples/strict_tools_agent.py
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import ModelRequest, ModelResponse, wrap_model_call
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from llama_index.core.agent.workflow import FunctionAgent

from deepseekapi_core.http import StrictSchemaError
from langchain_deepseekapi import ChatDeepSeekAPI
from llama_index_deepseekapi import DeepSeekAPI

ONLINE = bool(os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"))


def offline_options() -> dict[str, Any]:
    """Where the models send their requests: the real service, or the offline emulator."""
    if ONLINE:
        return {}
    from deepseekapi_core.testing import Emulator

    return {"api_key": "sk-emulator", "transport": Emulator().transport()}


@tool
def book_table(restaurant: str, guests: int, time: str, note: str | None = None) -> str:
    """Book a table at a restaurant for a number of guests at a time (HH:MM)."""
    return f"Booked {restaurant} for {guests} at {time}" + (f" ({note})" if note else "") + "."


@wrap_model_call  # type: ignore[arg-type]
def strict_tools(
    request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
) -> ModelResponse:
    """Bind the agent's tools with strict=True (create_agent calls bind_tools itself)."""
    return handler(request.override(model_settings={**request.model_settings, "strict": True}))


def langchain_agent() -> None:
    print("\n== LangChain create_agent, strict tools")
    llm = ChatDeepSeekAPI(model="deepseek-chat", **offline_options())
    agent = create_agent(llm, [book_table], middleware=[strict_tools])
    result = agent.invoke(
        {"messages": [("user", "Book 'Casa Nostra' for 4 guests at '19:30', please.")]}
    )
    for message in result["messages"]:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                print(f"tool call: {call['name']}({call['args']})")
            if message.content:
                print(f"answer: {message.content}")
        elif isinstance(message, ToolMessage):
            print(f"tool result: {message.content}")


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


async def llama_index_agent() -> None:
    print("\n== LlamaIndex FunctionAgent, strict=True on the LLM")
    llm = DeepSeekAPI(model="deepseek-chat", strict=True, **offline_options())
    agent = FunctionAgent(tools=[multiply], llm=llm)
    print(f"answer: {await agent.run('What is 6 times 7?')}")


def refused_schema() -> None:
    print("\n== A schema strict mode cannot take")

    @tool
    def tally(counts: dict[str, int]) -> int:
        """Add up counts per name."""
        return sum(counts.values())

    llm = ChatDeepSeekAPI(model="deepseek-chat", **offline_options())
    try:
        llm.bind_tools([tally], strict=True)
    except StrictSchemaError as error:
        print(f"refused before sending: {error}")


def main() -> None:
    if not ONLINE:
        print("(no API key set: using the offline emulator; replies are emulated)")
    langchain_agent()
    asyncio.run(llama_index_agent())
    refused_schema()


if __name__ == "__main__":
    main()
