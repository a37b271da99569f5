"""The LangChain part of the ``deepseekapi`` command (``demo`` and ``chat --via langchain``).

Implements the adapter hooks described in :mod:`deepseekapi_core.cli`: ``run_demo`` and
``chat``, with keyword-only arguments. Nothing here runs at import time.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator

import httpx
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.tools import tool

from deepseekapi_core.cli import connection_options, write_reply

from ._chat_model import ChatDeepSeekAPI

__all__ = ["chat", "run_demo"]

Out = Callable[[str], None]

_DOCUMENTS = [
    Document(
        "deepseek-chat is DeepSeek's general chat model; in the V4 era it is deepseek-v4-flash "
        "with thinking disabled.",
        metadata={"source": "models.md"},
    ),
    Document(
        "deepseek-reasoner thinks before it answers; its reasoning comes back in "
        "reasoning_content, apart from the answer.",
        metadata={"source": "reasoner.md"},
    ),
    Document(
        "In thinking mode with tools, each tool-call turn must send its reasoning_content back, "
        "or the service answers 400.",
        metadata={"source": "tools.md"},
    ),
    Document(
        "JSON Output is turned on with response_format {'type': 'json_object'}; the prompt must "
        "mention JSON.",
        metadata={"source": "json.md"},
    ),
]
_WORD = re.compile(r"[a-z_]{3,}")


def _retrieve(question: str, k: int = 2) -> list[Document]:
    """A tiny keyword retriever: the documents sharing the most words with the question."""
    words = set(_WORD.findall(question.lower()))
    scored = sorted(
        _DOCUMENTS,
        key=lambda doc: len(words & set(_WORD.findall(doc.page_content.lower()))),
        reverse=True,
    )
    return scored[:k]


def _format_documents(docs: list[Document]) -> str:
    return "\n".join(f"[{doc.metadata['source']}] {doc.page_content}" for doc in docs)


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 °C in {city}."


def run_demo(
    *,
    transport: httpx.BaseTransport | None,
    async_transport: httpx.AsyncBaseTransport | None,
    api_key: str | None,
    out: Out,
) -> None:
    """Run an LCEL chain, a streamed reasoner, an agent with a tool and a RAG-style chain."""
    options = connection_options(transport, api_key, async_transport)
    chat_model = ChatDeepSeekAPI(model="deepseek-chat", **options)
    reasoner = ChatDeepSeekAPI(model="deepseek-reasoner", **options)

    out("  • LCEL chain (prompt | ChatDeepSeekAPI | StrOutputParser)\n")
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a concise assistant."), ("human", "{question}")]
    )
    chain = prompt | chat_model | StrOutputParser()
    answer = chain.invoke({"question": "Name one use of a vector database, in one sentence."})
    out(f"    answer: {_one_line(answer)}\n")

    out("  • Streamed reasoner (deepseek-reasoner: reasoning shown apart from the answer)\n")
    chunks: list[AIMessageChunk] = []
    write_reply(_parts(reasoner, "Is 91 a prime number?", chunks), out, indent="    ")
    usage = next((chunk.usage_metadata for chunk in chunks if chunk.usage_metadata), None)
    if usage is not None:
        reasoning_tokens = (usage.get("output_token_details") or {}).get("reasoning", 0)
        out(
            f"    usage: {usage['input_tokens']} in, {usage['output_tokens']} out "
            f"({reasoning_tokens} reasoning)\n"
        )

    out("  • Agent with a tool (langchain.agents.create_agent, deepseek-reasoner)\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain.agents import create_agent

    agent = create_agent(reasoner, [get_weather], system_prompt="Use tools when they help.")
    result = agent.invoke({"messages": [("user", "What is the weather in Lisbon?")]})
    for message in result["messages"]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                out(f"    tool call: {call['name']}({call['args']})\n")
        elif isinstance(message, ToolMessage):
            out(f"    tool result: {_one_line(str(message.content))}\n")
    final = result["messages"][-1]
    out(f"    answer: {_one_line(str(final.content))}\n")

    out("  • RAG-style chain (retriever | prompt | ChatDeepSeekAPI)\n")
    question = "Why must reasoning_content be sent back when tools are used?"
    rag_prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer from the context only.\n\nContext:\n{context}"),
            ("human", "{question}"),
        ]
    )
    rag = (
        {
            "context": RunnableLambda(_retrieve) | RunnableLambda(_format_documents),
            "question": RunnablePassthrough(),
        }
        | rag_prompt
        | chat_model
        | StrOutputParser()
    )
    sources = ", ".join(doc.metadata["source"] for doc in _retrieve(question))
    out(f"    retrieved: {sources}\n")
    out(f"    answer: {_one_line(rag.invoke(question))}\n")


def _parts(
    llm: ChatDeepSeekAPI, prompt: str, seen: list[AIMessageChunk] | None = None
) -> Iterator[tuple[str | None, str]]:
    """The streamed reply as (reasoning, answer) deltas."""
    for chunk in llm.stream(prompt):
        assert isinstance(chunk, AIMessageChunk)
        if seen is not None:
            seen.append(chunk)
        yield chunk.additional_kwargs.get("reasoning_content"), str(chunk.content)


def chat(
    prompt: str,
    *,
    model: str,
    transport: httpx.BaseTransport | None,
    api_key: str | None,
    out: Out,
) -> None:
    """Stream one reply through ``ChatDeepSeekAPI``, reasoning apart from the answer."""
    llm = ChatDeepSeekAPI(model=model, **connection_options(transport, api_key))
    write_reply(_parts(llm, prompt), out)
