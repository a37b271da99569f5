"""Write each package's type-checking imports and ``__all__`` from its export table.

A package ``__init__`` of ``deepseekapi_core`` that exports names keeps one table, ``_EXPORTS``
(``{module: (name, ...)}``); at run time :func:`deepseekapi_core._lazy.lazy_exports` serves the
names from it. Type checkers cannot run that, so the ``if TYPE_CHECKING:`` block at the end of the
file spells the same imports and ``__all__`` out; this script writes that block from the table.
``tests/core/test_public_surface.py`` fails when a block and its table disagree.

    python scripts/public_surface.py          # rewrite the blocks (then: ruff format)
    python scripts/public_surface.py --check  # exit 1 when a block is out of date
"""

from __future__ import annotations

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "deepseekapi_core"
MARKER = "if TYPE_CHECKING:  # written from _EXPORTS by scripts/public_surface.py"


def export_table(init: pathlib.Path) -> dict[str, tuple[str, ...]] | None:
    """The ``_EXPORTS`` literal of a package ``__init__``, or None when it has none."""
    head = init.read_text().partition(MARKER)[0]  # the block itself may be half written
    for node in ast.parse(head).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if target is None and isinstance(node, ast.AnnAssign):
            target = node.target
        if isinstance(target, ast.Name) and target.id == "_EXPORTS":
            value = node.value
            assert value is not None
            table = ast.literal_eval(value)
            return {module: tuple(names) for module, names in table.items()}
    return None


def sort_key(name: str, *, fold_case: bool = True) -> tuple[int, str]:
    """ruff's order: CONSTANTS, Classes, then the rest; import lists fold case, ``__all__``
    does not."""
    kind = 2
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    return kind, name.lower() if fold_case else name


def module_key(module: str) -> tuple[int, str]:
    """ruff's order for relative imports: the furthest first."""
    dots = len(module) - len(module.lstrip("."))
    return -dots, module


def block(table: dict[str, tuple[str, ...]]) -> str:
    """The type-checking block for ``table``."""
    lines = [MARKER]
    for module in sorted(table, key=module_key):
        names = sorted(table[module], key=sort_key)
        lines.append(f"    from {module} import (")
        lines.extend(f"        {name}," for name in names)
        lines.append("    )")
    lines.append("")
    every = sorted(
        (name for names in table.values() for name in names),
        key=lambda name: sort_key(name, fold_case=False),
    )
    lines.append("    __all__ = [")
    lines.extend(f'        "{name}",' for name in every)
    lines.append("    ]")
    lines.append("else:")
    lines.append("    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)")
    return "\n".join(lines) + "\n"


def rewritten(init: pathlib.Path) -> str | None:
    """The file's text with its block written afresh (None: the file has no table)."""
    table = export_table(init)
    if table is None:
        return None
    text = init.read_text()
    head, _, _ = text.partition(MARKER)
    return head.rstrip("\n") + "\n\n" + block(table)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        new = rewritten(init)
        if new is None or new == init.read_text():
            continue
        stale.append(init.relative_to(ROOT))
        if not check:
            init.write_text(new)
    for path in stale:
        print(("out of date: " if check else "rewrote: ") + str(path))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
