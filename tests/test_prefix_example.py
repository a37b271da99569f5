"""examples/prefix_completion.py runs offline (no key set) against the emulator, through the
core client and both adapters."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[1] / "examples" / "prefix_completion.py"
CODE = "```python\n# [emulated deepseek-flash] code for: Please write quick sort code\n"


def test_the_prefix_completion_example_runs_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("langchain_core")
    pytest.importorskip("llama_index.core")
    for name in ("DEEPSEEKAPI_API_KEY", "DEEPSEEK_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "offline emulator" in out
    # Five prefix completions (core, LangChain invoke and stream, LlamaIndex chat and
    # complete), each printed as prefix + continuation, cut at the stop sequence.
    assert out.count(CODE) == 5
    assert "thinking (continued):  [emulated reasoning] ...continuing 'Compare the tenths" in out
    assert "Traceback" not in out
