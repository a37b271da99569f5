"""RAG with LlamaIndex and DeepSeek: index a few documents, then query (plain and streamed).

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator (replies are then labelled "[emulated ...]"). Retrieval uses an
offline embedding: WordLlama with the ``[rag]`` extra, else a hashing embedding.

    python examples/llama_index_rag.py
"""

from __future__ import annotations

import os

from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.base.response.schema import StreamingResponse

from deepseekapi_core.cli import demo
from llama_index_deepseekapi import DeepSeekAPI
from llama_index_deepseekapi._cli import OfflineEmbedding


def make_llm(model: str) -> DeepSeekAPI:
    """A DeepSeekAPI for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return DeepSeekAPI(model=model)
    from deepseekapi_core.testing import Emulator

    print("(no API key set: using the offline emulator)")
    return DeepSeekAPI(model=model, api_key="sk-emulator", transport=Emulator().transport())


def main() -> None:
    Settings.llm = make_llm("deepseek-chat")
    # DeepSeek has no embedding endpoint: use any llama-index embedding. This one runs offline:
    # WordLlama with the [rag] extra (weights in its wheel), else a hashing embedding.
    Settings.embed_model = OfflineEmbedding()
    print("embedding:", demo.load_embedding().name)

    documents = [
        Document(text="The Eiffel Tower in Paris was completed in 1889 for the World's Fair."),
        Document(text="Mount Fuji, Japan's highest mountain, last erupted in 1707."),
        Document(text="The Danube flows through ten countries, more than any other river."),
    ]
    index = VectorStoreIndex.from_documents(documents)

    engine = index.as_query_engine(similarity_top_k=1)
    response = engine.query("When was the Eiffel Tower completed?")
    print("answer:", response)
    print("source:", response.source_nodes[0].node.get_content())

    streaming = index.as_query_engine(similarity_top_k=1, streaming=True)
    print("streamed: ", end="", flush=True)
    streamed = streaming.query("Which river crosses the most countries?")
    assert isinstance(streamed, StreamingResponse)
    for token in streamed.response_gen:
        print(token, end="", flush=True)
    print()


if __name__ == "__main__":
    main()
