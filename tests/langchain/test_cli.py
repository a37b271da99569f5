"""The LangChain hooks of ``deepseekapi demo`` and ``deepseekapi chat --via langchain``."""

from __future__ import annotations

from deepseekapi_core.cli import HookContext, demo
from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import _cli

from .conftest import KEY


def test_run_demo_runs_every_step_offline(emulator: Emulator) -> None:
    written: list[str] = []
    transport = emulator.transport()
    _cli.run_demo(HookContext(transport, transport, KEY, written.append))
    text = "".join(written)
    for step in (
        "LCEL chain",
        "Streamed reasoner",
        "Agent with a tool",
        "RAG-style chain",
        "Built-in web search",
    ):
        assert step in text
    assert "reasoning: [emulated reasoning]" in text
    assert "tool call: get_weather({'city': 'Lisbon'})" in text
    assert "tool result: Sunny and 22 °C in Lisbon." in text
    assert f"embedding: {demo.load_embedding().name}\n" in text
    assert "retrieved: tools.md, reasoner.md" in text
    assert text.count("answer: ") == 5
    assert "service tool call: deepseek_web_search(" in text
    models = [r.json["model"] for r in emulator.chat_requests]
    assert "deepseek-reasoner" in models and "deepseek-chat" in models
    # the agent's second step carried the reasoner's reasoning back
    agent_steps = [
        r.json
        for r in emulator.chat_requests
        if r.json.get("tools") and r.json["model"] == "deepseek-reasoner"
    ]
    assert len(agent_steps) == 2
    assistant = [m for m in agent_steps[1]["messages"] if m["role"] == "assistant"]
    assert assistant[0]["reasoning_content"]


def test_chat_streams_reasoning_apart(emulator: Emulator) -> None:
    written: list[str] = []
    context = HookContext(emulator.transport(), None, KEY, written.append)
    _cli.chat(context, "Is 7 prime?", "deepseek-reasoner")
    text = "".join(written)
    assert text.startswith("reasoning: [emulated reasoning]")
    assert "\nanswer: " in text
    assert "reasoning), 0 prompt tokens from the cache\n" in text  # the usage, last
    assert len(written) > 4  # streamed piece by piece
    assert emulator.chat_requests[0].json["stream"] is True


def test_chat_without_reasoning(emulator: Emulator) -> None:
    written: list[str] = []
    _cli.chat(HookContext(emulator.transport(), None, KEY, written.append), "Hi", "deepseek-chat")
    text = "".join(written)
    assert "reasoning:" not in text and text.startswith("answer: ")
    assert text.endswith("\n") and "Hi" in text
