"""Typed wire models of the service's replies (pydantic v2): whole completions, stream chunks,
usage and the model list.

Response models keep unknown fields (``extra="allow"``): the service adds fields over time and
they must not be lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from ._builtin_tools import is_server_fragment, split_server_calls
from ._models import ToolCall, _Response


class PromptTokensDetails(_Response):
    """OpenAI-style prompt token details."""

    cached_tokens: int | None = None


class CompletionTokensDetails(_Response):
    """Completion token details; ``reasoning_tokens`` are included in ``completion_tokens``."""

    reasoning_tokens: int | None = None


class Usage(_Response):
    """Token usage of one request."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_cache_hit_tokens: int | None = None
    prompt_cache_miss_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None

    @property
    def cache_hit_tokens(self) -> int:
        """Prompt tokens served from the context cache."""
        if self.prompt_cache_hit_tokens is not None:
            return self.prompt_cache_hit_tokens
        details = self.prompt_tokens_details
        return details.cached_tokens or 0 if details is not None else 0

    @property
    def cache_miss_tokens(self) -> int:
        """Prompt tokens not found in the context cache."""
        if self.prompt_cache_miss_tokens is not None:
            return self.prompt_cache_miss_tokens
        return max(self.prompt_tokens - self.cache_hit_tokens, 0)

    @property
    def reasoning_tokens(self) -> int:
        """Completion tokens spent on reasoning (0 outside thinking mode)."""
        details = self.completion_tokens_details
        return details.reasoning_tokens or 0 if details is not None else 0

    def as_dict(self) -> dict[str, int]:
        """A flat, framework-neutral summary used by both adapters' metadata."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "prompt_cache_hit_tokens": self.cache_hit_tokens,
            "prompt_cache_miss_tokens": self.cache_miss_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }


class AssistantMessage(_Response):
    """The message in a non-streaming choice."""

    role: Literal["assistant"] = "assistant"
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None
    server_tool_calls: list[dict[str, Any]] | None = None
    """The service's own calls of built-in tools, raw (see
    :func:`deepseekapi_core.wire.builtin_tool_calls` for the typed view)."""
    server_tool_results: list[dict[str, Any]] | None = None
    """Their results, raw (see :func:`deepseekapi_core.wire.builtin_tool_results`)."""

    @model_validator(mode="before")
    @classmethod
    def _split_server_calls(cls, data: Any) -> Any:
        # Built-in tool calls that come in tool_calls must never reach an agent as functions.
        return split_server_calls(data)


class Choice(_Response):
    """One choice of a non-streaming completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None


class _WithHeaders(_Response):
    received_headers: Mapping[str, str] | None = Field(default=None, exclude=True, repr=False)
    """The HTTP response's headers as the client received them (set by
    :func:`attach_response_headers`; never serialised, never sent by the service).

    A field, not a pydantic private attribute: a model with private attributes runs a Python
    hook on every instance it validates, about 1.4 us a streamed chunk (9 % of the core's
    stream), for a value most callers never read."""

    @property
    def response_headers(self) -> dict[str, str]:
        """The HTTP response's headers (lower-case names), when this came from a client."""
        # Copied here, when asked, not when the reply arrives: most callers never ask, and
        # copying httpx's headers costs a non-streaming call 5 us.
        headers = self.received_headers
        return dict(headers) if headers is not None else {}


def attach_response_headers(model: _WithHeaders, headers: Mapping[str, str]) -> None:
    """Record the HTTP response headers ``model`` came with (read by ``response_headers``).

    ``headers`` is kept as it is (an ``httpx.Headers`` is fine: its names are lower-case and
    repeated headers join with ``", "``) and copied only when read.
    """
    model.received_headers = headers


class ChatCompletion(_WithHeaders):
    """A non-streaming chat completion."""

    id: str = ""
    object: str = "chat.completion"
    created: int = 0
    model: str = ""
    system_fingerprint: str | None = None
    choices: list[Choice] = Field(min_length=1)
    usage: Usage | None = None
    tool_calls_recovered: str | None = None
    """Set by the client, never sent by the service: the shape (``dsml``, ``tool_call_tag``,
    ``fenced_json``, ``bare_json``) of tool calls it recovered from a reply's content."""

    @property
    def message(self) -> AssistantMessage:
        """The first choice's message (the service returns one choice)."""
        return self.choices[0].message

    @property
    def finish_reason(self) -> str | None:
        """The first choice's finish reason."""
        return self.choices[0].finish_reason


class FunctionCallDelta(_Response):
    """A fragment of a streamed function call."""

    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(_Response):
    """A fragment of a streamed tool call; ``id`` and name come only in the first fragment."""

    index: int = 0
    id: str | None = None
    type: str | None = None
    """``"function"`` (or None after the first fragment); another type is a built-in tool's
    call, which :class:`Delta` moves to ``server_tool_calls``."""
    function: FunctionCallDelta | None = None


class Delta(_Response):
    """What one stream chunk adds to the message."""

    role: Literal["assistant"] | None = None
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    server_tool_calls: list[dict[str, Any]] | None = None
    """Entries of the service's own tool calls (see :class:`AssistantMessage`)."""
    server_tool_results: list[dict[str, Any]] | None = None
    """Entries of their results."""

    @model_validator(mode="after")
    def _split_server_calls(self) -> Delta:
        # After, not before, validation: a before-validator would cost every chunk a dict.
        calls = self.tool_calls
        if calls is not None and any(is_server_fragment(call) for call in calls):
            moved = [c.model_dump(exclude_none=True) for c in calls if is_server_fragment(c)]
            self.tool_calls = [c for c in calls if not is_server_fragment(c)] or None
            self.server_tool_calls = [*(self.server_tool_calls or ()), *moved]
        return self


class ChunkChoice(_Response):
    """One choice of a stream chunk."""

    index: int = 0
    delta: Delta = Field(default_factory=Delta)
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletionChunk(_WithHeaders):
    """One server-sent event of a streamed completion.

    Usage arrives on the chunk that carries ``finish_reason`` (observed) or on a final chunk
    with empty ``choices`` (documented); both are handled.
    """

    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    model: str = ""
    system_fingerprint: str | None = None
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: Usage | None = None
    tool_calls_recovered: str | None = None
    """Set by the client on the finishing chunk, never sent by the service: the shape of tool
    calls it recovered from the streamed content (see :class:`ChatCompletion`)."""

    @property
    def delta(self) -> Delta | None:
        """The first choice's delta, or None on a usage-only chunk."""
        return self.choices[0].delta if self.choices else None

    @property
    def finish_reason(self) -> str | None:
        """The first choice's finish reason, if this chunk ends the reply."""
        return self.choices[0].finish_reason if self.choices else None


class Model(_Response):
    """One entry of ``GET /models``."""

    id: str
    object: str = "model"
    owned_by: str | None = None


class ModelList(_Response):
    """The body of ``GET /models``."""

    object: str = "list"
    data: list[Model]
