"""The LlamaIndex hooks of the ``deepseekapi`` command, offline."""

from __future__ import annotations

import pytest

from deepseekapi_core.cli import HookContext, demo, main
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import _cli

from .conftest import API_KEY

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]


def test_run_demo_runs_rag_agent_and_reasoner(emulator: Emulator) -> None:
    written: list[str] = []
    transport = emulator.transport()
    _cli.run_demo(HookContext(transport, transport, API_KEY, written.append))
    text = "".join(written)
    assert f"embedding: {demo.load_embedding().name}\n" in text
    assert "retrieved: tools.md, reasoner.md" in text
    assert "tool call: multiply({'a': 12.5, 'b': 4})\n    tool result: 50.0\n" in text
    assert "answer: [emulated deepseek-flash] The multiply tool returned: 50.0" in text
    assert "reasoning: [emulated reasoning]" in text and "answer: [emulated" in text
    assert "reasoning), " in text
    models = [request.json["model"] for request in emulator.chat_requests]
    assert models[0] == "deepseek-chat" and models.count("deepseek-reasoner") == 3


def test_chat_hook_shows_reasoning_apart(emulator: Emulator) -> None:
    emulator.script.reply_text("Yes.", reasoning="17 has no divisors but 1 and itself.")
    written: list[str] = []
    context = HookContext(emulator.transport(), None, API_KEY, written.append)
    _cli.chat(context, "Is 17 prime?", "deepseek-reasoner")
    text = "".join(written)
    assert text.startswith("reasoning: 17 has no divisors but 1 and itself.\nanswer: Yes.\n")


def test_hashing_embedding_ranks_overlapping_text_higher() -> None:
    embedding = _cli.HashingEmbedding(dimensions=64)
    query = embedding.get_query_embedding("reasoner reasoning blocks")
    near = embedding.get_text_embedding(demo.DOCUMENTS[1].text)  # reasoner.md
    far = embedding.get_text_embedding(demo.DOCUMENTS[4].text)  # emulator.md

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert dot(query, near) > dot(query, far)


def test_the_offline_embedding_is_the_demos() -> None:
    embedding = _cli.OfflineEmbedding()
    texts = [doc.text for doc in demo.DOCUMENTS[:2]]
    assert embedding.get_text_embedding_batch(texts) == demo.load_embedding().embed(texts)
    assert embedding.get_query_embedding("JSON") == demo.load_embedding().embed(["JSON"])[0]
    question, source = demo.RAG_QUESTIONS[1]
    from llama_index.core import Document, VectorStoreIndex

    documents = [Document(text=doc.text, metadata={"source": doc.source}) for doc in demo.DOCUMENTS]
    index = VectorStoreIndex.from_documents(documents, embed_model=embedding)
    (hit,) = index.as_retriever(similarity_top_k=1).retrieve(question)
    if demo.load_embedding().name.startswith("WordLlama"):  # the hashing one misses this one
        assert hit.node.metadata["source"] == source


def test_command_line_chat_via_llama_index(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["chat", "--via", "llama-index", "--model", "deepseek-reasoner", "Hello there"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "reasoning: [emulated reasoning]" in captured.out
    assert 'answer: [emulated deepseek-flash] You said: "Hello there"' in captured.out
