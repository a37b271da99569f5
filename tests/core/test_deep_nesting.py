"""Issue 23 point 14, HTTP part: ~1,000 levels of JSON nesting in a 200 or 400 body map to
our errors, never a bare RecursionError."""

from __future__ import annotations

import httpx
import pytest

from deepseekapi_core.http import APIResponseValidationError, BadRequestError

from .helpers import HELLO, Driver

DEEP = b'{"a":' * 1000 + b"1" + b"}" * 1000
DEEP_LIST = b"[" * 100000 + b"]" * 100000


@pytest.mark.parametrize("body", [DEEP, DEEP_LIST, b'{"error":' + DEEP_LIST + b"}"])
def test_a_deep_200_body_is_a_validation_error(mode: str, body: bytes) -> None:
    driver = Driver(mode, lambda r: httpx.Response(200, content=body))
    with pytest.raises(APIResponseValidationError):
        driver.chat(model="deepseek-chat", messages=HELLO)


@pytest.mark.parametrize("body", [DEEP, DEEP_LIST, b'{"error":' + DEEP + b"}"])
def test_a_deep_400_body_is_the_status_error_with_an_excerpt(mode: str, body: bytes) -> None:
    driver = Driver(mode, lambda r: httpx.Response(400, content=body))
    with pytest.raises(BadRequestError) as info:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert '{"a":{"a"' in str(info.value) or "[[[" in str(info.value)


def test_a_deep_stream_event_is_a_validation_error(mode: str) -> None:
    body = b"data: " + DEEP_LIST + b"\n\n"
    driver = Driver(
        mode,
        lambda r: httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"}),
    )
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, APIResponseValidationError), repr(outcome.error)


def test_a_deep_compressed_429_keeps_its_retry_after(mode: str) -> None:
    import gzip

    from deepseekapi_core.http import RateLimitError

    packed = gzip.compress(DEEP)
    driver = Driver(
        mode,
        lambda r: httpx.Response(
            429, content=packed, headers={"Content-Encoding": "gzip", "Retry-After": "999"}
        ),
    )
    with pytest.raises(RateLimitError) as info:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert info.value.retry_after == 999 and '{"a":{"a"' in str(info.value)
