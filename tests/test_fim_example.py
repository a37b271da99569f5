"""examples/fim_code_completion.py runs offline (no key set) against the emulator: the middle
through the core (streamed), LangChain and LlamaIndex, and the two refusals before sending."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from deepseekapi_core.http import API_KEY_ENV_VARS

EXAMPLE = Path(__file__).parents[1] / "examples" / "fim_code_completion.py"


def test_the_fim_example_runs_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in API_KEY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "offline emulator" in out and "Traceback" not in out
    middle = "# [emulated deepseek-flash middle between 'number' and 'return']"
    assert out.count(middle) == 3  # core (streamed), LangChain, LlamaIndex
    assert "refused before sending: deepseek-reasoner does not take FIM completion" in out
    assert "refused before sending: Invalid request: max_tokens" in out and "4K" in out
    assert "finish reason: stop" in out
