"""Public names imported on first use, from one list per package: its ``__init__.pyi``.

A package's stub lists its public names, one ``from .module import Name as Name`` line each.
Type checkers and IDEs read that list as the package's interface; at run time
:func:`lazy_exports` reads the same lines and imports each name from its module when first
looked up (the pattern of SciPy's ``lazy_loader.attach_stub``). So a public name is added in one
place, the stub, and ``__all__``, ``dir()`` and what type checkers see cannot disagree.

Why lazily: importing a package runs its ``__init__`` before any of its modules, so an eager
``__init__`` would make every import of a light module (the adapters' mixins, the registry) pay
for httpx, pydantic and the clients.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

_EXPORT_LINE = re.compile(r"^from (\.[\w.]*) import (\w+) as \2$", re.MULTILINE)


def stub_exports(init_file: str) -> dict[str, str]:
    """``{name: module}`` for each public name the package's ``__init__.pyi`` lists."""
    stub = Path(init_file).with_suffix(".pyi").read_text(encoding="utf-8")
    return {name: module for module, name in _EXPORT_LINE.findall(stub)}


def lazy_exports(
    package: str, init_file: str
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package`` from its stub's list.

    A name is imported from its module when first looked up, then kept in the package's
    namespace so later lookups cost nothing.
    """
    homes = stub_exports(init_file)
    public = sorted(homes)
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = homes.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return public, __getattr__, __dir__
