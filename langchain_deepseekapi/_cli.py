"""The LangChain part of the ``deepseekapi`` command (``demo`` and ``chat --via langchain``).

Implements the adapter hooks described in :mod:`deepseekapi_core.cli`. What the demo asks, its
documents and its tool are the core's (``deepseekapi_core.cli.demo``); this module wires them
into LangChain. Nothing here runs at import time.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.tools import tool

from deepseekapi_core import DeepSeekAPIError
from deepseekapi_core.cli import HookContext, ReplyPart, demo

from ._chat_model import ChatDeepSeekAPI
from ._tokens import usage_counts

__all__ = ["chat", "run_demo"]


def run_demo(context: HookContext) -> None:
    """Run an LCEL chain, a streamed reasoner, an agent with a tool and a RAG-style chain."""
    chat_model = ChatDeepSeekAPI(model="deepseek-chat", **context.model_options())
    reasoner = ChatDeepSeekAPI(model="deepseek-reasoner", **context.model_options())

    context.step("LCEL chain (prompt | ChatDeepSeekAPI | StrOutputParser)")
    prompt = ChatPromptTemplate.from_messages(
        [("system", demo.SYSTEM_PROMPT), ("human", "{question}")]
    )
    chain = prompt | chat_model | StrOutputParser()
    context.show("answer", chain.invoke({"question": demo.CHAIN_QUESTION}))

    context.step("Streamed reasoner (deepseek-reasoner: reasoning shown apart from the answer)")
    context.reply(_parts(reasoner, demo.REASONER_PROMPT))

    context.step("Agent with a tool (langchain.agents.create_agent, deepseek-reasoner)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # langchain.agents' import-time deprecation notices
        from langchain.agents import create_agent

    tools = [tool(demo.get_weather)]
    agent = create_agent(reasoner, tools, system_prompt=demo.AGENT_SYSTEM_PROMPT)
    result = agent.invoke({"messages": [("user", demo.WEATHER_QUESTION)]})
    for message in result["messages"]:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                context.tool_call(call["name"], call["args"])
        elif isinstance(message, ToolMessage):
            context.show("tool result", str(message.content))
    context.show("answer", str(result["messages"][-1].content))

    context.step("RAG-style chain (retriever | prompt | ChatDeepSeekAPI)")
    rag_prompt = ChatPromptTemplate.from_messages(
        [("system", demo.RAG_SYSTEM_PROMPT), ("human", "{question}")]
    )
    # WordLlama with the [rag] extra, else the hashing embedding; the line below says which.
    context.show("embedding", demo.load_embedding().name)
    retriever = RunnableLambda(demo.embedding_retrieve) | RunnableLambda(demo.format_documents)
    rag = (
        {"context": retriever, "question": RunnablePassthrough()}
        | rag_prompt
        | chat_model
        | StrOutputParser()
    )
    sources = [doc.source for doc in demo.embedding_retrieve(demo.RAG_QUESTION)]
    context.show("retrieved", ", ".join(sources))
    context.show("answer", rag.invoke(demo.RAG_QUESTION))

    context.step("Built-in web search (deepseek-flash: the service searches, the answer cites)")
    _web_search(context)


def _web_search(context: HookContext) -> None:
    searcher = ChatDeepSeekAPI(model="deepseek-flash", thinking=False, **context.model_options())
    try:
        message = searcher.bind_tools([{"type": "deepseek_web_search"}]).invoke(demo.WEB_QUESTION)
    except DeepSeekAPIError as error:  # a proxy or key without the built-in tools
        context.show("skipped", str(error))
        return
    for block in message.content_blocks:
        if block["type"] == "server_tool_call":
            context.show("service tool call", f"{block['name']}({block['args']})")
        elif block["type"] == "server_tool_result":
            found = block.get("output") or []
            urls = [item["url"] for item in found if isinstance(item, dict) and "url" in item]
            context.show("found", ", ".join(urls))
    context.show("answer", message.text)


def _parts(llm: ChatDeepSeekAPI, prompt: str) -> Iterator[ReplyPart]:
    """The streamed reply as (reasoning, answer, usage) pieces."""
    for chunk in llm.stream(prompt):
        assert isinstance(chunk, AIMessageChunk)
        reasoning = chunk.additional_kwargs.get("reasoning_content")
        yield reasoning, str(chunk.content), usage_counts(chunk.usage_metadata) or None


def chat(context: HookContext, prompt: str, model: str) -> None:
    """Stream one reply through ``ChatDeepSeekAPI``, reasoning apart from the answer."""
    llm = ChatDeepSeekAPI(model=model, **context.model_options())
    context.reply(_parts(llm, prompt), indent="")
