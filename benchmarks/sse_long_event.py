"""One long stream event arriving in small reads: the core's stream parsing against raw httpx.

A 5 MB chunk event (one ``data:`` line) followed by ``[DONE]``, delivered by an in-memory
transport in 1 KB pieces. Timed: the raw httpx loop that only receives the bytes, the SSE
decoder alone, and the core's ``stream_chat`` (decoding and parsing the chunk). Before the
decoder kept an incomplete line as a list of pieces it re-copied the whole line on every read,
so this case was quadratic (about 4.7 s on the lead's machine).

    PYTHONPATH=$PWD python benchmarks/sse_long_event.py [--megabytes 5] [--piece 1024]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator

import httpx

from deepseekapi_core import DeepSeekClient
from deepseekapi_core.http._sse import SSEDecoder


def stream_bytes(megabytes: float) -> bytes:
    content = "x" * int(megabytes * 1_000_000)
    chunk = {
        "id": "bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "deepseek-chat",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": "stop"}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"


class PieceStream(httpx.SyncByteStream):
    def __init__(self, body: bytes, piece: int) -> None:
        self._body = body
        self._piece = piece

    def __iter__(self) -> Iterator[bytes]:
        view = memoryview(self._body)
        for start in range(0, len(view), self._piece):
            yield bytes(view[start : start + self._piece])


def transport(body: bytes, piece: int) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=PieceStream(body, piece),
        )

    return httpx.MockTransport(handler)


def time_raw_httpx(body: bytes, piece: int) -> float:
    with httpx.Client(transport=transport(body, piece)) as http:
        start = time.perf_counter()
        with http.stream("POST", "http://bench/v1/chat/completions") as response:
            received = sum(len(raw) for raw in response.iter_bytes())
        elapsed = time.perf_counter() - start
    assert received == len(body)
    return elapsed


def time_decoder(body: bytes, piece: int) -> float:
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
    decoder = SSEDecoder()
    start = time.perf_counter()
    events = [event for raw in pieces for event in decoder.feed(raw)]
    events += decoder.flush()
    elapsed = time.perf_counter() - start
    assert len(events) == 2
    return elapsed


def time_core(body: bytes, piece: int) -> float:
    with DeepSeekClient(
        api_key="sk-benchmark", base_url="http://bench/v1", transport=transport(body, piece)
    ) as client:
        start = time.perf_counter()
        text = "".join(
            chunk.choices[0].delta.content or ""
            for chunk in client.stream_chat(
                model="deepseek-chat", messages=[{"role": "user", "content": "hi"}]
            )
            if chunk.choices
        )
        elapsed = time.perf_counter() - start
    assert len(text) > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--piece", type=int, default=1024, help="bytes per network read")
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    args = parser.parse_args()
    body = stream_bytes(args.megabytes)
    raw = min(time_raw_httpx(body, args.piece) for _ in range(args.repeat))
    decoder = min(time_decoder(body, args.piece) for _ in range(args.repeat))
    core = min(time_core(body, args.piece) for _ in range(args.repeat))
    print(f"one {len(body) / 1e6:.1f} MB event in {args.piece} B reads (best of {args.repeat})")
    print(f"  raw httpx, bytes only   {raw:8.3f} s")
    print(f"  SSE decoder alone       {decoder:8.3f} s")
    print(f"  core stream_chat        {core:8.3f} s   ({core / raw:.1f}x raw httpx)")


if __name__ == "__main__":
    main()
