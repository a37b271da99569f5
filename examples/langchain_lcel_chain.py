"""An LCEL chain with ChatDeepSeekAPI: prompt | model | parser, then batch, stream, retries and
a fallback model.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator.

    python examples/langchain_lcel_chain.py
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_deepseekapi import ChatDeepSeekAPI


def make_llm(**options: Any) -> ChatDeepSeekAPI:
    """A model for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return ChatDeepSeekAPI(**options)
    from deepseekapi_core.testing import Emulator

    return ChatDeepSeekAPI(api_key="sk-emulator", transport=Emulator().transport(), **options)


def main() -> None:
    if not (os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY")):
        print("(no API key set: using the offline emulator; replies are emulated)")
    llm = make_llm(model="deepseek-chat", temperature=0.3)
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You translate English to {language}. Reply with the translation only."),
            ("human", "{text}"),
        ]
    )
    chain = prompt | llm | StrOutputParser()

    print("invoke:", chain.invoke({"language": "French", "text": "Good morning"}))

    for answer in chain.batch(
        [{"language": "German", "text": "Thank you"}, {"language": "Spanish", "text": "Goodbye"}]
    ):
        print("batch: ", answer)

    print("stream:", end=" ", flush=True)
    for piece in chain.stream({"language": "Italian", "text": "See you tomorrow"}):
        print(piece, end="", flush=True)
    print()

    # Retries of transient errors happen in the core (max_retries); with_retry and
    # with_fallbacks compose on top, e.g. falling back to the reasoner.
    robust = (
        prompt
        | llm.with_retry(stop_after_attempt=2).with_fallbacks([make_llm(model="deepseek-reasoner")])
        | StrOutputParser()
    )
    print("robust:", robust.invoke({"language": "Portuguese", "text": "Welcome"}))


if __name__ == "__main__":
    main()
