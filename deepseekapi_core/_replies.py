"""What both adapters make of a reply, before they put it in their framework's types.

A finished reply's metadata (:class:`ReplySummary`, from a completion or a folded stream), its
tool calls with their arguments parsed or the reason they cannot be (:func:`parse_tool_calls`),
the arguments of a call still streaming (:func:`parse_partial_arguments`), the numbering of a
streamed reply's content blocks (:class:`BlockNumbering`), and the texts and rules of tool
calling that both adapters apply (first call only, "expected a tool call", a JSON answer in
place of a call).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ._convert import parse_tool_arguments
from ._types import ToolCall, Usage

__all__ = [
    "TOOL_CALLS_RECOVERED",
    "BlockNumbering",
    "ParsedToolCall",
    "ReplySummary",
    "corrective_turn_text",
    "json_object_in_text",
    "keep_first_tool_call",
    "missing_tool_call_error",
    "no_structured_call_message",
    "parse_partial_arguments",
    "parse_tool_calls",
    "tool_call_arguments",
    "wire_tool_call",
]

_T = TypeVar("_T")

TOOL_CALLS_RECOVERED = "tool_calls_recovered"
"""The metadata key (LangChain ``response_metadata``, LlamaIndex ``additional_kwargs``) that
marks a reply whose tool calls the core recovered from its text; the value is the shape."""


class _Reply(Protocol):
    """A reply's metadata, as a completion and the stream accumulator both hold it."""

    @property
    def id(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def system_fingerprint(self) -> str | None: ...
    @property
    def finish_reason(self) -> str | None: ...
    @property
    def usage(self) -> Usage | None: ...
    @property
    def tool_calls_recovered(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ReplySummary:
    """A finished reply's metadata, the same for a completion and for a folded stream.

    The adapters only map these onto their frameworks' names (LangChain's
    ``response_metadata``, LlamaIndex's ``additional_kwargs``).
    """

    id: str
    model: str
    system_fingerprint: str | None
    finish_reason: str | None
    usage: Usage | None
    tool_calls_recovered: str | None
    """The shape of tool calls the client recovered from the text, if it did."""

    @classmethod
    def of(cls, reply: _Reply) -> ReplySummary:
        """The summary of a :class:`~deepseekapi_core.ChatCompletion` or of a
        :class:`~deepseekapi_core.integration.StreamAccumulator` (so far)."""
        return cls(
            id=reply.id,
            model=reply.model,
            system_fingerprint=reply.system_fingerprint,
            finish_reason=reply.finish_reason,
            usage=reply.usage,
            tool_calls_recovered=reply.tool_calls_recovered,
        )

    @property
    def reasoning_tokens(self) -> int | None:
        """The reasoning tokens counted, None when unknown or zero."""
        return self.usage.reasoning_tokens or None if self.usage is not None else None

    def counts(self) -> dict[str, Any]:
        """Token counts (when the service sent usage), ``finish_reason`` (when there is one)
        and :data:`TOOL_CALLS_RECOVERED` (when calls were recovered), flat, under stable names."""
        counts: dict[str, Any] = self.usage.as_dict() if self.usage is not None else {}
        if self.finish_reason is not None:
            counts["finish_reason"] = self.finish_reason
        if self.tool_calls_recovered is not None:
            counts[TOOL_CALLS_RECOVERED] = self.tool_calls_recovered
        return counts


# --------------------------------------------------------------------------------------------
# Tool calls of a reply


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
        parsed = json.loads(arguments)
    except json.JSONDecodeError:
        completed = _completed_json(arguments)
        if completed is None:
            return {}
        try:
            parsed = json.loads(completed)
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


def tool_call_arguments(name: str, arguments: str, *, partial: bool = False) -> dict[str, Any]:
    """The arguments of a reply's call of tool ``name`` as a dict.

    While the reply is still streaming (``partial``), as far as they can be read (see
    :func:`parse_partial_arguments`); once it is finished, arguments that are not a JSON
    object raise ``ValueError`` naming the tool.
    """
    if partial:
        return parse_partial_arguments(arguments)
    try:
        return parse_tool_arguments(arguments)
    except ValueError as exc:
        raise ValueError(f"The model called tool {name!r} with unusable arguments: {exc}") from None


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


def missing_tool_call_error(answer: str | None) -> ValueError:
    """The error for a reply that was required to call a tool and called none."""
    return ValueError(
        "Expected at least one tool call, but the model made none; it answered: "
        f"{(answer or '')[:200]!r}"
    )


# --------------------------------------------------------------------------------------------
# Structured output served by a tool call


def json_object_in_text(text: str) -> dict[str, Any] | None:
    """A JSON object the model wrote as its answer (plain or in a code fence), else None.

    A reply that should have called the structured-output tool is accepted this way.
    """
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[-1].rsplit("```", 1)[0]
    try:
        found = json.loads(stripped)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def no_structured_call_message(tool_name: str, text: str) -> str:
    """Why a reply gave no structured output: no call of ``tool_name``, no JSON in ``text``."""
    return (
        f"The model answered without calling the {tool_name!r} tool that carries the "
        f"structured output, and its text is not a matching JSON object: {text[:200]!r}"
    )


def corrective_turn_text(tool_name: str) -> str:
    """The user turn that asks, once, for the tool call a reply left out (where the tool
    cannot be forced: thinking mode)."""
    return (
        f"Now call the {tool_name} tool, with your answer as its arguments. Do not answer in text."
    )


# --------------------------------------------------------------------------------------------
# Content blocks of a streamed reply


@dataclass(slots=True)
class BlockNumbering:
    """The ``index`` of each content block of a streamed reply.

    Reasoning and text get a new number each time the kind of content changes, and every tool
    call one of its own (by its call index), so merged chunks never put two blocks under one
    index (numbering tool calls by their call index would merge a call into the reasoning or
    text block before it).
    """

    _kind: str = ""
    _next: int = 0
    _calls: dict[int | None, int] = field(default_factory=dict)

    def block(self, kind: str) -> int:
        """The index of a block of ``kind`` (``"reasoning"``, ``"text"``) arriving now."""
        if kind != self._kind:
            self._kind = kind
            self._next += 1
        return self._next - 1

    def tool_call(self, call_index: int | None) -> int:
        """The index of the block of the tool call with ``call_index``."""
        number = self._calls.get(call_index)
        if number is None:
            self._kind = "tool_call"
            number = self._calls[call_index] = self._next
            self._next += 1
        return number
