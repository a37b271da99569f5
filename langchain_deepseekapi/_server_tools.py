"""The service's built-in tool calls and results (web search, URL reading) as LangChain's
standard ``server_tool_call`` / ``server_tool_result`` content blocks, and back.

A reply with such calls gets list content: the server blocks, then the answer as a text block
(``message.text`` is still the answer, ``content_blocks`` shows the blocks). The raw entries
are kept in ``additional_kwargs["server_tool_calls"]`` / ``["server_tool_results"]`` and in
each block's ``extras["raw"]``, and go back unchanged when the message is sent again. They
never appear in ``tool_calls``: an agent has nothing to run for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage

from deepseekapi_core.wire._builtin_tools import (
    PASSTHROUGH,
    SERVER_TOOL_CALLS,
    SERVER_TOOL_RESULTS,
    builtin_tool_calls,
    builtin_tool_results,
    server_entries_of,
)

__all__ = ["server_blocks", "server_fields", "split_content", "unindexed", "with_server_blocks"]


def server_blocks(
    calls: Sequence[dict[str, Any]] | None, results: Sequence[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Standard blocks for raw server entries: each call, then the results that answer it
    (results that answer none of these calls come last)."""
    pending = builtin_tool_results({SERVER_TOOL_RESULTS: list(results or ())})
    blocks: list[dict[str, Any]] = []
    for call in builtin_tool_calls({SERVER_TOOL_CALLS: list(calls or ())}):
        blocks.append(
            {
                "type": "server_tool_call",
                "id": call.id,
                "name": call.type,
                "args": call.args,
                "extras": {"raw": call.raw},
            }
        )
        answered = [result for result in pending if result.tool_call_id == call.id]
        pending = [result for result in pending if result.tool_call_id != call.id]
        blocks.extend(_result_block(result) for result in answered)
    blocks.extend(_result_block(result) for result in pending)
    return blocks


def unindexed(entries: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """A delta's entries without the stream's ``index`` (which is not part of the entry)."""
    if entries is None:
        return None
    return [{key: value for key, value in entry.items() if key != "index"} for entry in entries]


def _result_block(result: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "server_tool_result",
        "tool_call_id": result.tool_call_id,
        "status": result.status,
        "output": result.content,
        "extras": {"raw": result.raw},
    }
    return block


def with_server_blocks(text: str, blocks: list[dict[str, Any]]) -> str | list[str | dict[str, Any]]:
    """Message content: ``text`` alone, or the server blocks followed by ``text``."""
    if not blocks:
        return text
    content: list[str | dict[str, Any]] = list(blocks)
    if text:
        content.append({"type": "text", "text": text})
    return content


def split_content(content: str | list[str | dict[Any, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """A chunk's content as its text and its server blocks (the inverse of
    :func:`with_server_blocks`)."""
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    blocks: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, str):
            texts.append(item)
        elif item.get("type") == "text":
            texts.append(str(item.get("text", "")))
        else:
            blocks.append(item)
    return "".join(texts), blocks


def server_fields(message: AIMessage) -> dict[str, Any]:
    """What an ``AIMessage`` sends back beside its text: the server entries (its raw lists in
    ``additional_kwargs``, else the raw entries kept on its server blocks) and the reply's
    unmodelled fields (``additional_kwargs["extra_message_fields"]``)."""
    extra = message.additional_kwargs
    calls = extra.get(SERVER_TOOL_CALLS)
    results = extra.get(SERVER_TOOL_RESULTS)
    if calls is None and results is None and isinstance(message.content, list):
        calls, results = server_entries_of(message.content)
    fields: dict[str, Any] = {}
    if calls:
        fields[SERVER_TOOL_CALLS] = _raw_list(calls)
    if results:
        fields[SERVER_TOOL_RESULTS] = _raw_list(results)
    passthrough = extra.get(PASSTHROUGH)
    if passthrough:
        fields["passthrough"] = passthrough
    return fields


def _raw_list(entries: object) -> object:
    # Anything else is left for the core's validation to name.
    if isinstance(entries, list):
        return [dict(entry) if isinstance(entry, Mapping) else entry for entry in entries]
    return entries
