"""The LlamaIndex part of the ``deepseekapi`` command (``demo`` and ``chat --via llama-index``).

Implements the hook protocol documented in :mod:`deepseekapi_core.cli`: ``run_demo`` runs a RAG
query, a ``FunctionAgent`` tool loop and a streamed reasoner reply; ``chat`` streams one reply
with the reasoning shown apart from the answer. Both run against whatever ``transport`` the
command hands over (the offline emulator, or None for the real service).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import ChatMessage

from ._llm import DeepSeekAPI

if TYPE_CHECKING:
    import httpx

__all__ = ["HashingEmbedding", "chat", "run_demo"]

_WORD = re.compile(r"[a-z0-9]+")

DEMO_DOCUMENTS = (
    "DeepSeekAPI is a LlamaIndex LLM for DeepSeek's chat models: deepseek-chat and "
    "deepseek-reasoner. It supports tools, streaming and structured output.",
    "The reasoner model thinks before it answers. Its reasoning arrives as thinking blocks "
    "and in additional_kwargs['reasoning_content'].",
    "The emulator is an offline stand-in for the DeepSeek API, used by tests and by this demo "
    "when no API key is set.",
)


class HashingEmbedding(BaseEmbedding):
    """A tiny offline embedding: hashed word counts, normalised. Good enough for a demo.

    DeepSeek offers no embedding endpoint, so the demo needs one that runs anywhere.
    """

    dimensions: int = Field(default=256, gt=0, description="Vector size.")

    @classmethod
    def class_name(cls) -> str:
        """The name llama-index serialises this embedding under."""
        return "HashingEmbedding"

    def _vector(self, text: str) -> Embedding:
        vector = [0.0] * self.dimensions
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.dimensions] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._vector(text)


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def _stream(llm: DeepSeekAPI, prompt: str, out: Callable[[str], None], indent: str) -> None:
    """Stream a reply, reasoning first, then the answer, each labelled once; then its tokens."""
    from deepseekapi_core.cli import write_reply

    usage: dict[str, Any] = {}

    def parts() -> Iterator[tuple[str | None, str | None]]:
        nonlocal usage
        for response in llm.stream_chat([ChatMessage(role="user", content=prompt)]):
            if "total_tokens" in response.additional_kwargs:
                usage = response.additional_kwargs
            yield response.additional_kwargs.get("thinking_delta"), response.delta

    write_reply(parts(), out, indent=indent)
    if usage:
        out(
            f"{indent}tokens: {usage['prompt_tokens']} prompt, "
            f"{usage['completion_tokens']} completion ({usage['reasoning_tokens']} reasoning), "
            f"{usage['prompt_cache_hit_tokens']} prompt tokens from the cache\n"
        )


def run_demo(
    *,
    transport: httpx.BaseTransport | None,
    async_transport: httpx.AsyncBaseTransport | None,
    api_key: str | None,
    out: Callable[[str], None],
) -> None:
    """Run a RAG query, a FunctionAgent tool loop and a streamed reasoner reply."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

    from deepseekapi_core.cli import connection_options

    options = connection_options(transport, api_key, async_transport)
    chat_llm = DeepSeekAPI(model="deepseek-chat", **options)
    reasoner = DeepSeekAPI(model="deepseek-reasoner", **options)

    out("  RAG: VectorStoreIndex over 3 documents (offline hashing embedding), deepseek-chat\n")
    index = VectorStoreIndex.from_documents(
        [Document(text=text) for text in DEMO_DOCUMENTS], embed_model=HashingEmbedding()
    )
    question = "How does the reasoner show its reasoning?"
    response = index.as_query_engine(llm=chat_llm, similarity_top_k=1).query(question)
    out(f"  question: {question}\n")
    for node in response.source_nodes:
        out(f"  retrieved: {node.node.get_content()[:70]}...\n")
    out(f"  answer: {response}\n")

    out("  FunctionAgent with multiply/add tools, deepseek-reasoner in thinking mode\n")

    async def agent_run() -> str:
        agent = FunctionAgent(tools=[multiply, add], llm=reasoner)
        handler = agent.run("What is 12.5 times 4?")
        async for event in handler.stream_events():
            if isinstance(event, ToolCallResult):
                out(
                    f"  tool call: {event.tool_name}({event.tool_kwargs}) -> "
                    f"{event.tool_output.content}\n"
                )
        return str(await handler)

    out(f"  agent answer: {asyncio.run(agent_run())}\n")

    out("  Streamed reply from deepseek-reasoner\n")
    _stream(reasoner, "Is 91 a prime number?", out, "  ")


def chat(
    prompt: str,
    *,
    model: str,
    transport: httpx.BaseTransport | None,
    api_key: str | None,
    out: Callable[[str], None],
) -> None:
    """Stream one reply to ``prompt`` through LlamaIndex, reasoning apart from the answer."""
    from deepseekapi_core.cli import connection_options

    _stream(DeepSeekAPI(model=model, **connection_options(transport, api_key)), prompt, out, "")
