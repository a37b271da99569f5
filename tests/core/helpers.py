"""Shared helpers of the core tests: scripted transports, sleep recorders, SSE builders, and a
driver that runs the same scenario through the sync or the async client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from deepseekapi_core import (
    AsyncDeepSeekClient,
    ChatCompletion,
    ChatCompletionChunk,
    DeepSeekClient,
    Model,
)

API_KEY = "sk-test-7f3a9c1e5b2d4f6a8c0e1a3b5d7f9b1d"
BASE_URL = "https://api.test.invalid/v1"
CHAT_URL = f"{BASE_URL}/chat/completions"
BETA_CHAT_URL = "https://api.test.invalid/beta/chat/completions"
HELLO = [{"role": "user", "content": "Hello"}]

Handler = Callable[[httpx.Request], httpx.Response]


# --------------------------------------------------------------------------------------------
# Sleeping


class SleepRecorder:
    """A ``sleep`` that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class AsyncSleepRecorder:
    """An async ``sleep`` that records the waits and yields to the loop once per wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.awaited = 0

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)
        self.awaited += 1


# --------------------------------------------------------------------------------------------
# Bodies


def chunk(
    *,
    content: str | None = None,
    reasoning: str | None = None,
    role: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    choices: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """One chat.completion.chunk payload, shaped like the service's."""
    payload: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1780944343,
        "model": "deepseek-v4-flash",
        "system_fingerprint": "fp_test",
        "choices": [],
        "usage": usage,
    }
    if choices:
        delta: dict[str, Any] = {}
        if role is not None:
            delta["role"] = role
        if content is not None or reasoning is not None:
            delta["content"] = content
        if reasoning is not None:
            delta["reasoning_content"] = reasoning
        if tool_calls is not None:
            delta["tool_calls"] = tool_calls
        payload["choices"] = [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        ]
    payload.update(extra)
    return payload


USAGE = {
    "prompt_tokens": 11,
    "completion_tokens": 8,
    "total_tokens": 19,
    "prompt_tokens_details": {"cached_tokens": 0},
    "prompt_cache_hit_tokens": 0,
    "prompt_cache_miss_tokens": 11,
}


def sse(*payloads: dict[str, Any] | str, done: bool = True) -> bytes:
    """An SSE body: ``data: <json>`` events, then ``data: [DONE]`` unless ``done`` is False."""
    events = [p if isinstance(p, str) else json.dumps(p, ensure_ascii=False) for p in payloads]
    if done:
        events.append("[DONE]")
    return "".join(f"data: {event}\n\n" for event in events).encode("utf-8")


def completion(content: str = "Hi there", **extra: Any) -> dict[str, Any]:
    """A non-streaming chat.completion body."""
    body: dict[str, Any] = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1780944337,
        "model": "deepseek-v4-flash",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        "system_fingerprint": "fp_test",
    }
    body.update(extra)
    return body


def error_body(
    message: str, type_: str = "invalid_request_error", code: str | None = None
) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": type_, "param": None, "code": code or type_}}
    ).encode()


# --------------------------------------------------------------------------------------------
# Streams and transports


class PiecesStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body delivered in pieces, then optionally broken by ``error`` (sync and async)."""

    def __init__(self, pieces: Sequence[bytes], error: Exception | None = None) -> None:
        self.pieces = list(pieces)
        self.error = error
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def event_pieces(body: bytes) -> list[bytes]:
    """Split an SSE body after each event (as a server flushing per event would)."""
    parts = body.split(b"\n\n")
    return [part + b"\n\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Script:
    """A transport handler that answers each request with the next step of a script.

    A step is an ``httpx.Response``, an exception to raise (e.g. ``httpx.ConnectError``), or a
    callable building the response from the request. Every request is kept in ``requests``.
    """

    steps: list[Step]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unexpected request #{len(self.requests)}")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests if request.content]


def status(
    code: int, body: bytes | str = b"", headers: dict[str, str] | None = None
) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.Response(code, headers=headers or {}, content=content)


def ok(body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else completion())


def stream_response(
    body: bytes, *, error: Exception | None = None, pieces: bool = True
) -> httpx.Response:
    parts = event_pieces(body) if pieces else [body]
    return httpx.Response(
        200,
        headers={"content-type": "text/event-stream; charset=utf-8"},
        stream=PiecesStream(parts, error),
    )


# --------------------------------------------------------------------------------------------
# A driver running one scenario through the sync or the async client


@dataclass
class StreamOutcome:
    chunks: list[ChatCompletionChunk]
    error: Exception | None


class Driver:
    """Runs ``chat``/``stream_chat``/``list_models`` through the sync or the async client.

    Each call builds a client on ``handler`` with an injected sleep recorder; ``waits`` holds
    every wait the client asked for, across calls.
    """

    def __init__(self, mode: str, handler: Handler, **client_kwargs: Any) -> None:
        assert mode in ("sync", "async")
        self.mode = mode
        self.handler = handler
        self.client_kwargs = {"api_key": API_KEY, "base_url": BASE_URL, **client_kwargs}
        self.sleep: SleepRecorder | AsyncSleepRecorder = (
            SleepRecorder() if mode == "sync" else AsyncSleepRecorder()
        )

    @property
    def waits(self) -> list[float]:
        return self.sleep.waits

    def _sync(self) -> DeepSeekClient:
        return DeepSeekClient(
            transport=httpx.MockTransport(self.handler), sleep=self.sleep, **self.client_kwargs
        )

    def _async(self) -> AsyncDeepSeekClient:
        return AsyncDeepSeekClient(
            transport=httpx.MockTransport(self.handler), sleep=self.sleep, **self.client_kwargs
        )

    def chat(self, *args: Any, **params: Any) -> ChatCompletion:
        if self.mode == "sync":
            with self._sync() as client:
                return client.chat(*args, **params)

        async def run() -> ChatCompletion:
            async with self._async() as client:
                return await client.chat(*args, **params)

        return asyncio.run(run())

    def stream(self, *args: Any, **params: Any) -> StreamOutcome:
        chunks: list[ChatCompletionChunk] = []
        if self.mode == "sync":
            with self._sync() as client:
                try:
                    for item in client.stream_chat(*args, **params):
                        chunks.append(item)
                except Exception as exc:
                    return StreamOutcome(chunks, exc)
                return StreamOutcome(chunks, None)

        async def run() -> StreamOutcome:
            async with self._async() as client:
                try:
                    async for item in client.stream_chat(*args, **params):
                        chunks.append(item)
                except Exception as exc:
                    return StreamOutcome(chunks, exc)
                return StreamOutcome(chunks, None)

        return asyncio.run(run())

    def list_models(self) -> list[Model]:
        if self.mode == "sync":
            with self._sync() as client:
                return client.list_models()

        async def run() -> list[Model]:
            async with self._async() as client:
                return await client.list_models()

        return asyncio.run(run())


def text_of(chunks: Sequence[ChatCompletionChunk]) -> str:
    return "".join((c.delta.content or "") if c.delta else "" for c in chunks)


def reasoning_of(chunks: Sequence[ChatCompletionChunk]) -> str:
    return "".join((c.delta.reasoning_content or "") if c.delta else "" for c in chunks)
