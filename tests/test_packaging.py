"""The distribution's shape: arrows point one way, extras do not cross, missing extras are named."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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
        "import deepseekapi_core, deepseekapi_core.cli, deepseekapi_core.testing\n"
        "from deepseekapi_core.testing import Emulator, EmulatorServer\n"
        "import deepseekapi_core.testing.pytest_plugin\n"
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


# ------------------------------------------------------------------------------------------------
# Release metadata: license, version, types, the extras the README's commands rely on, the lock


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def test_the_license_is_mit_and_named_in_the_metadata() -> None:
    project = _project()
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_the_version_lives_in_pyproject_and_the_changelog_has_it() -> None:
    import deepseekapi_core

    version = _project()["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert re.search(rf"^## {re.escape(version)} - \d{{4}}-\d{{2}}-\d{{2}}$", _changelog(), re.M)
    assert deepseekapi_core.__version__ == version


def _changelog() -> str:
    return (ROOT / "CHANGELOG.md").read_text()


@pytest.mark.parametrize(
    "package", ["deepseekapi_core", "langchain_deepseekapi", "llama_index_deepseekapi"]
)
def test_every_package_ships_py_typed(package: str) -> None:
    assert (ROOT / package / "py.typed").is_file()


def _extra_closure(extra: str) -> set[str]:
    """The distributions an extra asks for directly, following the project's own extras."""
    extras = _project()["optional-dependencies"]
    names: set[str] = set()
    for requirement in extras[extra]:
        match = re.match(r"([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?", requirement)
        assert match is not None, requirement
        name, nested = match.group(1).lower(), match.group(2)
        if name == "deepseekapi-integrations":
            for inner in (nested or "").split(","):
                names |= _extra_closure(inner.strip())
        else:
            names.add(name)
    return names


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_all_brings_every_framework_the_demo_imports() -> None:
    """The README's first command installs ``[all]`` and runs ``deepseekapi demo``: every
    framework module the demo's adapter steps import must come with ``[all]``."""
    wanted = _extra_closure("all")
    providers = {
        "langchain": "langchain",
        "langchain_core": "langchain-core",
        "langgraph": "langgraph",
        "llama_index": "llama-index-core",
    }
    for cli in (
        ROOT / "langchain_deepseekapi" / "_cli.py",
        ROOT / "llama_index_deepseekapi" / "_cli.py",
    ):
        for module in _imported_modules(cli) & set(providers):
            # langgraph comes with langchain (create_agent runs on it)
            provider = "langchain" if module == "langgraph" else providers[module]
            assert provider in wanted, f"{cli.name} imports {module}, which [all] does not install"
    assert "langchain" in wanted  # the demo's agent step: langchain.agents.create_agent


def test_constraints_pin_every_dev_and_release_tool() -> None:
    pinned = {
        line.split("==")[0].strip().lower()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    extras = _project()["optional-dependencies"]
    for requirement in [*extras["dev"], *extras["release"]]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)
        assert name is not None and name.group(0).lower() in pinned, f"{requirement} is not pinned"


def test_every_runtime_requirement_has_a_tested_lower_bound() -> None:
    spec = importlib.util.spec_from_file_location("lower_bounds", ROOT / ".ci" / "lower_bounds.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    floors = module.lower_bounds(ROOT / "pyproject.toml")
    assert {pin.split("==")[0] for pin in floors} >= {
        "httpx",
        "pydantic",
        "langchain-core",
        "llama-index-core",
        "langchain",
    }
    assert all(re.fullmatch(r"[a-z0-9_.-]+==\d+(\.\d+)*", pin) for pin in floors), floors


def test_ci_keeps_the_developers_venv_and_sets_ci() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "rm -rf .venv" not in script and '"$ROOT/.venv"' not in script
    assert "export CI=true" in script
