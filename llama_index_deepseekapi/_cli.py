"""The LlamaIndex part of the ``deepseekapi`` command (``demo`` and ``chat --via llama-index``).

Implements the adapter hooks described in :mod:`deepseekapi_core.cli`: ``run_demo`` runs a RAG
query, a ``FunctionAgent`` tool loop and a streamed reasoner reply; ``chat`` streams one reply
with the reasoning shown apart from the answer. What the demo asks, its documents and its tools
are the core's (``deepseekapi_core.cli.demo``); this module wires them into LlamaIndex.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import ChatMessage

from deepseekapi_core.cli import HookContext, ReplyPart, demo

from ._llm import DeepSeekAPI

__all__ = ["HashingEmbedding", "OfflineEmbedding", "chat", "run_demo"]


class HashingEmbedding(BaseEmbedding):
    """The demo's offline embedding (``deepseekapi_core.cli.demo.hashed_embedding``) for
    LlamaIndex: DeepSeek offers no embedding endpoint, so the demo needs one that runs anywhere.
    """

    dimensions: int = Field(default=256, gt=0, description="Vector size.")

    @classmethod
    def class_name(cls) -> str:
        """The name llama-index serialises this embedding under."""
        return "HashingEmbedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        return demo.hashed_embedding(query, self.dimensions)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return demo.hashed_embedding(query, self.dimensions)

    def _get_text_embedding(self, text: str) -> Embedding:
        return demo.hashed_embedding(text, self.dimensions)


class OfflineEmbedding(BaseEmbedding):
    """The demo's embedding (``deepseekapi_core.cli.demo.load_embedding``) for LlamaIndex:
    WordLlama when the ``[rag]`` extra is installed (weights from its wheel, no download), else
    the hashing embedding. DeepSeek offers no embedding endpoint; this one runs anywhere.
    """

    @classmethod
    def class_name(cls) -> str:
        """The name llama-index serialises this embedding under."""
        return "OfflineEmbedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        return demo.load_embedding().embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return demo.load_embedding().embed([query])[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return demo.load_embedding().embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return demo.load_embedding().embed(texts)


def run_demo(context: HookContext) -> None:
    """Run a RAG query, a FunctionAgent tool loop and a streamed reasoner reply."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

    chat_llm = DeepSeekAPI(model="deepseek-chat", **context.model_options())
    reasoner = DeepSeekAPI(model="deepseek-reasoner", **context.model_options())

    context.step("RAG query (VectorStoreIndex, offline embedding, deepseek-chat)")
    context.show("embedding", demo.load_embedding().name)
    documents = [Document(text=doc.text, metadata={"source": doc.source}) for doc in demo.DOCUMENTS]
    index = VectorStoreIndex.from_documents(documents, embed_model=OfflineEmbedding())
    response = index.as_query_engine(llm=chat_llm, similarity_top_k=2).query(demo.RAG_QUESTION)
    sources = [found.node.metadata["source"] for found in response.source_nodes]
    context.show("retrieved", ", ".join(sources))
    context.show("answer", str(response))

    context.step("FunctionAgent with multiply/add tools (deepseek-reasoner, thinking mode)")

    async def agent_run() -> str:
        agent = FunctionAgent(
            tools=[demo.multiply, demo.add], llm=reasoner, system_prompt=demo.AGENT_SYSTEM_PROMPT
        )
        handler = agent.run(demo.MATH_QUESTION)
        async for event in handler.stream_events():
            if isinstance(event, ToolCallResult):
                context.tool_call(event.tool_name, event.tool_kwargs)
                context.show("tool result", str(event.tool_output.content))
        return str(await handler)

    context.show("answer", asyncio.run(agent_run()))

    context.step("Streamed reasoner (deepseek-reasoner: reasoning shown apart from the answer)")
    context.reply(_parts(reasoner, demo.REASONER_PROMPT))

    context.step("Built-in web search (deepseek-flash: the service searches, the answer cites)")
    _web_search(context)


def _web_search(context: HookContext) -> None:
    from llama_index.core.base.llms.types import CitationBlock

    from deepseekapi_core import DeepSeekAPIError
    from deepseekapi_core.wire import builtin_tool_calls

    from ._server_tools import DeepSeekWebSearchTool

    llm = DeepSeekAPI(model="deepseek-flash", thinking=False, **context.model_options())
    try:
        response = llm.chat_with_tools([DeepSeekWebSearchTool()], user_msg=demo.WEB_QUESTION)
    except DeepSeekAPIError as error:  # a proxy or key without the built-in tools
        context.show("skipped", str(error))
        return
    for call in builtin_tool_calls(response.message.additional_kwargs):
        context.show("service tool call", f"{call.type}({call.args})")
    sources = [b.source for b in response.message.blocks if isinstance(b, CitationBlock)]
    context.show("cited", ", ".join(sources))
    context.show("answer", response.message.content or "")


def _parts(llm: DeepSeekAPI, prompt: str) -> Iterator[ReplyPart]:
    """The streamed reply as (reasoning, answer, usage) pieces."""
    for response in llm.stream_chat([ChatMessage(role="user", content=prompt)]):
        extra = response.additional_kwargs
        yield (
            extra.get("thinking_delta"),
            response.delta,
            extra if "total_tokens" in extra else None,
        )


def chat(context: HookContext, prompt: str, model: str) -> None:
    """Stream one reply to ``prompt`` through LlamaIndex, reasoning apart from the answer."""
    context.reply(_parts(DeepSeekAPI(model=model, **context.model_options()), prompt), indent="")
