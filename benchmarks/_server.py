"""A minimal, fast loopback server speaking DeepSeek's chat-completions wire format.

It serves canned replies, rendered once at start-up, so that its per-request work is a header
scan and one ``transport.write``: the benchmark measures the clients, not this server.

* ``POST .../chat/completions`` without ``"stream": true``: a non-streaming completion
  (``application/json`` with ``Content-Length``), shaped like the real recordings in
  ``shared/realwire`` (``system_fingerprint``, ``logprobs: null``, usage with the cache fields).
* with ``"stream": true``: ``text/event-stream`` with ``Transfer-Encoding: chunked``, one HTTP
  chunk per server-sent event as the service sends them, ``--chunks`` data events in all, then
  ``data: [DONE]``. The first delta is ``{"role":"assistant","content":""}``; usage rides on the
  chunk that carries ``finish_reason`` and every other chunk has ``"usage": null``, as observed.
* a body naming a reasoner model (``deepseek-reasoner``) gets the thinking-mode shapes: the first
  delta ``{"role":"assistant","content":null,"reasoning_content":""}``, then reasoning pieces
  ``{"content":null,"reasoning_content":...}``, then answer pieces
  ``{"content":...,"reasoning_content":null}`` (half of the stream each).
* ``GET .../models``: the model list.

Run: ``python benchmarks/_server.py [--port 0] [--chunks 2000]``; it prints ``PORT <n>`` once it
listens on ``127.0.0.1`` (never another interface).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys

HOST = "127.0.0.1"

_ID = "b1e5c0de-0000-4000-8000-000000000000"
_CREATED = 1781000000
_FINGERPRINT = "fp_8b330d02d0_prod0820_fp8_kvcache_20260402"
_TRACE = "0123456789abcdef0123456789abcdef"
_ANSWER = (
    "Loopback benchmark reply. This text stands in for a short answer of about forty tokens, "
    "long enough to be a realistic body and short enough to keep the server out of the way."
)
_REASONING = "The user asks for a short answer; the benchmark needs a reasoning part as well."

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_REASONER_RE = re.compile(rb'"model"\s*:\s*"deepseek-reasoner"')


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _usage(prompt: int, completion: int, reasoning: int | None) -> dict[str, object]:
    usage: dict[str, object] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    usage["prompt_cache_hit_tokens"] = 0
    usage["prompt_cache_miss_tokens"] = prompt
    return usage


def completion_body(*, reasoner: bool) -> bytes:
    """The JSON body of a non-streaming completion."""
    message: dict[str, object] = {"role": "assistant", "content": _ANSWER}
    if reasoner:
        message["reasoning_content"] = _REASONING
    return _dumps(
        {
            "id": _ID,
            "object": "chat.completion",
            "created": _CREATED,
            "model": "deepseek-reasoner" if reasoner else "deepseek-chat",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
            ],
            "usage": _usage(11, 40, 20 if reasoner else None),
            "system_fingerprint": _FINGERPRINT,
        }
    )


def stream_events(chunks: int, *, reasoner: bool) -> list[bytes]:
    """The ``data:`` payloads of a ``chunks``-chunk stream (without ``[DONE]``)."""
    model = "deepseek-reasoner" if reasoner else "deepseek-chat"

    def chunk(delta: dict[str, object], finish: str | None = None, usage: object = None) -> bytes:
        return _dumps(
            {
                "id": _ID,
                "object": "chat.completion.chunk",
                "created": _CREATED,
                "model": model,
                "system_fingerprint": _FINGERPRINT,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
            }
        )

    middle = max(chunks - 2, 0)
    events: list[bytes] = []
    if reasoner:
        events.append(chunk({"role": "assistant", "content": None, "reasoning_content": ""}))
        thinking = middle // 2
        for i in range(thinking):
            events.append(chunk({"content": None, "reasoning_content": f" think{i % 10}"}))
        for i in range(middle - thinking):
            events.append(chunk({"content": f" word{i % 10}", "reasoning_content": None}))
        final = chunk(
            {"content": "", "reasoning_content": None},
            "stop",
            _usage(11, middle, middle // 2),
        )
    else:
        events.append(chunk({"role": "assistant", "content": ""}))
        for i in range(middle):
            events.append(chunk({"content": f" word{i % 10}"}))
        final = chunk({"content": ""}, "stop", _usage(11, middle, None))
    events.append(final)
    return events[:chunks] if chunks < 2 else events


def _http_chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def render_stream(chunks: int, *, reasoner: bool) -> bytes:
    """The full HTTP response of a stream: headers, one HTTP chunk per event, terminator."""
    head = (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: text/event-stream; charset=utf-8\r\n"
        b"Transfer-Encoding: chunked\r\n"
        b"Connection: keep-alive\r\n"
        b"Cache-Control: no-cache\r\n"
        b"X-Ds-Trace-Id: " + _TRACE.encode() + b"\r\n\r\n"
    )
    parts = [head]
    for payload in stream_events(chunks, reasoner=reasoner):
        parts.append(_http_chunk(b"data: " + payload + b"\n\n"))
    parts.append(_http_chunk(b"data: [DONE]\n\n"))
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def render_json(body: bytes, status: bytes = b"200 OK") -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: keep-alive\r\n"
        b"X-Ds-Trace-Id: " + _TRACE.encode() + b"\r\n\r\n" + body
    )


class Replies:
    """Every reply the server can give, rendered once."""

    def __init__(self, chunks: int) -> None:
        self.chat = render_json(completion_body(reasoner=False))
        self.reasoner = render_json(completion_body(reasoner=True))
        self.stream_chat = render_stream(chunks, reasoner=False)
        self.stream_reasoner = render_stream(chunks, reasoner=True)
        models = {
            "object": "list",
            "data": [
                {"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
                {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek"},
            ],
        }
        self.models = render_json(_dumps(models))
        self.not_found = render_json(
            _dumps({"error": {"message": "not found", "type": "invalid_request_error"}}),
            b"404 Not Found",
        )

    def pick(self, request_line: bytes, body: bytes) -> bytes:
        if b"/chat/completions" in request_line:
            reasoner = _REASONER_RE.search(body) is not None
            if _STREAM_RE.search(body) is not None:
                return self.stream_reasoner if reasoner else self.stream_chat
            return self.reasoner if reasoner else self.chat
        if b"/models" in request_line:
            return self.models
        return self.not_found


class _Protocol(asyncio.Protocol):
    __slots__ = ("_buffer", "_replies", "_transport")

    def __init__(self, replies: Replies) -> None:
        self._replies = replies
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            lower = head.lower()
            start = end + 4
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else len(head)])
                if len(buffer) < start + length:
                    break
                body, buffer = buffer[start : start + length], buffer[start + length :]
            elif b"\r\ntransfer-encoding: chunked" in lower:
                parsed = _read_chunked(buffer, start)
                if parsed is None:
                    break
                body, rest = parsed
                buffer = buffer[rest:]
            else:
                body, buffer = b"", buffer[start:]
            line_end = head.find(b"\r\n")
            request_line = head if line_end < 0 else head[:line_end]
            assert self._transport is not None
            self._transport.write(self._replies.pick(request_line, body))
        self._buffer = buffer


def _read_chunked(buffer: bytes, start: int) -> tuple[bytes, int] | None:
    """A chunked request body from ``start``: (body, end offset), or None if incomplete."""
    parts = []
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(buffer[at:line_end].split(b";")[0], 16)
        data_start = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)
            if trailer_end < 0:
                return None
            return b"".join(parts), trailer_end + 4
        if len(buffer) < data_start + size + 2:
            return None
        parts.append(buffer[data_start : data_start + size])
        at = data_start + size + 2


async def serve(port: int, chunks: int) -> None:
    replies = Replies(chunks)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Protocol(replies), HOST, port, backlog=4096, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=2000)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.chunks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
