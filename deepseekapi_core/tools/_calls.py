"""Tool calls from the service: arguments parsed whole or while still streaming, the calls
assembled from stream fragments, and the calls as plain data for the frameworks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..http._errors import InvalidRequestError, json_deeper_than
from ..wire._models import FunctionCall, ToolCall
from ..wire._responses import ToolCallDelta

_T = TypeVar("_T")


# Far deeper than any tool's arguments; the same on every Python (3.12 and later parse a
# thousand levels that 3.10 and 3.11 cannot).
_MAX_ARGUMENT_DEPTH = 128


def loads_json(text: str) -> Any:
    """``json.loads``, with JSON nested too deeply (past 128 levels, or past Python's recursion
    limit) a ``json.JSONDecodeError`` like any other unreadable JSON, so that a model's text can
    never end a run with a bare ``RecursionError``."""
    try:
        parsed = json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("JSON nested too deeply", text, 0) from None
    # Counting brackets (in C) spares the walk for the usual small arguments.
    if text.count("[") + text.count("{") > _MAX_ARGUMENT_DEPTH and json_deeper_than(
        parsed, _MAX_ARGUMENT_DEPTH
    ):
        raise json.JSONDecodeError("JSON nested too deeply", text, 0)
    return parsed


def parse_tool_arguments(arguments: str | None) -> dict[str, Any]:
    """A tool call's JSON arguments as a dict (``""`` means no arguments).

    Raises ``ValueError`` with the text when the model produced invalid JSON or not an object
    (the service warns it "does not always generate valid JSON").
    """
    if not arguments or not arguments.strip():
        return {}
    try:
        parsed = loads_json(arguments)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"tool arguments are not valid JSON ({exc.msg}): {arguments[:200]!r}"
        ) from None
    if not isinstance(parsed, dict):
        raise ValueError(f"tool arguments must be a JSON object, got {type(parsed).__name__}")
    return parsed


def tool_call_from(call: Any, *, default_id: str = "") -> ToolCall:
    """A core :class:`ToolCall` from the frameworks' spellings of one.

    Takes a :class:`ToolCall`, an OpenAI-style dict (``{"id", "function": {"name",
    "arguments"}}``), a LangChain-style dict (``{"id", "name", "args"}``) or an object with
    ``id`` and ``function`` (the OpenAI SDK's). Arguments given as a mapping are sent as JSON;
    a string is sent exactly as it is, so a call the model produced goes back unchanged.
    """
    if isinstance(call, ToolCall):
        return call
    if isinstance(call, Mapping):
        function = call.get("function")
        if isinstance(function, Mapping):
            name, arguments = function.get("name"), function.get("arguments")
        else:
            name, arguments = call.get("name"), call.get("args", call.get("arguments"))
        call_id = call.get("id")
    else:
        function = getattr(call, "function", None)
        if function is None or not hasattr(call, "id"):
            raise InvalidRequestError(
                f"a tool call must be a mapping or an object with id and function, not {call!r}",
                param="messages",
            )
        name, arguments, call_id = function.name, function.arguments, call.id
    if isinstance(arguments, Mapping):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return ToolCall(
        id=str(call_id or default_id),
        function=FunctionCall(name=str(name or ""), arguments=str(arguments or "")),
    )


def tool_calls_from(
    calls: object, *, where: str = "tool_calls", id_prefix: str | None = None
) -> list[ToolCall]:
    """Core :class:`ToolCall` objects from a list of calls in any spelling
    :func:`tool_call_from` takes.

    A call without an id gets ``f"{id_prefix}{position}"`` when ``id_prefix`` is given. A
    string or a mapping (which would iterate as characters or keys) raises
    :class:`InvalidRequestError` naming ``where``.
    """
    if isinstance(calls, (str, bytes, Mapping)) or not isinstance(calls, Iterable):
        raise InvalidRequestError(
            f"{where} must be a list of tool calls, not {type(calls).__name__}", param="messages"
        )
    if id_prefix is None:
        return [tool_call_from(call) for call in calls]
    return [
        tool_call_from(call, default_id=f"{id_prefix}{position}")
        for position, call in enumerate(calls)
    ]


@dataclass(frozen=True, slots=True)
class ParsedToolCall:
    """A tool call of a reply: its arguments as the model sent them, and parsed.

    ``args`` is None and ``error`` says why when the arguments are not a JSON object (the
    service warns the model "does not always generate valid JSON").
    """

    id: str
    name: str
    arguments: str
    args: dict[str, Any] | None
    error: str | None = None

    @property
    def valid(self) -> bool:
        """Whether the arguments parsed into a JSON object."""
        return self.args is not None

    def as_wire(self) -> dict[str, Any]:
        """The call as the OpenAI-style dict, arguments exactly as the model sent them."""
        return wire_tool_call(self.id, self.name, self.arguments)


def parse_tool_calls(calls: Sequence[ToolCall]) -> list[ParsedToolCall]:
    """The calls with their arguments parsed, in order; invalid ones keep the error text."""
    parsed: list[ParsedToolCall] = []
    for call in calls:
        function = call.function
        try:
            args: dict[str, Any] | None = parse_tool_arguments(function.arguments)
            error = None
        except ValueError as exc:
            args, error = None, str(exc)
        parsed.append(ParsedToolCall(call.id, function.name, function.arguments, args, error))
    return parsed


def wire_tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A tool call as the OpenAI-style dict (``{"id", "type": "function", "function"}``),
    arguments exactly as the model sent them."""
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def parse_partial_arguments(arguments: str) -> dict[str, Any]:
    """The arguments of a tool call still streaming, as far as they can be read.

    The JSON so far is completed as llama-index's ``parse_partial_json`` completes it: an
    open string is closed when a colon follows its opening quote and dropped otherwise (a key
    still arriving, and a short value with it), a dangling colon gets ``null``, a trailing
    comma goes, open objects and arrays are closed. What still cannot be read, or is not an
    object, reads as ``{}``.
    """
    try:
        parsed = loads_json(arguments)
    except json.JSONDecodeError:
        completed = _completed_json(arguments)
        if completed is None:
            return {}
        try:
            parsed = loads_json(completed)
        except json.JSONDecodeError:
            return {}
    return parsed if isinstance(parsed, dict) else {}


def _completed_json(text: str) -> str | None:
    """``text`` with its open string, pair and brackets closed; None when it is malformed."""
    out: list[str] = []
    closers: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if char == '"' and not escaped:
                in_string = False
            elif char == "\n" and not escaped:
                char = "\\n"  # a raw newline inside a string is invalid JSON
            elif char == "\\":
                escaped = not escaped
            else:
                escaped = False
        elif char == '"':
            in_string, escaped = True, False
        elif char in "{[":
            closers.append("}" if char == "{" else "]")
        elif char in "}]":
            if not closers or closers[-1] != char:
                return None
            closers.pop()
        out.append(char)
    completed = "".join(out)
    if in_string:
        quote = completed.rindex('"')
        completed = completed[:quote] if ":" not in completed[quote:] else completed + '"'
    completed = completed.rstrip()
    if completed.endswith(":"):
        completed += " null"
    elif completed.endswith(","):
        completed = completed[:-1]
    return completed + "".join(reversed(closers))


def tool_call_arguments(arguments: str, *, partial: bool = False) -> dict[str, Any]:
    """The arguments of a reply's tool call as a dict, as llama-index's own LLMs read them.

    While the reply is still streaming (``partial``), as far as they can be read (see
    :func:`parse_partial_arguments`). Once it is finished, arguments that are not a JSON object
    read as ``{}``: the call is still made, the tool's error goes back to the model and an
    agent's run goes on (the reply keeps the raw text; see :func:`parse_tool_calls`).
    """
    if partial:
        return parse_partial_arguments(arguments)
    try:
        return parse_tool_arguments(arguments)
    except ValueError:
        return {}


def keep_first_tool_call(items: Sequence[_T], is_tool_call: Callable[[_T], bool]) -> list[_T]:
    """``items`` without the tool calls after the first (the service has no switch for
    parallel calls, so "one call" is enforced on the reply)."""
    kept: list[_T] = []
    seen = False
    for item in items:
        if is_tool_call(item):
            if seen:
                continue
            seen = True
        kept.append(item)
    return kept


@dataclass(slots=True)
class ToolCallBuilder:
    """A tool call being assembled from fragments (``id`` and name come first, then arguments)."""

    index: int
    id: str = ""
    name: str = ""
    arguments: str = ""

    def to_tool_call(self) -> ToolCall:
        """The finished call."""
        return ToolCall(id=self.id, function=FunctionCall(name=self.name, arguments=self.arguments))

    def as_dict(self) -> dict[str, str]:
        """The call as plain data (for error reports)."""
        return {"id": self.id, "name": self.name, "arguments": self.arguments}

    def as_wire(self) -> dict[str, Any]:
        """The call so far as the OpenAI-style dict (``{"id", "type", "function"}``)."""
        return wire_tool_call(self.id, self.name, self.arguments)


def add_tool_fragments(
    calls: dict[int, ToolCallBuilder], fragments: Iterable[ToolCallDelta]
) -> None:
    """Fold streamed tool-call fragments into ``calls`` (by call index): the first fragment of
    a call brings its ``id`` and name, the later ones pieces of its arguments."""
    for fragment in fragments:
        builder = calls.get(fragment.index)
        if builder is None:
            builder = calls[fragment.index] = ToolCallBuilder(index=fragment.index)
        if fragment.id:
            builder.id = fragment.id
        function = fragment.function
        if function is not None:
            if function.name:
                builder.name += function.name
            if function.arguments:
                builder.arguments += function.arguments
