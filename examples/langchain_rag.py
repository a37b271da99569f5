"""A RAG-style retrieval chain with ChatDeepSeekAPI: retrieve documents, stuff them into the
prompt, answer with sources; then structured output (a pydantic answer with cited sources).

The retriever ranks the documents by an offline embedding: WordLlama when the ``[rag]`` extra
is installed (its weights ship inside the ``wordllama`` wheel; nothing is downloaded), else a
hashing embedding (the first line printed says which). Swap in any LangChain retriever (a vector
store's ``as_retriever()``) unchanged.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator.

    python examples/langchain_rag.py
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from pydantic import BaseModel, Field

from deepseekapi_core.cli import demo
from langchain_deepseekapi import ChatDeepSeekAPI

DOCUMENTS = [
    Document(
        "Context caching is on by default; cache hits are billed at a lower price.",
        metadata={"source": "kv_cache.md"},
    ),
    Document(
        "deepseek-reasoner returns its chain of thought in reasoning_content.",
        metadata={"source": "reasoner.md"},
    ),
    Document(
        "JSON Output needs response_format json_object and the word json in the prompt.",
        metadata={"source": "json_mode.md"},
    ),
    Document(
        "Tool calls in thinking mode must send reasoning_content back to the API.",
        metadata={"source": "tool_calls.md"},
    ),
]


def make_llm(**options: Any) -> ChatDeepSeekAPI:
    """A model for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return ChatDeepSeekAPI(**options)
    from deepseekapi_core.testing import Emulator

    print("(no API key set: using the offline emulator; replies are emulated)")
    return ChatDeepSeekAPI(api_key="sk-emulator", transport=Emulator().transport(), **options)


def retrieve(question: str, k: int = 2) -> list[Document]:
    """The ``k`` documents closest to the question by the offline embedding."""
    texts = [doc.page_content for doc in DOCUMENTS]
    return [DOCUMENTS[i] for i in demo.nearest(question, texts, k)]


def format_documents(docs: list[Document]) -> str:
    return "\n".join(f"[{doc.metadata['source']}] {doc.page_content}" for doc in docs)


class CitedAnswer(BaseModel):
    """An answer to the question, citing the sources it used."""

    answer: str = Field(description="the answer, from the context only")
    sources: list[str] = Field(description="the [source] names used")


def main() -> None:
    llm = make_llm(model="deepseek-chat", temperature=0)
    print("embedding:", demo.load_embedding().name)
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer from the context only, citing [sources].\n\nContext:\n{context}"),
            ("human", "{question}"),
        ]
    )
    context = RunnableLambda(retrieve) | RunnableLambda(format_documents)
    rag = {"context": context, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()

    question = "How does the reasoner return its chain of thought?"
    print("retrieved:", [doc.metadata["source"] for doc in retrieve(question)])
    print("answer:", rag.invoke(question))

    structured = (
        {"context": context, "question": RunnablePassthrough()}
        | prompt
        | llm.with_structured_output(CitedAnswer)
    )
    cited = structured.invoke("Is context caching on by default?")
    print("structured:", cited)


if __name__ == "__main__":
    main()
