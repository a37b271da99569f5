"""The RAG examples retrieve with the demo's embedding (WordLlama with the ``[rag]`` extra, the
hashing embedding otherwise), say which in one line, and find the right document."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from deepseekapi_core.cli import demo

EXAMPLES = Path(__file__).parents[1] / "examples"

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]


@pytest.mark.parametrize(
    ("example", "framework", "found"),
    [
        ("langchain_rag", "langchain_core", "retrieved: ['reasoner.md', "),
        ("llama_index_rag", "llama_index.core", "source: The Eiffel Tower in Paris"),
        ("llama_index_vision", "llama_index.core", "retrieved: Bar chart of quarterly sales"),
    ],
)
def test_a_rag_example_names_its_embedding_and_retrieves_the_right_document(
    example: str, framework: str, found: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip(framework)
    runpy.run_path(str(EXAMPLES / f"{example}.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert f"embedding: {demo.load_embedding().name}\n" in out
    assert found in out
