"""The README's Python snippets run as written, against the emulator on loopback."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from deepseekapi_core.testing import EmulatorServer

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_has_snippets() -> None:
    assert len(SNIPPETS) >= 4


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_readme_snippet_runs(
    index: int, deepseek_emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Configured only through the environment, as the README tells users to do.
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "sk-readme-test")
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", deepseek_emulator_server.base_url)
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    code = compile(
        SNIPPETS[index], f"README.md[python #{index}]", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    namespace: dict[str, Any] = {"__name__": "readme"}
    result = eval(code, namespace)  # the snippet's own code, from this repository's README
    if inspect.iscoroutine(result):
        asyncio.run(result)
    assert deepseek_emulator_server.emulator.request_count > 0 or "Emulator()" in SNIPPETS[index]
