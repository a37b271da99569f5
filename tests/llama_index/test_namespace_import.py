"""``from llama_index.llms.deepseekapi import DeepSeekAPI``: the import path LlamaIndex users
write for an integration, beside ``llama_index_deepseekapi``. ``llama_index`` and
``llama_index.llms`` are namespace packages shared with llama-index itself and its other
integrations, so this project adds no ``__init__.py`` to them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
MODULE = Path("llama_index/llms/deepseekapi/__init__.py")


def test_the_llama_index_path_serves_the_same_class() -> None:
    import llama_index.core

    import llama_index_deepseekapi
    from llama_index.llms.deepseekapi import DeepSeekAPI, DeepSeekCostHandler, deepseek_tokenizer

    assert DeepSeekAPI is llama_index_deepseekapi.DeepSeekAPI
    assert DeepSeekCostHandler is llama_index_deepseekapi.DeepSeekCostHandler
    assert deepseek_tokenizer is llama_index_deepseekapi.deepseek_tokenizer
    assert llama_index.core.__file__  # llama-index itself is still found


def test_a_fresh_interpreter_imports_it_from_outside_the_source_tree(tmp_path: Path) -> None:
    """The installed (here editable) distribution serves the path, not the working directory."""
    code = (
        "from llama_index.llms.deepseekapi import DeepSeekAPI\n"
        "from llama_index.core.llms import LLM\n"
        "print(DeepSeekAPI.__module__, issubclass(DeepSeekAPI, LLM))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["llama_index_deepseekapi._llm", "True"]


def test_the_shared_namespace_gets_no_init_file() -> None:
    assert (ROOT / MODULE).is_file()
    assert not (ROOT / "llama_index" / "__init__.py").exists()
    assert not (ROOT / "llama_index" / "llms" / "__init__.py").exists()


def test_the_wheel_ships_the_module_at_its_path() -> None:
    """Hatch's ``packages`` would ship ``llama_index/llms/deepseekapi`` as a top-level
    ``deepseekapi`` (it drops a package's parent directories): ``only-include`` keeps the path."""
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]
    assert "packages" not in wheel
    assert wheel["only-include"] == [
        "deepseekapi_core",
        "langchain_deepseekapi",
        "llama_index_deepseekapi",
        "llama_index/llms/deepseekapi",
    ]
