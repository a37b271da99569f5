"""Tool checks: the tool definitions, ``tool_choice``, and the order of tool messages."""

from __future__ import annotations

from typing import Any

from ...wire._models import TOOL_NAME_PATTERN
from .errors import Rejected, bad_request
from .strict import check_strict_function

__all__ = ["check_tool_sequence", "check_tools"]

_MAX_TOOLS = 128


def check_tools(
    tools: list[dict[str, Any]] | None,
    tool_choice: object,
    builtin: tuple[str, ...] = (),
    *,
    beta: bool = False,
) -> list[dict[str, Any]]:
    """The offered function tools (maybe none), with valid names; ``tool_choice`` must name
    one of them. ``builtin`` are the built-in tools offered beside them. At the beta base URL
    (``beta``), a strict function's schema must be strict-compatible."""
    offered: list[dict[str, Any]] = list(tools or [])
    if len(offered) > _MAX_TOOLS:
        raise bad_request(f"Invalid tools: a maximum of {_MAX_TOOLS} functions are supported")
    names: set[str] = set()
    for index, tool in enumerate(offered):
        name = tool["function"]["name"]
        if not TOOL_NAME_PATTERN.match(name):
            raise bad_request(
                f"Invalid 'tools[{index}].function.name': string does not match pattern. "
                "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'."
            )
        names.add(name)
        if beta and tool["function"].get("strict") is True:
            check_strict_function(index, tool["function"])
    if tool_choice is not None and tool_choice != "none" and not offered and not builtin:
        raise bad_request("tool_choice is only allowed when tools are specified")
    if isinstance(tool_choice, dict) and tool_choice["function"]["name"] not in names:
        raise bad_request(
            f"Invalid tool_choice: function `{tool_choice['function']['name']}` "
            "is not among the tools"
        )
    return offered


def check_tool_sequence(messages: list[dict[str, Any]]) -> None:
    """A tool message must answer a call of the assistant message just before it (or of the
    same block of tool messages); every call of that message must get its tool message."""
    offered: set[str] = set()
    pending: set[str] = set()
    for message in messages:
        role = message["role"]
        if role == "tool":
            call_id = message["tool_call_id"]
            if call_id not in offered:
                raise bad_request(
                    "Messages with role 'tool' must be a response to a preceding message "
                    "with 'tool_calls'"
                )
            pending.discard(call_id)
            continue
        if pending:
            raise _insufficient_tool_messages()
        calls = message.get("tool_calls") if role == "assistant" else None
        if calls:
            offered = {call["id"] for call in calls}
            pending = set(offered)
        else:
            offered = set()
    if pending:
        raise _insufficient_tool_messages()


def _insufficient_tool_messages() -> Rejected:
    return bad_request(
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. (insufficient tool messages following tool_calls message)"
    )
