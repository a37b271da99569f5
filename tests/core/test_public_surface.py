"""The core's top-level names: what a user of the core needs, imported lazily, and the names
that moved since 0.1.0 still working with a DeprecationWarning naming their new home."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import deepseekapi_core
from deepseekapi_core import _exceptions, _types

ROOT = Path(__file__).resolve().parents[2]

# The public API of the core: clients, wire types, errors, retry policy, registry, images,
# configuration defaults. Adapter support is in deepseekapi_core.integration.
WIRE_TYPES = set(_types.__all__)
ERRORS = {name for name in _exceptions.__all__ if isinstance(getattr(_exceptions, name), type)} | {
    "ContextWindowExceededError",
    "TokenizerUnavailableError",
}
EXPECTED_PUBLIC = (
    WIRE_TYPES
    | ERRORS
    | {
        # clients and request building
        "DeepSeekClient",
        "AsyncDeepSeekClient",
        "RequestOptions",
        "IgnoredParameterWarning",
        "ReasoningReplay",
        "build_request_body",
        "__version__",
        # configuration
        "API_KEY_ENV_VARS",
        "BASE_URL_ENV_VAR",
        "DEFAULT_BASE_URL",
        # retry policy
        "RetryPolicy",
        "parse_retry_after",
        # registry
        "DEFAULT_ERA",
        "REASONING_EFFORTS",
        "Era",
        "ModelProfile",
        "ThinkingSupport",
        "get_model_profile",
        "listed_model_ids",
        # images (ImagePart and its builders; the checks are adapter support)
        "MAX_IMAGE_BYTES",
        "SUPPORTED_IMAGE_TYPES",
        "ImageInfo",
        "image_part_from_bytes",
        "image_part_from_path",
        "image_part_from_url",
        "image_tokens",
        "inspect_image",
    }
)

# Exported at the top level in 0.1.0, moved since.
MOVED_IN_0_2 = {
    "integration": [
        "SortedOptions",
        "sort_options",
        "parse_json_reply",
        "check_request_images",
        "recover_tool_calls",
        "RecoveredToolCalls",
        "schema_problems",
        "Endpoint",
        "resolve_endpoint",
        "ENV_VARS",
        "DEEPSEEK_BASE_URL_ENV_VARS",
        "DEEPSEEK_DEFAULT_BASE_URL",
    ],
    "tokenizer": [
        "DeepSeekTokenizer",
        "count_prompt_tokens",
        "get_tokenizer",
        "tokenizer_available",
    ],
    "pricing": [
        "CallCost",
        "ModelPrice",
        "PriceTable",
        "call_cost",
        "default_price_table",
        "resolve_price_table",
    ],
}
# Moved to deepseekapi_core.integration before 0.1.0 was released; the shim keeps them too.
MOVED_BEFORE = [
    "StreamAccumulator",
    "ToolCallBuilder",
    "coerce_chat_request",
    "forced_tool_choice_allowed",
    "invalid_request_from",
    "join_text_parts",
    "parse_tool_arguments",
    "prepare_messages",
    "tool_spec_from",
    "usage_summary",
]
MOVED = [(home, name) for home, names in MOVED_IN_0_2.items() for name in names] + [
    ("integration", name) for name in MOVED_BEFORE
]


def test_all_holds_exactly_the_public_api() -> None:
    assert set(deepseekapi_core.__all__) == EXPECTED_PUBLIC
    assert len(deepseekapi_core.__all__) == len(EXPECTED_PUBLIC)  # no name twice


@pytest.mark.parametrize(("home", "name"), MOVED)
def test_a_moved_name_still_resolves_with_a_warning_naming_its_home(home: str, name: str) -> None:
    module = importlib.import_module(f"deepseekapi_core.{home}")
    assert name in module.__all__
    expected = f"deepseekapi_core.{name} moved to deepseekapi_core.{home}.{name}"
    with pytest.warns(DeprecationWarning, match=re.escape(expected)):
        value = getattr(deepseekapi_core, name)
    assert value is getattr(module, name)
    assert name not in deepseekapi_core.__all__
    assert name not in dir(deepseekapi_core)


def test_star_import_and_dir_agree_with_all_and_warn_about_nothing() -> None:
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from deepseekapi_core import *", namespace)
    assert set(namespace) - {"__builtins__"} == EXPECTED_PUBLIC
    assert set(dir(deepseekapi_core)) >= EXPECTED_PUBLIC
    for name in EXPECTED_PUBLIC:
        assert namespace[name] is getattr(deepseekapi_core, name)


def test_the_names_type_checkers_see_are_the_names_served() -> None:
    # The TYPE_CHECKING imports are what mypy and IDEs read; _HOMES is what __getattr__ serves.
    tree = ast.parse((ROOT / "deepseekapi_core" / "__init__.py").read_text())
    seen: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    seen[alias.name] = "." * statement.level + (statement.module or "")
    assert seen == deepseekapi_core._HOMES
    assert set(seen) == EXPECTED_PUBLIC


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = deepseekapi_core.no_such_name  # type: ignore[attr-defined]


def test_public_submodules_are_reachable_as_attributes() -> None:
    code = (
        "import deepseekapi_core\n"
        "for name in ('integration', 'limiter', 'models', 'preflight', 'pricing', 'sse',"
        " 'tokenizer'):\n"
        "    assert getattr(deepseekapi_core, name).__name__ == 'deepseekapi_core.' + name\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_importing_the_core_imports_neither_httpx_nor_pydantic() -> None:
    code = (
        "import sys\n"
        "import deepseekapi_core\n"
        "heavy = sorted(m for m in ('httpx', 'pydantic') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "deepseekapi_core.DeepSeekClient\n"
        "assert 'httpx' in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + code],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.stdout.strip() == "ok", result.stderr


PROJECT_FOLDERS = (
    "deepseekapi_core",
    "langchain_deepseekapi",
    "llama_index_deepseekapi",
    "tests",
    "docs",
    "examples",
    "benchmarks",
    "scripts",
    "cassettes",
    ".ci",
)


def test_nothing_in_the_repository_uses_a_moved_name_from_the_top_level() -> None:
    moved = {name for _, name in MOVED}
    offenders = []
    # The project's own files only: CI builds virtualenvs inside the checkout (.ci-work/), and
    # walking their site-packages would take minutes.
    own = [ROOT / "README.md", ROOT / "CHANGELOG.md"]
    for folder in PROJECT_FOLDERS:
        own += (ROOT / folder).rglob("*")
    for path in own:
        if path.suffix not in {".py", ".md", ".ipynb"} or path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in moved:
            if re.search(rf"\bdeepseekapi_core\.{name}\b", text):
                offenders.append(f"{path.relative_to(ROOT)}: deepseekapi_core.{name}")
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.ImportFrom) and node.module == "deepseekapi_core":
                    offenders += [
                        f"{path.relative_to(ROOT)}: from deepseekapi_core import {alias.name}"
                        for alias in node.names
                        if alias.name in moved
                    ]
    assert not offenders, offenders
