"""The examples/langchain_*.py scripts run offline (no key set) against the emulator."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("langchain_*.py"))


def test_there_are_five_examples() -> None:
    assert {p.stem for p in EXAMPLES} == {
        "langchain_agent",
        "langchain_lcel_chain",
        "langchain_rag",
        "langchain_streaming_reasoner",
        "langchain_vision",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_offline(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "offline emulator" in out
    assert "[emulated" in out
    assert "Traceback" not in out
    if path.stem == "langchain_agent":
        assert out.count("tool call: get_weather") == 2
        assert "thinking:" in out
    if path.stem == "langchain_streaming_reasoner":
        assert "content blocks: ['reasoning', 'text']" in out
    if path.stem == "langchain_rag":
        assert "structured: answer=" in out
    if path.stem == "langchain_vision":
        assert out.count("a PNG image of 800x500 px (412 tokens)") == 2  # inline, tool result
        assert "a JPEG image of 640x480 px (274 tokens)" in out  # by URL, streamed
        assert "refused: messages[0] part 1 is an image, and deepseek-chat reads text only" in out
