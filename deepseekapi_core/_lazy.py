"""Public names imported on first use, from one table per package.

Each package's ``__init__`` keeps one table, ``{module: (name, ...)}``, and gets ``__all__``,
``__getattr__`` and ``__dir__`` from :func:`lazy_exports`. The ``TYPE_CHECKING`` imports under
the table (what type checkers and IDEs read) are written from it by
``scripts/public_surface.py``; a test fails when they drift apart.

Why lazily: importing a package runs its ``__init__`` before any of its modules, so an eager
``__init__`` would make every import of a light module (the adapters' mixins, the registry) pay
for httpx, pydantic and the clients.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: Mapping[str, Sequence[str]]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package`` from its export table.

    ``table`` maps a module (relative to ``package``, e.g. ``"._client"`` or ``".http"``) to the
    names it gives; a name is imported from there when first looked up, then kept in the
    package's namespace so later lookups cost nothing.
    """
    homes = {name: module for module, names in table.items() for name in names}
    public = sorted(homes)
    namespace = importlib.import_module(package).__dict__

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
