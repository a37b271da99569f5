"""How a tool call looks when the service leaks it into ``content`` instead of ``tool_calls``.

The four shapes are those reported against the service (see ``docs/emulator.md``). The DSML
form follows the markup seen in leaked V4 replies: full-width bars (U+FF5C) around ``DSML``,
one ``invoke`` per call, one ``parameter`` per argument with ``string="true"`` for a string
sent as is and ``string="false"`` for any other value written as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..tools._calls import loads_json

__all__ = ["DSML", "leaked_text"]

DSML = "｜DSML｜"
"""The DSML marker, with full-width vertical bars (U+FF5C)."""


def leaked_text(shape: str, calls: list[tuple[str, str]]) -> str:
    """``calls`` (``(name, arguments JSON)`` pairs) written in ``shape``."""
    return _WRITERS[shape](calls)


def _arguments(arguments: str) -> object:
    """The arguments as a value (the raw string when they are not JSON)."""
    try:
        return loads_json(arguments)
    except ValueError:
        return arguments


def _call_object(name: str, arguments: str) -> str:
    return json.dumps({"name": name, "arguments": _arguments(arguments)}, ensure_ascii=False)


def _dsml(calls: list[tuple[str, str]]) -> str:
    lines = [f"<{DSML}tool_calls>"]
    for name, arguments in calls:
        lines.append(f'<{DSML}invoke name="{name}">')
        value = _arguments(arguments)
        parameters = value if isinstance(value, dict) else {}
        for key, item in parameters.items():
            if isinstance(item, str):
                written, is_string = item, "true"
            else:
                written, is_string = json.dumps(item, ensure_ascii=False), "false"
            lines.append(
                f'<{DSML}parameter name="{key}" string="{is_string}">{written}</{DSML}parameter>'
            )
        lines.append(f"</{DSML}invoke>")
    lines.append(f"</{DSML}tool_calls>")
    return "\n".join(lines)


def _tool_call_tags(calls: list[tuple[str, str]]) -> str:
    return "\n".join(f"<tool_call>{_call_object(n, a)}</tool_call>" for n, a in calls)


def _fenced_json(calls: list[tuple[str, str]]) -> str:
    fences = []
    for name, arguments in calls:
        body = json.dumps(
            {"name": name, "arguments": _arguments(arguments)}, ensure_ascii=False, indent=2
        )
        fences.append(f"```json\n{body}\n```")
    return "\n".join(fences)


def _bare_json(calls: list[tuple[str, str]]) -> str:
    return "\n".join(_call_object(n, a) for n, a in calls)


_WRITERS: dict[str, Callable[[list[tuple[str, str]]], str]] = {
    "dsml": _dsml,
    "tool_call_tag": _tool_call_tags,
    "fenced_json": _fenced_json,
    "bare_json": _bare_json,
}
