"""The demo's retrieval: a real embedding (WordLlama, from the ``[rag]`` extra) when installed,
the hashing embedding otherwise, said in one line."""

from __future__ import annotations

import builtins
import math
import subprocess
import sys
from typing import Any

import pytest

from deepseekapi_core.cli import demo


def _without_wordllama(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "wordllama" or name.startswith("wordllama."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(demo, "_EMBEDDING", None)


@pytest.mark.parametrize(("question", "source"), demo.RAG_QUESTIONS)
def test_the_real_embedding_retrieves_the_right_document(question: str, source: str) -> None:
    pytest.importorskip("wordllama")
    embedding = demo.load_embedding()
    assert embedding.name.startswith("WordLlama")
    assert [doc.source for doc in demo.embedding_retrieve(question, k=1)] == [source]


def test_the_real_embedding_loads_from_the_package_without_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("wordllama")
    import requests

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the embedding tried the network")

    monkeypatch.setattr(requests, "get", no_network)
    monkeypatch.setattr(demo, "_EMBEDDING", None)
    vectors = demo.load_embedding().embed(["reasoning_content", "JSON Output"])
    assert len(vectors) == 2 and len(vectors[0]) == 256
    assert math.isclose(sum(x * x for x in vectors[0]), 1.0, rel_tol=1e-4)


def test_loading_the_real_embedding_leaves_the_callers_logging_alone() -> None:
    # wordllama configures the root logger at INFO when imported; in a fresh interpreter, the
    # caller's logging must be as it was (no handler added, level WARNING), so that httpx's
    # INFO lines do not start printing.
    pytest.importorskip("wordllama")
    code = (
        "import logging\n"
        "from deepseekapi_core.cli import demo\n"
        "assert demo.load_embedding().name.startswith('WordLlama')\n"
        "root = logging.getLogger()\n"
        "print(len(root.handlers), logging.getLevelName(root.level))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.stdout.split() == ["0", "WARNING"], result.stderr


def test_without_the_extra_the_hashing_embedding_is_used_and_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without_wordllama(monkeypatch)
    embedding = demo.load_embedding()
    assert embedding.name.startswith("hashing embedding")
    assert "deepseekapi-integrations[rag]" in embedding.name and "\n" not in embedding.name
    assert embedding.embed(["tools"]) == [demo.hashed_embedding("tools", 256)]
    found = demo.embedding_retrieve(demo.RAG_QUESTION, k=1)
    assert [doc.source for doc in found] == ["tools.md"]


def test_the_embedding_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_wordllama(monkeypatch)
    assert demo.load_embedding() is demo.load_embedding()


def test_nearest_ranks_texts_by_cosine(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_wordllama(monkeypatch)
    texts = ["apples and pears", "the reasoner and its reasoning", "reasoner"]
    # cosines 0.71 ("reasoner") and 0.63 (shares two of five words), none for the apples
    assert demo.nearest("reasoner reasoning", texts, k=2) == [2, 1]
    assert demo.nearest("anything", [], k=2) == []
