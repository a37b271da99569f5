"""Errors cross process boundaries without the key, and hostile bodies map to our errors."""

from __future__ import annotations

import concurrent.futures
import pickle
import subprocess
import sys
from typing import Any

import httpx
import pytest

from deepseekapi_core.http._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    BadRequestError,
    DeadlineExceededError,
    DeepSeekAPIError,
    EmptyJSONReplyError,
    InsufficientSystemResourceError,
    InvalidRequestError,
    RateLimitError,
    StreamInterruptedError,
    UnsupportedParameterError,
    error_from_ok_body,
    make_status_error,
)

KEY = "sk-test-0123456789abcdef"
URL = "https://api.deepseekapi.dev/v1/chat/completions"


def _request() -> httpx.Request:
    return httpx.Request(
        "POST",
        URL,
        headers={"Authorization": f"Bearer {KEY}", "X-Gateway-Key": "gw-secret-42"},
        content=b'{"model": "deepseek-chat"}',
    )


def _status(code: int, body: Any, headers: dict[str, str] | None = None) -> APIStatusError:
    response = httpx.Response(code, json=body, headers=headers or {}, request=_request())
    return make_status_error(response, retry_after=2.5 if code == 429 else None)


def _errors() -> list[DeepSeekAPIError]:
    request = _request()
    ok = httpx.Response(200, json={"x": 1}, request=request)
    return [
        _status(
            429,
            {"error": {"message": "slow", "type": "rate", "code": "c429"}},
            {"retry-after": "2.5", "x-request-id": "req-9"},
        ),
        _status(400, {"error": {"message": "bad", "type": "invalid_request_error", "param": "p"}}),
        _status(402, {"error": {"message": "pay"}}),
        _status(503, {"error": {"message": "busy"}}),
        APIConnectionError("Connection refused.", request=request),
        APITimeoutError(request),
        DeadlineExceededError(request, "deadline", partial_content="par"),
        StreamInterruptedError("cut", partial_content="ab", request=request),
        APIStreamError("event", error={"message": "x", "code": "c"}, request=request),
        InsufficientSystemResourceError("short", partial_reasoning="r", request=request),
        APIResponseValidationError("shape", response=ok, body={"x": 1}),
        EmptyJSONReplyError("empty", content="  ", finish_reason="stop"),
        InvalidRequestError("no", param="temperature"),
        UnsupportedParameterError("unsupported", param="logprobs"),
        DeepSeekAPIError("plain"),
        error_from_ok_body(ok, {"error": {"message": "hidden", "code": 429}}, streaming=False),
    ]


KEPT = (
    "message",
    "status_code",
    "type",
    "code",
    "param",
    "retry_after",
    "request_id",
    "body",
    "partial_content",
    "partial_reasoning",
    "partial_tool_calls",
    "content",
    "finish_reason",
)


@pytest.mark.parametrize("error", _errors(), ids=lambda e: type(e).__name__)
def test_every_error_round_trips_through_pickle(error: DeepSeekAPIError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and copy.args == error.args
    for name in KEPT:
        assert getattr(copy, name, None) == getattr(error, name, None), name
    if error.request is not None:
        assert copy.request.method == error.request.method
        assert copy.request.url == error.request.url
        assert copy.request.content == error.request.content
    if error.response is not None:
        assert copy.response.status_code == error.response.status_code
        assert copy.response.json() == error.response.json()


def test_a_429_keeps_what_retry_rules_read() -> None:
    error = pickle.loads(pickle.dumps(_errors()[0]))
    assert isinstance(error, RateLimitError)
    assert (error.status_code, error.retry_after, error.request_id) == (429, 2.5, "req-9")
    assert (error.type, error.code) == ("rate", "c429")


def test_a_bad_request_keeps_its_param() -> None:
    error = pickle.loads(pickle.dumps(_errors()[1]))
    assert isinstance(error, BadRequestError) and error.param == "p"


@pytest.mark.parametrize("error", _errors(), ids=lambda e: type(e).__name__)
def test_a_pickled_error_carries_no_key(error: DeepSeekAPIError) -> None:
    data = pickle.dumps(error)
    assert KEY.encode() not in data and b"gw-secret-42" not in data
    copy = pickle.loads(data)
    if copy.request is not None:
        assert "Bearer" not in copy.request.headers.get("authorization", "")
    if copy.response is not None:
        assert KEY not in str(copy.response.request.headers)


def test_a_key_echoed_in_the_reply_is_redacted_in_the_pickle() -> None:
    error = _status(401, {"error": {"message": f"bad key {KEY}"}, "echo": f"Bearer {KEY}"})
    assert KEY not in str(error) and KEY not in repr(error.body)
    data = pickle.dumps(error)
    assert KEY.encode() not in data
    copy = pickle.loads(data)
    assert KEY not in copy.response.text and "[redacted]" in copy.response.text


def _raise_429() -> None:
    raise _errors()[0]


def test_an_error_from_a_process_pool_arrives_as_itself() -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_429)
        with pytest.raises(RateLimitError) as caught:
            future.result(timeout=60)
    assert caught.value.retry_after == 2.5 and caught.value.status_code == 429


FOREIGN_OPENAI = """
import sys, types
fake = types.ModuleType("openai")
class OpenAIError(Exception):
    pass
fake.OpenAIError = OpenAIError
for name in ("APIError", "APIConnectionError", "APITimeoutError", "APIResponseValidationError",
             "APIStatusError", "BadRequestError", "AuthenticationError", "PermissionDeniedError",
             "NotFoundError", "ConflictError", "UnprocessableEntityError", "InternalServerError"):
    setattr(fake, name, type(name, (OpenAIError,), {}))
# another instance layout, met half-way through: Python refuses it as a second base
fake.RateLimitError = type("RateLimitError", (OpenAIError,), {"__slots__": ("extra",)})
sys.modules["openai"] = fake
import httpx
from deepseekapi_core.http._errors import RateLimitError, DeepSeekAPIError, make_status_error
request = httpx.Request("POST", "https://api.deepseekapi.dev/v1/chat/completions")
response = httpx.Response(429, json={"error": {"message": "slow"}}, request=request)
error = make_status_error(response, retry_after=None)
assert type(error) is RateLimitError and str(error).startswith("Error code: 429 - slow")
assert not isinstance(error, OpenAIError)
assert DeepSeekAPIError.__mro__[-3:] == (Exception, BaseException, object)
from deepseekapi_core.http._errors import BadRequestError
assert not issubclass(BadRequestError, fake.BadRequestError)  # the first grafts undone
print("unchanged")
"""


def test_an_openai_our_errors_cannot_extend_is_left_alone() -> None:
    result = subprocess.run(
        [sys.executable, "-c", FOREIGN_OPENAI], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "unchanged", result.stderr
