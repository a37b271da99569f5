"""The script queue: replies a test decides in advance."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Script", "ScriptedError", "ScriptedReply", "ScriptedServerCall", "ScriptedToolCall"]


@dataclass(frozen=True)
class ScriptedToolCall:
    """One tool call of a scripted reply; ``arguments`` is the JSON string sent."""

    name: str
    arguments: str


@dataclass(frozen=True)
class ScriptedServerCall:
    """A call the service makes of a built-in tool (``deepseek_web_search``,
    ``deepseek_read_url``): its input as a JSON string, and what it returned."""

    tool: str
    arguments: str
    result: object


@dataclass(frozen=True)
class ScriptedReply:
    """A scripted assistant reply: text, or tool calls (then ``content`` is usually "");
    ``server_calls`` are the service's own built-in tool calls made before it."""

    content: str
    reasoning: str | None = None
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    finish_reason: str | None = None
    server_calls: tuple[ScriptedServerCall, ...] = ()


@dataclass(frozen=True)
class ScriptedError:
    """A scripted error response."""

    status: int
    message: str | None = None
    error_type: str | None = None
    code: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


ScriptItem = ScriptedReply | ScriptedError


def _arguments(arguments: Mapping[str, object] | str | None) -> str:
    if arguments is None:
        return "{}"
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


class Script:
    """Replies to hand out, in order, before the emulator falls back to its own.

    Each scripted item answers one valid chat-completions request (the request is still
    checked first, so an invalid request gets its 400 and the item stays queued). Methods
    return the script, so calls chain::

        emulator.script.reply_tool_call("get_weather", {"city": "Paris"}).reply_text("Sunny.")
    """

    def __init__(self) -> None:
        self._items: deque[ScriptItem] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Drop every queued item."""
        with self._lock:
            self._items.clear()

    def add(self, item: ScriptItem) -> Script:
        """Queue a prepared item."""
        with self._lock:
            self._items.append(item)
        return self

    def reply_text(
        self, text: str, *, reasoning: str | None = None, finish_reason: str = "stop"
    ) -> Script:
        """Queue a text reply. ``reasoning`` is returned in thinking mode only (a reply in
        thinking mode without one gets a generated reasoning)."""
        return self.add(ScriptedReply(text, reasoning=reasoning, finish_reason=finish_reason))

    def reply_tool_call(
        self,
        name: str,
        arguments: Mapping[str, object] | str | None = None,
        *,
        content: str = "",
        reasoning: str | None = None,
    ) -> Script:
        """Queue a reply that calls tool ``name`` with ``arguments`` (a dict or JSON string)."""
        return self.reply_tool_calls([(name, arguments)], content=content, reasoning=reasoning)

    def reply_tool_calls(
        self,
        calls: Sequence[tuple[str, Mapping[str, object] | str | None]],
        *,
        content: str = "",
        reasoning: str | None = None,
    ) -> Script:
        """Queue a reply with parallel tool calls, given as ``(name, arguments)`` pairs."""
        if not calls:
            raise ValueError("reply_tool_calls needs at least one call")
        return self.add(
            ScriptedReply(
                content,
                reasoning=reasoning,
                tool_calls=tuple(ScriptedToolCall(name, _arguments(args)) for name, args in calls),
                finish_reason="tool_calls",
            )
        )

    def reply_web_search(
        self,
        query: str,
        results: Sequence[Mapping[str, object]] | None = None,
        *,
        answer: str = "",
        reasoning: str | None = None,
        tool_calls: Sequence[tuple[str, Mapping[str, object] | str | None]] = (),
    ) -> Script:
        """Queue a reply in which the service searched the web for ``query`` (built-in
        ``deepseek_web_search``) and found ``results`` (default: two ``example.com`` hits),
        then answers ``answer`` or, with ``tool_calls``, calls function tools."""
        from ._builtin import search_results

        found = list(results) if results is not None else search_results(query)
        call = ScriptedServerCall("deepseek_web_search", _arguments({"query": query}), found)
        return self._server_reply(call, answer, reasoning, tool_calls)

    def reply_read_url(
        self,
        url: str,
        page: Mapping[str, object] | None = None,
        *,
        answer: str = "",
        reasoning: str | None = None,
        tool_calls: Sequence[tuple[str, Mapping[str, object] | str | None]] = (),
    ) -> Script:
        """Queue a reply in which the service read ``url`` (built-in ``deepseek_read_url``)
        and got ``page``, then answers ``answer`` or calls function tools."""
        from ._builtin import page_for

        read = dict(page) if page is not None else page_for(url)
        call = ScriptedServerCall("deepseek_read_url", _arguments({"url": url}), [read])
        return self._server_reply(call, answer, reasoning, tool_calls)

    def _server_reply(
        self,
        call: ScriptedServerCall,
        answer: str,
        reasoning: str | None,
        tool_calls: Sequence[tuple[str, Mapping[str, object] | str | None]],
    ) -> Script:
        calls = tuple(ScriptedToolCall(name, _arguments(args)) for name, args in tool_calls)
        return self.add(
            ScriptedReply(
                answer,
                reasoning=reasoning,
                tool_calls=calls,
                finish_reason="tool_calls" if calls else "stop",
                server_calls=(call,),
            )
        )

    def reply_json(self, value: object, *, reasoning: str | None = None) -> Script:
        """Queue a reply whose content is ``value`` serialised as JSON."""
        return self.reply_text(json.dumps(value, ensure_ascii=False), reasoning=reasoning)

    def reply_error(
        self,
        status: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Script:
        """Queue an error response: ``status`` with the service's error body for it
        (``message``/``error_type``/``code`` override the defaults)."""
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), not {status}")
        return self.add(
            ScriptedError(
                status,
                message=message,
                error_type=error_type,
                code=code,
                headers=tuple((headers or {}).items()),
            )
        )

    def take(self) -> ScriptItem | None:
        """Remove and return the next item (None when the script is empty)."""
        if not self._items:
            return None
        with self._lock:
            return self._items.popleft() if self._items else None
