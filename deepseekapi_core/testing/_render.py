"""A reply on the wire: the JSON completion, or the SSE chunks of a stream.

Each body and each chunk is built as an object and serialised once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._builtin import render_server_calls, render_server_results, server_call_tokens
from ._checks import ChatRequest
from ._compose import Reply
from ._replies import count_tokens
from ._wire import EMULATOR_HEADER, EmulatedResponse, dumps, sse_data

__all__ = ["Envelope", "completion_response", "stream_response", "usage"]

_PIECE = re.compile(r"\s*\S+\s*")
_MAX_CONTENT_EVENTS = 64
_ARGUMENT_FRAGMENTS = 4
KEEP_ALIVE_FRAME = b": keep-alive\n\n"
DONE_FRAME = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class Envelope:
    """What every body or chunk of one reply shares."""

    completion_id: str
    created: int
    model: str
    fingerprint: str
    trace_id: str


def usage(chat: ChatRequest, reply: Reply, cache_hit: int) -> dict[str, Any]:
    """The ``usage`` object: token counts and context-cache hits."""
    reasoning_tokens = count_tokens(reply.reasoning or "")
    completion = count_tokens(reply.content) + reasoning_tokens
    for call in reply.tool_calls:
        completion += count_tokens(call.arguments) + 3
    completion += server_call_tokens(reply.server_calls, count_tokens)
    result: dict[str, Any] = {
        "prompt_tokens": chat.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": chat.prompt_tokens + completion,
        "prompt_tokens_details": {"cached_tokens": cache_hit},
    }
    if chat.thinking:
        result["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    result["prompt_cache_hit_tokens"] = cache_hit
    result["prompt_cache_miss_tokens"] = chat.prompt_tokens - cache_hit
    return result


def completion_response(
    reply: Reply, envelope: Envelope, usage: dict[str, Any]
) -> EmulatedResponse:
    """The plain (non-streamed) reply."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    if reply.server_calls:
        message["server_tool_calls"] = render_server_calls(reply.server_calls)
        message["server_tool_results"] = render_server_results(reply.server_calls)
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for index, call in enumerate(reply.tool_calls)
        ]
    body = {
        "id": envelope.completion_id,
        "object": "chat.completion",
        "created": envelope.created,
        "model": envelope.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": usage,
        "system_fingerprint": envelope.fingerprint,
    }
    return EmulatedResponse(
        200,
        [
            ("content-type", "application/json"),
            ("x-ds-trace-id", envelope.trace_id),
            EMULATOR_HEADER,
        ],
        dumps(body),
    )


def stream_response(
    chat: ChatRequest,
    reply: Reply,
    envelope: Envelope,
    usage: dict[str, Any],
    *,
    keep_alive_comments: int,
) -> EmulatedResponse:
    """The streamed reply: role, reasoning, answer and tool-call chunks, the finish chunk
    (with usage when asked for), then ``[DONE]``."""
    chunks = _Chunks(envelope, include_usage=chat.include_usage)
    events: list[bytes] = []
    if chat.thinking:
        events.append(chunks.delta({"role": "assistant", "content": None, "reasoning_content": ""}))
        events.extend(KEEP_ALIVE_FRAME for _ in range(keep_alive_comments))
        for piece in text_pieces(reply.reasoning or ""):
            events.append(chunks.delta({"content": None, "reasoning_content": piece}))
        events.extend(_server_events(chunks, reply))
        for piece in text_pieces(reply.content):
            events.append(chunks.delta({"content": piece, "reasoning_content": None}))
        final_delta: dict[str, Any] = {"content": "", "reasoning_content": None}
    else:
        events.append(chunks.delta({"role": "assistant", "content": ""}))
        events.extend(_server_events(chunks, reply))
        for piece in text_pieces(reply.content):
            events.append(chunks.delta({"content": piece}))
        final_delta = {"content": ""}
    for index, call in enumerate(reply.tool_calls):
        opening = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunks.delta({"tool_calls": [opening]}))
        for fragment in _fragments(call.arguments):
            events.append(
                chunks.delta(
                    {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
                )
            )
    events.append(chunks.delta(final_delta, finish_reason=reply.finish_reason, usage=usage))
    events.append(DONE_FRAME)
    return EmulatedResponse(
        200,
        [
            ("content-type", "text/event-stream; charset=utf-8"),
            ("cache-control", "no-cache"),
            ("x-ds-trace-id", envelope.trace_id),
            EMULATOR_HEADER,
        ],
        events=events,
    )


def _server_events(chunks: _Chunks, reply: Reply) -> list[bytes]:
    """Each server tool call, then its result, as whole entries keyed by stream index: the
    service runs the tool before the answer that cites it goes on."""
    events: list[bytes] = []
    calls = render_server_calls(reply.server_calls)
    results = render_server_results(reply.server_calls)
    for index, (call, result) in enumerate(zip(calls, results, strict=True)):
        events.append(chunks.delta({"server_tool_calls": [{"index": index, **call}]}))
        events.append(chunks.delta({"server_tool_results": [{"index": index, **result}]}))
    return events


class _Chunks:
    """Builds the ``chat.completion.chunk`` frames of one stream."""

    def __init__(self, envelope: Envelope, *, include_usage: bool) -> None:
        self._envelope = envelope
        self._include_usage = include_usage

    def delta(
        self,
        delta: dict[str, Any],
        *,
        finish_reason: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> bytes:
        """One chunk's frame; ``usage`` is sent only when the request asked for it."""
        envelope = self._envelope
        chunk: dict[str, Any] = {
            "id": envelope.completion_id,
            "object": "chat.completion.chunk",
            "created": envelope.created,
            "model": envelope.model,
            "system_fingerprint": envelope.fingerprint,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if self._include_usage:
            chunk["usage"] = usage
        return sse_data(chunk)


def text_pieces(text: str) -> list[str]:
    """``text`` cut into word-sized pieces (at most 64), as the stream sends it."""
    if not text:
        return []
    pieces = _PIECE.findall(text) or [text]
    if len(pieces) > _MAX_CONTENT_EVENTS:
        size = -(-len(pieces) // _MAX_CONTENT_EVENTS)
        pieces = ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]
    return pieces


def _fragments(arguments: str) -> list[str]:
    if len(arguments) <= _ARGUMENT_FRAGMENTS:
        return [arguments] if arguments else []
    size = -(-len(arguments) // _ARGUMENT_FRAGMENTS)
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]
