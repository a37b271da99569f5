"""Stream deepseek-reasoner through LangChain: reasoning live (through a callback handler, as a
UI would show it), then the answer, usage, and the reasoning as a standard content block.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator.

    python examples/langchain_streaming_reasoner.py
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGenerationChunk

from langchain_deepseekapi import ChatDeepSeekAPI


def make_llm(**options: Any) -> ChatDeepSeekAPI:
    """A model for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return ChatDeepSeekAPI(**options)
    from deepseekapi_core.testing import Emulator

    print("(no API key set: using the offline emulator; replies are emulated)")
    return ChatDeepSeekAPI(api_key="sk-emulator", transport=Emulator().transport(), **options)


class ShowThinking(BaseCallbackHandler):
    """Prints reasoning deltas as they arrive (every chunk reaches on_llm_new_token)."""

    def __init__(self) -> None:
        self.started = False

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        if isinstance(chunk, ChatGenerationChunk):
            reasoning = chunk.message.additional_kwargs.get("reasoning_content")
            if reasoning:
                if not self.started:
                    print("thinking: ", end="")
                    self.started = True
                print(reasoning, end="", flush=True)


def main() -> None:
    llm = make_llm(model="deepseek-reasoner")
    question = [HumanMessage("Is 9.11 larger than 9.9? Explain briefly.")]

    full: AIMessageChunk | None = None
    answering = False
    for chunk in llm.stream(question, config={"callbacks": [ShowThinking()]}):
        if chunk.content:
            if not answering:
                print("\n\nanswer: ", end="")
                answering = True
            print(chunk.content, end="", flush=True)
        full = chunk if full is None else full + chunk
    print()
    assert full is not None

    usage = full.usage_metadata or {}
    details = usage.get("output_token_details") or {}
    cache = usage.get("input_token_details") or {}
    print(
        f"\ntokens: {usage.get('input_tokens')} in ({cache.get('cache_read', 0)} cached), "
        f"{usage.get('output_tokens')} out ({details.get('reasoning', 0)} reasoning)"
    )
    print("content blocks:", [block["type"] for block in full.content_blocks])
    print("model:", full.response_metadata.get("model_name"))

    # A follow-up turn: earlier reasoning goes back only when the service requires it
    # (thinking-mode tool calls); here it is left out, as the service asks.
    follow_up = llm.invoke([*question, full, HumanMessage("And is 9.11 > 9.2?")])
    print("follow-up:", follow_up.content)


if __name__ == "__main__":
    main()
