"""examples/strict_tools_agent.py runs offline (no key set) against the emulator: both agents
answer through strict tools, and the schema strict mode cannot take is refused."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[1] / "examples" / "strict_tools_agent.py"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_strict_tools_example_runs_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DEEPSEEKAPI_API_KEY", "DEEPSEEK_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "offline emulator" in out
    assert "tool call: book_table({'restaurant': 'Casa Nostra', 'guests': 4" in out
    assert "'note': None" in out
    assert "answer: [emulated deepseek-flash] The book_table tool returned: Booked" in out
    assert "The multiply tool returned: 42" in out
    assert (
        "refused before sending: tool 'tally' cannot be made strict: at $.properties.counts" in out
    )
    assert "Traceback" not in out
