"""The distribution's shape: arrows point one way, extras do not cross, missing extras are named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("langchain", "langgraph", "llama_index")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_the_core_imports_no_framework() -> None:
    code = (
        "import sys\n"
        "import deepseekapi_core, deepseekapi_core.cli, deepseekapi_core.emulator\n"
        "from deepseekapi_core.emulator import Emulator, EmulatorServer\n"
        "import deepseekapi_core.emulator.pytest_plugin\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})\n"
        "print(loaded)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_core_source_names_no_framework_import() -> None:
    for path in (ROOT / "deepseekapi_core").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")):
                module = stripped.split()[1]
                assert module.split(".")[0] not in FRAMEWORKS, f"{path}: {stripped}"


BLOCK = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == {framework!r}:
            raise ImportError(f"No module named {{name!r}}")
        return None

sys.meta_path.insert(0, Block())
try:
    import {adapter}
except ImportError as exc:
    print(exc)
else:
    print("imported")
"""


@pytest.mark.parametrize(
    ("adapter", "framework", "extra"),
    [
        ("langchain_deepseekapi", "langchain_core", "langchain"),
        ("llama_index_deepseekapi", "llama_index", "llama-index"),
    ],
)
def test_an_adapter_without_its_framework_names_the_extra(
    adapter: str, framework: str, extra: str
) -> None:
    result = run_python(BLOCK.format(adapter=adapter, framework=framework))
    assert result.returncode == 0, result.stderr
    assert f'pip install "deepseekapi-integrations[{extra}]"' in result.stdout


def test_extras_do_not_cross() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    extras = project["optional-dependencies"]
    assert not any(name in runtime for name in ("langchain", "llama-index", "openai"))
    assert not any("llama" in requirement for requirement in extras["langchain"])
    assert not any("langchain" in requirement for requirement in extras["llama-index"])
    assert not any("openai" in requirement for requirement in extras["langchain"])
    assert not any("openai" in requirement for requirement in extras["llama-index"])
