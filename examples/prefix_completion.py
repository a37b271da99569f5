"""Chat prefix completion (beta): the model continues an assistant message you start.

The guide's example (https://api-docs.deepseek.com/guides/chat_prefix_completion): start the
reply with "```python\\n" and stop at "```", so the reply is code and nothing else. Shown with
the core client, with LangChain and with LlamaIndex, then in thinking mode with the start of
the chain of thought given too. The reply holds the continuation only: the prefix is printed
in front of it here.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator.

    python examples/prefix_completion.py
"""

from __future__ import annotations

import os
from typing import Any

from deepseekapi_core import DeepSeekClient

QUESTION = "Please write quick sort code"
FENCE = "```python\n"


def connection() -> dict[str, Any]:
    """Keyword arguments for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return {}
    from deepseekapi_core.testing import Emulator

    print("(no API key set: using the offline emulator; replies are emulated)")
    return {"api_key": "sk-emulator", "transport": Emulator().transport()}


def core(conn: dict[str, Any]) -> None:
    with DeepSeekClient(**conn) as client:
        # prefix="..." appends {"role": "assistant", "content": ..., "prefix": True}; the
        # request goes to the beta base URL by itself.
        reply = client.chat(
            model="deepseek-chat",
            messages=[{"role": "user", "content": QUESTION}],
            prefix=FENCE,
            stop=["```"],
        )
        print("core:\n" + FENCE + (reply.message.content or ""))

        # Thinking mode: the prefix message's reasoning_content starts the chain of thought.
        thought = client.chat(
            model="deepseek-reasoner",
            messages=[
                {"role": "user", "content": "Is 9.11 larger than 9.9?"},
                {
                    "role": "assistant",
                    "content": "",
                    "reasoning_content": "Compare the tenths first:",
                    "prefix": True,
                },
            ],
        )
        print("thinking (continued):", thought.message.reasoning_content)
        print("answer:", thought.message.content)


def langchain(conn: dict[str, Any]) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    from langchain_deepseekapi import ChatDeepSeekAPI

    llm = ChatDeepSeekAPI(model="deepseek-chat", stop=["```"], **conn)
    # ChatMistralAI's spelling: a final AIMessage marked with additional_kwargs["prefix"].
    messages = [HumanMessage(QUESTION), AIMessage(FENCE, additional_kwargs={"prefix": True})]
    print("langchain:\n" + FENCE + str(llm.invoke(messages).content))
    streamed = "".join(
        str(chunk.content) for chunk in llm.stream([HumanMessage(QUESTION)], prefix=FENCE)
    )
    print("langchain, streamed:\n" + FENCE + streamed)


def llama_index(conn: dict[str, Any]) -> None:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    from llama_index_deepseekapi import DeepSeekAPI

    llm = DeepSeekAPI(model="deepseek-chat", additional_kwargs={"stop": ["```"]}, **conn)
    messages = [
        ChatMessage(role=MessageRole.USER, content=QUESTION),
        ChatMessage(role=MessageRole.ASSISTANT, content=FENCE, additional_kwargs={"prefix": True}),
    ]
    print("llama-index:\n" + FENCE + (llm.chat(messages).message.content or ""))
    print("llama-index, complete:\n" + FENCE + llm.complete(QUESTION, prefix=FENCE).text)


def main() -> None:
    conn = connection()
    core(conn)
    langchain(conn)
    llama_index(conn)


if __name__ == "__main__":
    main()
