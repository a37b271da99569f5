"""Issue 23 point 16: a reply body or a single SSE line past a cap raises a clear error
instead of being buffered whole (defaults far above any real reply, settable)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from deepseekapi_core.http import APIResponseValidationError, ClientOptions, SSEDecoder

from .helpers import HELLO, Driver, completion

MIB = 1024 * 1024


def test_defaults_are_far_above_any_real_reply() -> None:
    options = ClientOptions()
    assert options.max_response_bytes == 64 * MIB
    assert options.max_sse_line_bytes == 16 * MIB


class Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """``count`` pieces of 64 KiB of ``fill``, counting how many were read."""

    def __init__(self, count: int, fill: bytes = b"x", head: bytes = b"") -> None:
        self.count, self.fill, self.head, self.read = count, fill, head, 0

    def __iter__(self) -> Iterator[bytes]:
        if self.head:
            yield self.head
        for _ in range(self.count):
            self.read += 1
            yield self.fill * 65536

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self:
            yield piece


@pytest.mark.parametrize("deadline", [None, 30.0])
def test_a_body_without_length_past_the_cap_is_refused_early(mode: str, deadline: object) -> None:
    body = Endless(200, b" ")  # 12.5 MiB of JSON whitespace, no Content-Length

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=body)

    driver = Driver(mode, handler, max_response_bytes=MIB, deadline=deadline)
    with pytest.raises(APIResponseValidationError) as info:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert "max_response_bytes" in str(info.value)
    assert body.read <= 17  # stopped soon after 1 MiB, not read whole


def test_a_declared_length_past_the_cap_is_refused_unread(mode: str) -> None:
    big = b" " * (2 * MIB) + b"{}"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=big)

    driver = Driver(mode, handler, max_response_bytes=MIB)
    with pytest.raises(APIResponseValidationError, match="max_response_bytes"):
        driver.chat(model="deepseek-chat", messages=HELLO)


def test_a_compressed_body_is_capped_by_its_decoded_size(mode: str) -> None:
    packed = gzip.compress(b" " * (4 * MIB) + b"{}")  # a few KiB on the wire

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=packed, headers={"Content-Encoding": "gzip"})

    driver = Driver(mode, handler, max_response_bytes=MIB)
    with pytest.raises(APIResponseValidationError, match="max_response_bytes"):
        driver.chat(model="deepseek-chat", messages=HELLO)


def test_a_reply_under_the_cap_still_parses(mode: str) -> None:
    driver = Driver(mode, lambda r: httpx.Response(200, json=completion("fine")))
    assert driver.chat(model="deepseek-chat", messages=HELLO).choices[0].message.content == "fine"


def test_an_sse_line_past_the_cap_is_refused_early(mode: str) -> None:
    body = Endless(400, b"x", head=b"data: ")  # 25 MiB, no newline

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=body, headers={"Content-Type": "text/event-stream"})

    driver = Driver(mode, handler, max_sse_line_bytes=MIB)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, APIResponseValidationError), outcome.error
    assert "max_sse_line_bytes" in str(outcome.error)
    assert body.read <= 17


def test_the_sse_decoder_takes_a_line_cap() -> None:
    decoder = SSEDecoder(max_line=100)
    assert decoder.feed_data(b"data: " + b"a" * 50 + b"\n\n") == ["a" * 50]
    decoder.feed_data(b"data: " + b"b" * 60)
    with pytest.raises(ValueError, match="100 bytes"):
        decoder.feed_data(b"b" * 60)
