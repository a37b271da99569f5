"""What ``deepseekapi demo`` shows through each framework, and the plain-Python pieces of it.

Both adapters' demo hooks run the same questions over the same documents with the same tools;
this module holds all of that (documents, prompts, tools, a keyword retriever, an offline
embedding) so a hook only wires it into its framework. Nothing here imports a framework.

The embedding is WordLlama when the ``[rag]`` extra is installed (its weights ship inside the
``wordllama`` wheel, so nothing is downloaded), else the hashing embedding below.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DemoDocument:
    """One document of the demo's retrieval steps: where it comes from, and its text."""

    source: str
    text: str


DOCUMENTS = (
    DemoDocument(
        "models.md",
        "deepseek-chat is DeepSeek's general chat model; in the V4 era it is deepseek-v4-flash "
        "with thinking disabled.",
    ),
    DemoDocument(
        "reasoner.md",
        "deepseek-reasoner thinks before it answers; its reasoning comes back in "
        "reasoning_content, apart from the answer.",
    ),
    DemoDocument(
        "tools.md",
        "In thinking mode with tools, each tool-call turn must send its reasoning_content back, "
        "or the service answers 400.",
    ),
    DemoDocument(
        "json.md",
        "JSON Output is turned on with response_format {'type': 'json_object'}; the prompt must "
        "mention JSON.",
    ),
    DemoDocument(
        "emulator.md",
        "The emulator is an offline stand-in for the DeepSeek API, used by tests and by this "
        "demo when no API key is set.",
    ),
)
"""The documents both adapters' retrieval steps search."""

SYSTEM_PROMPT = "You are a concise assistant."
CHAIN_QUESTION = "Name one use of a vector database, in one sentence."
REASONER_PROMPT = "Is 91 a prime number?"
AGENT_SYSTEM_PROMPT = "Use tools when they help."
WEATHER_QUESTION = "What is the weather in Lisbon?"
MATH_QUESTION = "What is 12.5 times 4?"
WEB_QUESTION = "What did DeepSeek release this month?"
"""Asked of deepseek-flash with its built-in web search (the service searches and cites)."""
RAG_SYSTEM_PROMPT = "Answer from the context only.\n\nContext:\n{context}"
RAG_QUESTION = "Why must reasoning_content be sent back when tools are used?"
RAG_QUESTIONS = (
    (RAG_QUESTION, "tools.md"),
    ("Which model should I pick for ordinary conversation?", "models.md"),
    ("Where does the reasoner put its chain of thought?", "reasoner.md"),
    ("How do I get machine-readable output?", "json.md"),
    ("Is there a way to test offline?", "emulator.md"),
)
"""Retrieval questions with the document each must find (the hashing embedding misses the
models.md and emulator.md ones; WordLlama finds all five)."""


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 °C in {city}."


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


# Words of three letters or more: "is", "a", "in" would make every document look relevant.
_WORD = re.compile(r"[a-z0-9_]{3,}")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def keyword_retrieve(
    question: str, documents: Sequence[DemoDocument] = DOCUMENTS, k: int = 2
) -> list[DemoDocument]:
    """A tiny retriever: the ``k`` documents sharing the most words with ``question`` (ties
    keep the documents' order)."""
    wanted = set(_words(question))
    return sorted(documents, key=lambda doc: len(wanted & set(_words(doc.text))), reverse=True)[:k]


def format_documents(documents: Iterable[DemoDocument]) -> str:
    """The documents as prompt context, one ``[source] text`` line each."""
    return "\n".join(f"[{doc.source}] {doc.text}" for doc in documents)


def hashed_embedding(text: str, dimensions: int) -> list[float]:
    """An offline embedding good enough for a demo: hashed word counts, normalised to length 1.

    DeepSeek offers no embedding endpoint, so the demo needs one that runs anywhere; texts that
    share words get close vectors.
    """
    vector = [0.0] * dimensions
    for word in _words(text):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % dimensions] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


HASHED_DIMENSIONS = 256
RAG_EXTRA_HINT = "pip install 'deepseekapi-integrations[rag]' for a real one"


@dataclass(frozen=True)
class DemoEmbedding:
    """The demo's embedding: ``embed`` maps texts to unit vectors; ``name`` says which it is,
    in one line."""

    name: str
    embed: Callable[[Sequence[str]], list[list[float]]]


_EMBEDDING: DemoEmbedding | None = None


def load_embedding() -> DemoEmbedding:
    """WordLlama (256 dimensions) when the ``[rag]`` extra is installed, else the hashing
    embedding; loaded once per process (WordLlama takes about 0.3 s)."""
    global _EMBEDDING  # one load per process: the demo and the examples embed many times
    if _EMBEDDING is None:
        _EMBEDDING = _wordllama() or DemoEmbedding(
            f"hashing embedding (wordllama not installed: {RAG_EXTRA_HINT})",
            lambda texts: [hashed_embedding(text, HASHED_DIMENSIONS) for text in texts],
        )
    return _EMBEDDING


def _wordllama() -> DemoEmbedding | None:
    # wordllama 0.4 calls logging.basicConfig(level=INFO) when imported: the root logger would
    # then print every httpx request of the caller's process. Its logging is put back as it was.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        import wordllama  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return None
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    # wordllama 0.4 looks for its bundled tokenizer under "tokenizer/", but ships it under
    # "tokenizers/"; pointing the cache at the package finds both files and never downloads.
    model = wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )

    def embed(texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors: list[list[float]] = model.embed(list(texts), norm=True).tolist()
        return vectors

    return DemoEmbedding("WordLlama l2_supercat, 256 dimensions (weights from its wheel)", embed)


def nearest(query: str, texts: Sequence[str], k: int = 2) -> list[int]:
    """The indices of the ``k`` texts closest to ``query`` by the demo's embedding (ties keep
    the texts' order)."""
    if not texts:
        return []
    embed = load_embedding().embed
    (wanted,) = embed([query])
    scores = [sum(a * b for a, b in zip(wanted, vector, strict=True)) for vector in embed(texts)]
    return sorted(range(len(texts)), key=lambda i: scores[i], reverse=True)[:k]


def embedding_retrieve(
    question: str, documents: Sequence[DemoDocument] = DOCUMENTS, k: int = 2
) -> list[DemoDocument]:
    """The ``k`` documents closest to ``question`` by the demo's embedding."""
    return [documents[i] for i in nearest(question, [doc.text for doc in documents], k)]


def one_line(text: str, limit: int = 160) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def usage_line(counts: Mapping[str, Any]) -> str:
    """One line of a reply's usage, from counts by the service's usage names."""

    def count(name: str) -> int:
        return int(counts.get(name) or 0)

    return (
        f"tokens: {count('prompt_tokens')} prompt, {count('completion_tokens')} completion "
        f"({count('reasoning_tokens')} reasoning), {count('prompt_cache_hit_tokens')} prompt "
        "tokens from the cache"
    )
