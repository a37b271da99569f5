"""The emulator's built-in web tools: the service's own search and URL-reading calls.

Where ``deepseek-flash`` is offered ``deepseek_web_search`` or ``deepseek_read_url`` (V4.1
era, the service since 2026-11-13), the emulator runs them as the service would: it makes
the call itself, puts the call and its result on the reply, and answers citing what it
found. Nothing is fetched: the results are deterministic, labelled ``[emulated]``, and point
at ``example.com``.

The reply's shape (``server_tool_calls`` and ``server_tool_results`` on the assistant message
and in stream deltas) is the one ``deepseekapi_core.wire._builtin_tools`` reads; the docs we
could read leave the Chat Completions shape open (``docs/web_tools.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..wire._builtin_tools import READ_URL, WEB_SEARCH
from ._checks.context import content_text
from ._replies import snippet

__all__ = [
    "ServerCall",
    "compose_server_calls",
    "render_server_calls",
    "render_server_results",
    "search_results",
    "server_call_tokens",
]

_URL = re.compile(r"https?://[^\s<>\"'）)\]]+")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ServerCall:
    """One call the service makes of a built-in tool, with its result."""

    id: str
    tool: str
    arguments: str
    """The call's input as a JSON string."""
    result: Any
    """What the tool returned: a list of search hits, or the page read."""


def search_results(query: str, count: int = 2) -> list[dict[str, Any]]:
    """Deterministic search hits for ``query`` (what the emulator's search finds)."""
    slug = _SLUG.sub("-", query.lower()).strip("-")[:40] or "query"
    return [
        {
            "type": "web_search_result",
            "title": f"[emulated] {snippet(query, 60)} ({rank})",
            "url": f"https://example.com/{slug}/{rank}",
            "snippet": f"[emulated] A page about {snippet(query, 80)}.",
            "site_name": "example.com",
        }
        for rank in range(1, count + 1)
    ]


def page_for(url: str) -> dict[str, Any]:
    """The deterministic page the emulator's URL reading returns for ``url``."""
    return {
        "type": "web_page",
        "url": url,
        "title": f"[emulated] {snippet(url, 60)}",
        "content": f"[emulated] The text of {url}.",
    }


def compose_server_calls(
    builtin_tools: Sequence[str], messages: list[dict[str, Any]], call_id: Callable[[int], str]
) -> list[ServerCall]:
    """The calls the emulated service makes before answering the last user message: read each
    link in it (``deepseek_read_url``), else search for it (``deepseek_web_search``)."""
    if not builtin_tools or not messages or messages[-1]["role"] != "user":
        return []
    text = content_text(messages[-1].get("content"))
    if READ_URL in builtin_tools:
        urls = list(dict.fromkeys(_URL.findall(text)))
        if urls:
            return [
                ServerCall(_server_id(call_id, i), READ_URL, _json({"url": u}), page_for(u))
                for i, u in enumerate(urls)
            ]
    if WEB_SEARCH in builtin_tools and text.strip():
        query = snippet(text, 120)
        return [
            ServerCall(
                _server_id(call_id, 0), WEB_SEARCH, _json({"query": query}), search_results(query)
            )
        ]
    return []


def answer_citing(calls: Sequence[ServerCall], label: str) -> str:
    """An answer that cites the pages the calls found, as ``[n](url)``."""
    sources: list[Mapping[str, Any]] = []
    for call in calls:
        result = call.result if isinstance(call.result, list) else [call.result]
        sources.extend(item for item in result if isinstance(item, Mapping) and "url" in item)
    cited = " ".join(f"[{n}]({source['url']})" for n, source in enumerate(sources, 1))
    used = ", ".join(f"{call.tool} {call.arguments}" for call in calls)
    return f"{label} From {used}: {cited}".rstrip()


def render_server_calls(calls: Sequence[ServerCall]) -> list[dict[str, Any]]:
    """The ``server_tool_calls`` list of a reply."""
    return [{"id": call.id, "type": call.tool, "arguments": call.arguments} for call in calls]


def render_server_results(calls: Sequence[ServerCall]) -> list[dict[str, Any]]:
    """The ``server_tool_results`` list of a reply."""
    return [
        {
            "tool_call_id": call.id,
            "type": call.tool,
            "content": call.result if isinstance(call.result, list) else [call.result],
        }
        for call in calls
    ]


def server_call_tokens(calls: Sequence[ServerCall], count: Callable[[str], int]) -> int:
    """Completion tokens the calls' inputs cost (their results are read, not written)."""
    return sum(count(call.arguments) + 3 for call in calls)


def _server_id(call_id: Callable[[int], str], index: int) -> str:
    return "srv" + call_id(index)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
