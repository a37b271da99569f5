"""Built-in tool checks: which era and model run the service's web tools, and the server
tool calls and results an assistant message sends back.

The wording of these refusals is the emulator's own: the docs we could read do not quote the
service's (``docs/web_tools.md``).
"""

from __future__ import annotations

from typing import Any

from ...wire._builtin_tools import BUILTIN_TOOL_TYPES, SERVER_TOOL_CALLS, SERVER_TOOL_RESULTS
from ...wire._registry import ModelProfile
from .eras import EraRules
from .errors import ShapeError, bad_request, expected

__all__ = ["check_builtin_tools", "check_server_entries"]


def check_builtin_tools(
    tools: list[dict[str, Any]] | None, rules: EraRules, profile: ModelProfile
) -> tuple[tuple[str, ...], list[dict[str, Any]] | None]:
    """The built-in tools offered, and the function tools beside them.

    An era before the built-in tools reads their declaration as an unknown tool type (422);
    a model without them is refused with 400 naming the model and the tool.
    """
    if not tools:
        return (), tools
    builtin: list[str] = []
    functions: list[dict[str, Any]] = []
    for index, tool in enumerate(tools):
        kind = tool.get("type")
        if kind not in BUILTIN_TOOL_TYPES:
            functions.append(tool)
            continue
        if not rules.builtin_tools:
            raise ShapeError(
                f"tools[{index}].type: unknown variant `{kind}`, {expected(['function'])}"
            )
        if kind not in profile.builtin_tools:
            raise bad_request(
                f"Model {profile.id} does not support the built-in tool {kind}; use deepseek-flash"
            )
        if kind in builtin:
            raise bad_request(f"Invalid tools: the built-in tool {kind} is declared twice")
        builtin.append(str(kind))
    return tuple(builtin), functions


def check_server_entries(messages: list[dict[str, Any]]) -> None:
    """Server tool results come back beside the calls they answer, in the same message."""
    for index, message in enumerate(messages):
        calls = message.get(SERVER_TOOL_CALLS)
        results = message.get(SERVER_TOOL_RESULTS)
        if calls is None and results is None:
            continue
        where = f"messages[{index}]"
        if message.get("role") != "assistant":
            raise bad_request(
                f"{where}: server tool calls and results belong to assistant messages"
            )
        for name, entries in ((SERVER_TOOL_CALLS, calls), (SERVER_TOOL_RESULTS, results)):
            if entries is not None and (
                not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries)
            ):
                raise ShapeError(f"{where}.{name}: invalid type, expected a sequence of maps")
        ids = {call.get("id") for call in calls or ()}
        for result in results or ():
            if result.get("tool_call_id") not in ids:
                raise bad_request(
                    f"{where}.{SERVER_TOOL_RESULTS}: the result for "
                    f"{result.get('tool_call_id')!r} answers no server tool call of this message; "
                    "send the assistant message back as it was returned"
                )
