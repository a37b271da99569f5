"""Hand-built service replies for tests that need an exact wire shape."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


def completion(
    content: str | None = "Hello!",
    *,
    reasoning: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = None,
    model: str = "deepseek-v4-flash",
) -> dict[str, Any]:
    """A non-streaming chat.completion body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1780944343,
        "model": model,
        "system_fingerprint": "fp_test",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": usage
        or {
            "prompt_tokens": 12,
            "completion_tokens": 7,
            "total_tokens": 19,
            "prompt_cache_hit_tokens": 4,
            "prompt_cache_miss_tokens": 8,
        },
    }


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """One tool call of a completion."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def sse(events: Sequence[dict[str, Any]], *, done: bool = True) -> bytes:
    """An SSE body of ``events`` (and ``[DONE]``)."""
    text = "".join(f"data: {json.dumps(event)}\n\n" for event in events)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


def delta_event(
    *,
    content: str | None = None,
    reasoning: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    choices: bool = True,
    model: str = "deepseek-v4-flash",
) -> dict[str, Any]:
    """One chat.completion.chunk payload."""
    delta: dict[str, Any] = {"content": content}
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return {
        "id": "cmpl-s",
        "object": "chat.completion.chunk",
        "created": 1780944343,
        "model": model,
        "system_fingerprint": "fp_stream",
        "choices": (
            [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
            if choices
            else []
        ),
        "usage": usage,
    }


class Recorder:
    """A MockTransport handler that answers with fixed replies and records request bodies."""

    def __init__(self, *replies: httpx.Response | dict[str, Any] | bytes) -> None:
        self.replies = list(replies)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, httpx.Response):
            return reply
        if isinstance(reply, bytes):
            return httpx.Response(200, content=reply, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=reply)

    def transport(self) -> httpx.MockTransport:
        """A transport (sync and async) served by this recorder."""
        return httpx.MockTransport(self)
