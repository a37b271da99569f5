"""The optional extras of the distribution: how to name one to install, and a guard for code
that cannot run without one."""

from __future__ import annotations

import importlib


def install_command(extra: str) -> str:
    """The command that installs ``extra``: ``pip install "deepseekapi-integrations[extra]"``."""
    return f'pip install "deepseekapi-integrations[{extra}]"'


def require_module(module: str, *, needed_by: str, distribution: str, extra: str) -> None:
    """Import ``module``, or raise ``ImportError`` saying that ``needed_by`` needs
    ``distribution`` and which extra brings it (the import error is chained)."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{needed_by} needs {distribution}: {install_command(extra)}") from exc
