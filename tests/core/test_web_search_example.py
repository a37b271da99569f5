"""examples/web_search.py runs offline (no key set) against the emulator."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "web_search.py"


def test_the_web_search_example_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert out.startswith("No API key set: using the offline emulator")
    assert "the service called deepseek_web_search({'query': " in out
    assert "  found: [emulated]" in out
    assert "billed calls: {'deepseek_web_search': 1}" in out
    assert "streamed: the service called deepseek_read_url({'url': 'https://peps.python.org" in out
    assert "refused before sending: deepseek-chat has no built-in tool" in out
    assert "Traceback" not in out
