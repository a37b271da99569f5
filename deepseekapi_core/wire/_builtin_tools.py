"""DeepSeek's built-in web tools: ``deepseek_web_search`` and ``deepseek_read_url``.

The service runs these tools itself (``deepseek-flash``, from 2026-11-13): a request offers them
in ``tools`` beside function tools, the model decides whether to search or read a link, and the
reply carries the service's own calls and their results, which the client shows and passes
back unchanged in the next round (https://api-docs.deepseek.com/guides/web_tools,
https://api-docs.deepseek.com/guides/build_a_chatbot; see ``docs/web_tools.md``).

What the docs leave open, and how this module copes (``docs/web_tools.md`` has the sources):

* The declaration is documented for the Messages format as ``{"type": "deepseek_web_search",
  "name": "deepseek_web_search"}``; the Chat Completions form is sent as ``{"type": ...}`` plus
  whatever other keys the caller gives (kept as they are).
* Where a Chat Completions reply puts the service's calls and results is not in the pages we
  could read. This library reads them from the assistant message's ``server_tool_calls`` and
  ``server_tool_results`` lists (and from ``tool_calls`` entries whose ``type`` is not
  ``"function"`` or whose function is named after a built-in tool, which are moved there so
  no agent ever runs them), keeps every entry as the raw dict it came as, and sends the lists
  back unchanged on the assistant message of the next request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from ..http._errors import UnsupportedParameterError

__all__ = [
    "BUILTIN_TOOL_TYPES",
    "READ_URL",
    "SERVER_TOOL_CALLS",
    "SERVER_TOOL_RESULTS",
    "WEB_SEARCH",
    "BuiltinToolCall",
    "BuiltinToolResult",
    "BuiltinToolSpec",
    "builtin_tool_call_counts",
    "builtin_tool_calls",
    "builtin_tool_results",
    "builtin_tool_spec",
    "check_builtin_tools",
    "read_url",
    "web_search",
]

WEB_SEARCH: Final = "deepseek_web_search"
"""Web search (thinking off), or deep thinking search (thinking on: search, open pages and find
text in them over several reasoning steps)."""
READ_URL: Final = "deepseek_read_url"
"""URL reading: the model fetches the links in the user's message."""
BUILTIN_TOOL_TYPES: tuple[str, ...] = (WEB_SEARCH, READ_URL)
"""The built-in tools the service documents (web_tools guide, 2026-11-13)."""

BuiltinToolType = Literal["deepseek_web_search", "deepseek_read_url"]

SERVER_TOOL_CALLS = "server_tool_calls"
"""The assistant message's list of the service's own tool calls (raw dicts)."""
SERVER_TOOL_RESULTS = "server_tool_results"
"""The assistant message's list of those calls' results (raw dicts)."""
PASSTHROUGH = "extra_message_fields"
"""Where both adapters keep a reply message's unmodelled fields (their messages'
``additional_kwargs``), to send them back as they came."""

_SINCE = "2026-11-13"


class BuiltinToolSpec(BaseModel):
    """A built-in tool offered to the model: ``{"type": "deepseek_web_search"}``.

    Keys beyond ``type`` (the Messages format's ``name``, any option the service adds) are kept
    and sent as they are; which ones the Chat Completions format reads is not documented.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    type: BuiltinToolType

    @property
    def name(self) -> str:
        """The tool's name, which is its type."""
        return self.type


def web_search(**options: Any) -> BuiltinToolSpec:
    """The built-in web search tool (``deepseek-flash``): searches the web when the question
    calls for it and answers with citations; with thinking on, deep thinking search."""
    return BuiltinToolSpec(type=WEB_SEARCH, **options)


def read_url(**options: Any) -> BuiltinToolSpec:
    """The built-in URL reading tool (``deepseek-flash``): fetches the links in the user's
    message and answers with their content in context."""
    return BuiltinToolSpec(type=READ_URL, **options)


def builtin_tool_spec(tool: object) -> BuiltinToolSpec | None:
    """``tool`` as a :class:`BuiltinToolSpec` when it is one of the built-in tools, else None.

    Takes a :class:`BuiltinToolSpec`, a dict whose ``type`` is a built-in tool's (as the docs
    write it), or any object with a ``builtin_tool_spec`` attribute holding one (the adapters'
    own tool types).
    """
    if isinstance(tool, BuiltinToolSpec):
        return tool
    if isinstance(tool, Mapping):
        if tool.get("type") in BUILTIN_TOOL_TYPES:
            return BuiltinToolSpec.model_validate(dict(tool))
        return None
    spec = getattr(tool, "builtin_tool_spec", None)
    return spec if isinstance(spec, BuiltinToolSpec) else None


def check_builtin_tools(
    tools: Iterable[object] | None, *, model: str, offered: frozenset[str], known: bool
) -> None:
    """Refuse built-in tools the model lacks, before anything is sent.

    ``offered`` is the model's set of built-in tools (its registry profile); an id the
    registry does not know (``known`` False) is let through: the proxy may serve it.

    Raises :class:`UnsupportedParameterError` naming the model and the tool.
    """
    if not known:
        return
    for tool in tools or ():
        if isinstance(tool, BuiltinToolSpec) and tool.type not in offered:
            raise UnsupportedParameterError(
                f"{model} has no built-in tool {tool.type!r}: the service runs its web tools "
                f"({', '.join(BUILTIN_TOOL_TYPES)}) for deepseek-flash only (since {_SINCE}); "
                "use model='deepseek-flash', or offer a function tool instead",
                param="tools",
            )


# --------------------------------------------------------------------------------------------
# The service's calls and results in a reply


@dataclass(frozen=True)
class BuiltinToolCall:
    """One call the service made of a built-in tool, with the raw dict it came as."""

    id: str
    type: str
    """The tool: ``deepseek_web_search`` or ``deepseek_read_url`` (or a newer one)."""
    args: dict[str, Any]
    """The call's input (``{"query": ...}``, ``{"url": ...}``): its ``input``/``arguments``
    object, or its ``arguments`` JSON string parsed (``{}`` when unreadable)."""
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class BuiltinToolResult:
    """The result of one built-in tool call, with the raw dict it came as."""

    tool_call_id: str
    type: str
    content: Any
    """What the service returned for the call (search results, a page), as it came."""
    raw: dict[str, Any] = field(repr=False)

    @property
    def status(self) -> Literal["success", "error"]:
        """``"error"`` when the entry says the tool failed (``is_error``, an ``error`` or a
        ``status`` of error/failed), else ``"success"``."""
        raw = self.raw
        failed = raw.get("is_error") or raw.get("error") or raw.get("status") in ("error", "failed")
        return "error" if failed else "success"

    @property
    def sources(self) -> list[dict[str, Any]]:
        """The pages in the result that have a ``url`` (search hits, the page read)."""
        items = self.content if isinstance(self.content, list) else [self.content]
        return [item for item in items if isinstance(item, Mapping) and "url" in item]  # type: ignore[misc]


def builtin_tool_calls(message: object) -> list[BuiltinToolCall]:
    """The built-in tool calls on an assistant message (a reply's message, a core
    ``ChatMessage`` or a wire dict), in order."""
    calls: list[BuiltinToolCall] = []
    for index, raw in enumerate(_entries(message, SERVER_TOOL_CALLS)):
        function = raw.get("function")
        function = function if isinstance(function, Mapping) else {}
        kind = raw.get("type")
        if not isinstance(kind, str) or kind == "function":
            kind = str(function.get("name") or raw.get("name") or "")
        calls.append(
            BuiltinToolCall(
                id=str(raw.get("id") or f"server_call_{index}"),
                type=kind,
                args=_call_input(raw, function, kind),
                raw=raw,
            )
        )
    return calls


def builtin_tool_results(message: object) -> list[BuiltinToolResult]:
    """The results of the built-in tool calls on an assistant message, in order."""
    results: list[BuiltinToolResult] = []
    for raw in _entries(message, SERVER_TOOL_RESULTS):
        content = raw.get("content", raw.get("results", raw.get("output")))
        results.append(
            BuiltinToolResult(
                tool_call_id=str(raw.get("tool_call_id") or raw.get("tool_use_id") or ""),
                type=str(raw.get("type") or ""),
                content=content,
                raw=raw,
            )
        )
    return results


def builtin_tool_call_counts(reply: object) -> dict[str, int]:
    """How many calls of each built-in tool a reply made (``{"deepseek_web_search": 2}``):
    what the service bills per call on top of tokens.

    Takes a ``ChatCompletion`` (its first choice), a ``StreamAccumulator`` (the stream so
    far), or a message.
    """
    message = _message_of(reply)
    counts: dict[str, int] = {}
    if not _entries(message, SERVER_TOOL_CALLS):
        return counts  # nearly every reply: asked on each one, for its cost
    for call in builtin_tool_calls(message):
        if call.type:
            counts[call.type] = counts.get(call.type, 0) + 1
    return counts


def _message_of(reply: object) -> object:
    choices = getattr(reply, "choices", None)
    if isinstance(choices, Sequence) and choices:
        return getattr(choices[0], "message", reply)
    return reply


def _entries(message: object, name: str) -> list[dict[str, Any]]:
    value = message.get(name) if isinstance(message, Mapping) else getattr(message, name, None)
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, dict)]


def _call_input(raw: Mapping[str, Any], function: Mapping[str, Any], kind: str) -> dict[str, Any]:
    from ..tools._calls import parse_tool_arguments  # the tools package imports this one

    for value in (raw.get("input"), raw.get("arguments"), function.get("arguments"), raw.get(kind)):
        if isinstance(value, Mapping):
            return dict(value)
        if isinstance(value, str):
            try:
                return parse_tool_arguments(value)
            except ValueError:
                return {}
    return {}


def server_entries_of(
    blocks: Iterable[object],
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    """The raw server tool calls and results kept in content blocks' ``extras["raw"]`` (as
    the adapters put them on ``server_tool_call``/``server_tool_result`` blocks), for a
    history that kept the blocks but not the raw lists."""
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        extras = block.get("extras")
        raw = extras.get("raw") if isinstance(extras, Mapping) else None
        if not isinstance(raw, dict):
            continue
        if block.get("type") == "server_tool_call":
            calls.append(raw)
        elif block.get("type") == "server_tool_result":
            results.append(raw)
    return calls or None, results or None


# --------------------------------------------------------------------------------------------
# The assistant message that goes back


def assistant_extras_problem(message: Any) -> str | None:
    """Why a ``ChatMessage``'s server entries or passthrough fields are not allowed, or None:
    they belong to assistant messages, and passthrough fields may not shadow modelled ones."""
    extras = message.server_tool_calls or message.server_tool_results or message.passthrough
    if extras and message.role != "assistant":
        return (
            "server tool calls, results and passthrough fields belong to assistant messages, "
            f"not {message.role}"
        )
    clash = sorted(set(message.passthrough or ()) & set(type(message).model_fields))
    if clash:
        return f"passthrough fields may not shadow the message's own fields: {', '.join(clash)}"
    return None


def add_assistant_extras(wire: dict[str, Any], message: Any) -> None:
    """Put a ``ChatMessage``'s server entries and passthrough fields on its wire dict, as
    they came."""
    if message.server_tool_calls:
        wire[SERVER_TOOL_CALLS] = message.server_tool_calls
    if message.server_tool_results:
        wire[SERVER_TOOL_RESULTS] = message.server_tool_results
    if message.passthrough:
        wire.update(message.passthrough)


def unmodelled_fields(message: Any) -> dict[str, Any]:
    """The fields of a reply's message (or a folded stream) this library does not model, with
    a value: what goes back in ``ChatMessage.passthrough``."""
    extra = getattr(message, "model_extra", None) or {}
    return {key: value for key, value in extra.items() if value is not None}


def fold_unmodelled(folded: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Fold a delta's unmodelled fields: strings and lists appended, objects merged, anything
    else replaced (the service's own rules for them are unknown)."""
    for key, value in extra.items():
        if value is None:
            continue
        old = folded.get(key)
        if isinstance(old, str) and isinstance(value, str):
            folded[key] = old + value
        elif isinstance(old, list) and isinstance(value, list):
            folded[key] = [*old, *value]
        elif isinstance(old, dict) and isinstance(value, dict):
            folded[key] = {**old, **value}
        else:
            folded[key] = value


# --------------------------------------------------------------------------------------------
# Normalising a reply's message, and folding a stream's deltas


def is_server_call(call: object) -> bool:
    """Whether a ``tool_calls`` entry of a reply is the service's own call of a built-in tool:
    its ``type`` is not ``"function"``, or its function is named after a built-in tool."""
    if not isinstance(call, Mapping):
        return False
    kind = call.get("type")
    if isinstance(kind, str) and kind != "function":
        return True
    function = call.get("function")
    return isinstance(function, Mapping) and function.get("name") in BUILTIN_TOOL_TYPES


def is_server_fragment(call: Any) -> bool:
    """Whether a parsed stream ``ToolCallDelta`` is a fragment of the service's own call."""
    if call.type is not None and call.type != "function":
        return True
    function = call.function
    return function is not None and function.name in BUILTIN_TOOL_TYPES


def split_server_calls(data: Any) -> Any:
    """A reply message (or delta) dict with the service's own calls moved out of ``tool_calls``
    into ``server_tool_calls`` (raw), so nothing downstream mistakes them for function calls."""
    if not isinstance(data, dict):
        return data
    calls = data.get("tool_calls")
    if not isinstance(calls, list) or not any(is_server_call(call) for call in calls):
        return data
    moved = [call for call in calls if is_server_call(call)]
    kept = [call for call in calls if not is_server_call(call)]
    server = data.get(SERVER_TOOL_CALLS)
    return {
        **data,
        "tool_calls": kept or None,
        SERVER_TOOL_CALLS: [*(server if isinstance(server, list) else []), *moved],
    }


def fold_server_entries(folded: dict[int, dict[str, Any]], entries: Iterable[Any]) -> None:
    """Fold a delta's ``server_tool_calls``/``server_tool_results`` into ``folded``.

    An entry with an ``index`` continues the entry of that index (its ``arguments`` string
    appended, other keys set); one without is a new entry. The ``index`` is the stream's, not
    the entry's, and is dropped from the folded dict.
    """
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        index = entry.get("index")
        if not isinstance(index, int):
            index = len(folded) + 1_000_000  # unindexed: a new entry after the indexed ones
        target = folded.setdefault(index, {})
        for key, value in entry.items():
            if key == "index":
                continue
            if key == "arguments" and isinstance(value, str) and isinstance(target.get(key), str):
                target[key] += value
            else:
                target[key] = value


def folded_list(folded: Mapping[int, dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The folded entries in stream order (None when there are none)."""
    return [folded[index] for index in sorted(folded)] or None
