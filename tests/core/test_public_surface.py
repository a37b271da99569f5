"""The core's public surface: one list per package (its ``__init__.pyi``), served lazily, read the
same by type checkers.

The top level is what a user of the core writes (at most 50 names); each concept's subpackage
(``http``, ``wire``, ``tools``, ``accounting``, ``testing``) holds the rest of that concept. The
adapters' support (``deepseekapi_core._adapters``) is private.
"""

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
from deepseekapi_core._lazy import stub_exports

ROOT = Path(__file__).resolve().parents[2]

PUBLIC_PACKAGES = (
    "deepseekapi_core",
    "deepseekapi_core.http",
    "deepseekapi_core.wire",
    "deepseekapi_core.tools",
    "deepseekapi_core.accounting",
    "deepseekapi_core.testing",
)


def _stub(package: str) -> Path:
    return ROOT.joinpath(*package.split("."), "__init__.pyi")


def test_the_top_level_is_at_most_fifty_names_users_write() -> None:
    assert len(deepseekapi_core.__all__) <= 50
    for name in ("DeepSeekClient", "ChatRequest", "RateLimitError", "Emulator", "ClientOptions"):
        assert name in deepseekapi_core.__all__


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_every_line_of_the_stub_is_a_name_the_package_serves(package: str) -> None:
    # The stub is the one list: a line the run-time reader would skip (a plain import, a
    # definition) would be a name type checkers see and the package does not serve.
    for line in _stub(package).read_text().splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"from \.[\w.]* import (\w+) as \1", line), line


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_all_is_the_stub_and_every_name_resolves_to_its_home(package: str) -> None:
    module = importlib.import_module(package)
    homes = stub_exports(str(_stub(package)))
    assert homes and sorted(module.__all__) == sorted(homes)
    for name, home in homes.items():
        assert getattr(module, name) is getattr(importlib.import_module(home, package), name)


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_the_stubs_ship_beside_the_packages_that_read_them(package: str) -> None:
    init = importlib.import_module(package).__file__
    assert init is not None and Path(init).with_suffix(".pyi").is_file()


def test_star_import_and_dir_agree_with_all_and_warn_about_nothing() -> None:
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from deepseekapi_core import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(deepseekapi_core.__all__)
    assert set(dir(deepseekapi_core)) >= set(deepseekapi_core.__all__)


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = deepseekapi_core.no_such_name  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="integration"):
        _ = deepseekapi_core.integration  # type: ignore[attr-defined]


def test_importing_the_core_imports_neither_httpx_nor_pydantic() -> None:
    code = (
        "import sys\n"
        "import deepseekapi_core, deepseekapi_core.http, deepseekapi_core.wire\n"
        "import deepseekapi_core._adapters._mixins\n"
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


def test_no_runtime_module_imports_the_emulator() -> None:
    # testing/ is a test and demo tool: only the CLI (which serves it) may reach it, lazily.
    offenders = []
    for path in (ROOT / "deepseekapi_core").rglob("*.py"):
        parts = path.relative_to(ROOT / "deepseekapi_core").parts
        if parts[0] in {"testing", "cli"} or (path.name == "__init__.py" and len(parts) == 1):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and "testing" in (node.module or "").split("."):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
