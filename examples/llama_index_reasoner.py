"""Stream deepseek-reasoner through LlamaIndex: the reasoning as it arrives, then the answer,
then token usage (including reasoning tokens and context-cache hits).

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator.

    python examples/llama_index_reasoner.py
"""

from __future__ import annotations

import os

from llama_index.core.base.llms.types import ThinkingBlock
from llama_index.core.llms import ChatMessage

from llama_index_deepseekapi import DeepSeekAPI


def make_llm() -> DeepSeekAPI:
    """A reasoner for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return DeepSeekAPI(model="deepseek-reasoner")
    from deepseekapi_core.testing import Emulator

    print("(no API key set: using the offline emulator)")
    return DeepSeekAPI(
        model="deepseek-reasoner", api_key="sk-emulator", transport=Emulator().transport()
    )


def main() -> None:
    llm = make_llm()
    messages = [ChatMessage(role="user", content="Is 9.11 larger than 9.9? Explain briefly.")]

    print("reasoning: ", end="", flush=True)
    answering = False
    last = None
    for last in llm.stream_chat(messages):
        thought = last.additional_kwargs.get("thinking_delta")
        if thought:
            print(thought, end="", flush=True)
        if last.delta:
            if not answering:
                print("\n\nanswer: ", end="", flush=True)
                answering = True
            print(last.delta, end="", flush=True)
    print()
    assert last is not None

    # The final message holds the reasoning as a thinking block and in additional_kwargs.
    thinking = [b for b in last.message.blocks if isinstance(b, ThinkingBlock)]
    print(f"\nthinking blocks: {len(thinking)}")
    usage = last.additional_kwargs
    print(
        f"tokens: {usage['prompt_tokens']} prompt ({usage['prompt_cache_hit_tokens']} cached), "
        f"{usage['completion_tokens']} completion ({usage['reasoning_tokens']} reasoning)"
    )

    # A follow-up turn: the earlier reasoning is not sent back (the service's rules say so
    # when no tools are involved); DeepSeekAPI decides that for you.
    follow_up = llm.chat([*messages, last.message, ChatMessage(role="user", content="Sure?")])
    print("follow-up:", follow_up.message.content)


if __name__ == "__main__":
    main()
