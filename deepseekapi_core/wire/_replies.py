"""What both adapters make of a reply, before they put it in their framework's types.

A finished reply's metadata (:class:`ReplySummary`, from a completion or a folded stream) and
the numbering of a streamed reply's content blocks (:class:`BlockNumbering`). Tool calls of a
reply (parsed whole or while streaming, recovered from the text) are in
:mod:`deepseekapi_core.tools`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..tools._recovery import TOOL_CALLS_RECOVERED
from ._responses import Usage


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
        :class:`~deepseekapi_core._adapters.StreamAccumulator` (so far)."""
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
