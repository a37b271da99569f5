"""Status codes to error classes, the retry policy, Retry-After in every form, odd error bodies,
connection failures and timeouts, and the retry log lines. Both clients, no real sleeping."""

from __future__ import annotations

import email.utils
import logging
import time

import httpx
import pytest

from deepseekapi_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DeepSeekAPIError,
    InsufficientCreditsError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    UnprocessableEntityError,
)
from deepseekapi_core.http import ConflictError, parse_retry_after

from .helpers import HELLO, Driver, Script, error_body, ok, status

NO_JITTER = RetryPolicy(jitter=lambda: 0.0)

STATUS_TABLE = [
    # status, exact class, retried
    (400, BadRequestError, False),
    (401, AuthenticationError, False),
    (402, InsufficientCreditsError, False),
    (403, PermissionDeniedError, False),
    (404, NotFoundError, False),
    (408, APIStatusError, True),
    (409, ConflictError, True),
    (418, APIStatusError, False),  # an unknown 4xx
    (422, UnprocessableEntityError, False),
    (429, RateLimitError, True),
    (500, InternalServerError, True),
    (502, InternalServerError, True),
    (503, ServiceUnavailableError, True),
    (504, InternalServerError, True),
]


@pytest.mark.parametrize(
    ("code", "cls", "retried"), STATUS_TABLE, ids=[str(s[0]) for s in STATUS_TABLE]
)
def test_status_maps_to_class_and_retry(mode: str, code: int, cls: type, retried: bool) -> None:
    script = Script([status(code, error_body(f"boom {code}", "some_type", "some_code"))] * 3)
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    with pytest.raises(DeepSeekAPIError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    error = caught.value
    assert type(error) is cls
    assert isinstance(error, APIStatusError)
    assert error.status_code == code
    assert error.message.startswith(f"Error code: {code} - boom {code}")
    assert (error.type, error.code) == ("some_type", "some_code")
    assert error.response.status_code == code
    assert error.request is script.requests[-1]
    if retried:
        assert len(script.requests) == 3
        assert driver.waits == [0.5, 1.0]
    else:
        assert len(script.requests) == 1
        assert driver.waits == []


def test_status_class_hierarchy() -> None:
    assert issubclass(ServiceUnavailableError, InternalServerError)
    assert issubclass(InternalServerError, APIStatusError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert all(issubclass(cls, DeepSeekAPIError) for _, cls, _ in STATUS_TABLE)


def test_retry_then_success(mode: str) -> None:
    script = Script([status(503), status(429), ok()])
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    reply = driver.chat(model="deepseek-chat", messages=HELLO)
    assert reply.message.content == "Hi there"
    assert len(script.requests) == 3
    assert driver.waits == [0.5, 1.0]
    # Every attempt sends the same body.
    assert script.bodies[0] == script.bodies[1] == script.bodies[2]


def test_insufficient_credits_says_top_up(mode: str) -> None:
    body = error_body("Insufficient Balance", "unknown_error", "invalid_request_error")
    driver = Driver(mode, Script([status(402, body)]))
    with pytest.raises(InsufficientCreditsError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert "Insufficient Balance" in str(caught.value)
    assert "top up" in str(caught.value)
    assert caught.value.type == "unknown_error"


# --------------------------------------------------------------------------------------------
# Retry-After


def _rate_limited(headers: dict[str, str]) -> httpx.Response:
    return status(429, error_body("Rate limit reached for TPM", "rate_limit_error"), headers)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "0"}, 0.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "Retry-After": "10"}, 0.25),  # ms wins
        ({"retry-after-ms": "soon", "Retry-After": "2"}, 2.0),  # bad ms falls back
        ({"retry-after-ms": "-5", "Retry-After": "2"}, 2.0),
        ({"Retry-After": "-5"}, 0.5),  # negative: ignored, backoff
        ({"Retry-After": "soon"}, 0.5),  # garbage: ignored, backoff
        ({"Retry-After": "nan"}, 0.5),
        ({"Retry-After": "inf"}, 0.5),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past
        ({}, 0.5),
    ],
    ids=lambda value: str(value),
)
def test_retry_after_forms(mode: str, headers: dict[str, str], expected: float) -> None:
    script = Script([_rate_limited(headers), ok()])
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 2
    assert driver.waits == [pytest.approx(expected)]


def test_retry_after_http_date(mode: str) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    script = Script([_rate_limited({"Retry-After": when}), ok()])
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    driver.chat(model="deepseek-chat", messages=HELLO)
    (wait,) = driver.waits
    assert 28.0 < wait <= 30.0


def test_parse_retry_after_units() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": date}), now=lambda: now) == 42.0
    assert parse_retry_after(httpx.Headers({"Retry-After": " 7 "})) == 7.0
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "1500"})) == 1.5
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "nan"})) is None
    assert parse_retry_after(httpx.Headers({})) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "-1"})) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "1e400"})) is None


def test_retry_after_beyond_cap_is_raised_not_slept(mode: str) -> None:
    script = Script([_rate_limited({"Retry-After": "120"}), ok()])
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    with pytest.raises(RateLimitError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 1
    assert driver.waits == []
    assert caught.value.retry_after == 120.0
    assert "retry after 120 s" in str(caught.value)
    assert "Rate limit reached for TPM" in str(caught.value)


def test_retry_after_of_exactly_the_cap_is_slept(mode: str) -> None:
    # The cap is the longest wait slept, not the first one refused.
    script = Script([_rate_limited({"Retry-After": "60"}), ok()])
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    driver.chat(model="deepseek-chat", messages=HELLO)
    assert NO_JITTER.max_retry_after == 60.0
    assert driver.waits == [60.0]
    assert len(script.requests) == 2


def test_retry_after_cap_is_configurable(mode: str) -> None:
    policy = RetryPolicy(max_retry_after=300, jitter=lambda: 0.0)
    script = Script([_rate_limited({"Retry-After": "120"}), ok()])
    driver = Driver(mode, script, retry_policy=policy)
    driver.chat(model="deepseek-chat", messages=HELLO)
    assert driver.waits == [120.0]


def test_exhausted_retries_keep_retry_after(mode: str) -> None:
    script = Script([_rate_limited({"Retry-After": "2"})] * 3)
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    with pytest.raises(RateLimitError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert driver.waits == [2.0, 2.0]
    assert len(script.requests) == 3
    assert caught.value.retry_after == 2.0


def test_retry_after_on_503(mode: str) -> None:
    script = Script([status(503, "", {"Retry-After": "4"}), ok()])
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    driver.chat(model="deepseek-chat", messages=HELLO)
    assert driver.waits == [4.0]


# --------------------------------------------------------------------------------------------
# Backoff


def test_backoff_sequence_with_fixed_jitter(mode: str) -> None:
    script = Script([status(500)] * 7)
    driver = Driver(mode, script, retry_policy=RetryPolicy(max_retries=6, jitter=lambda: 0.0))
    with pytest.raises(InternalServerError):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 7
    assert driver.waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_backoff_jitter_shortens_by_up_to_a_quarter() -> None:
    full = RetryPolicy(jitter=lambda: 1.0)
    assert [full.backoff(n) for n in range(6)] == [0.375, 0.75, 1.5, 3.0, 6.0, 6.0]
    half = RetryPolicy(jitter=lambda: 0.5)
    assert half.backoff(0) == pytest.approx(0.4375)
    default = RetryPolicy()
    for n in range(8):
        assert 0.75 * min(0.5 * 2**n, 8.0) <= default.backoff(n) <= min(0.5 * 2**n, 8.0)
    assert RetryPolicy(jitter=lambda: 0.0).backoff(10_000) == 8.0  # no overflow


def test_max_retries_argument(mode: str) -> None:
    script = Script([status(503)] * 5)
    driver = Driver(mode, script, max_retries=4)
    with pytest.raises(ServiceUnavailableError):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 5
    assert len(driver.waits) == 4


def test_max_retries_zero(mode: str) -> None:
    script = Script([status(503), ok()])
    driver = Driver(mode, script, max_retries=0)
    with pytest.raises(ServiceUnavailableError):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 1
    assert driver.waits == []


def test_default_is_three_attempts(mode: str) -> None:
    script = Script([status(500)] * 3)
    driver = Driver(mode, script)
    with pytest.raises(InternalServerError):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 3
    assert len(driver.waits) == 2
    assert 0.375 <= driver.waits[0] <= 0.5 and 0.75 <= driver.waits[1] <= 1.0


def test_retry_policy_rejects_negative_values() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="delays"):
        RetryPolicy(initial_delay=-0.1)


# --------------------------------------------------------------------------------------------
# Odd error bodies

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    + "<!-- a padding comment to make the page long -->\r\n" * 50
    + "</body>\r\n</html>\r\n"
)


def test_html_502_maps_by_status_with_short_excerpt(mode: str) -> None:
    page = status(502, NGINX_502, {"content-type": "text/html"})
    driver = Driver(mode, Script([page] * 3), retry_policy=NO_JITTER)
    with pytest.raises(InternalServerError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    error = caught.value
    assert error.status_code == 502
    assert len(driver.waits) == 2  # retried like any 502
    assert error.message.startswith("Error code: 502 - 502 Bad Gateway 502 Bad Gateway nginx")
    assert "<" not in error.message and "\r" not in error.message
    assert len(error.message) < 400
    assert error.type is None and error.code is None
    assert error.body == NGINX_502  # the full body stays available


def test_json_error_served_as_octet_stream(mode: str) -> None:
    message = (
        "This model's maximum context length is 1048565 tokens. However, you requested "
        "1250025 tokens (1250025 in the messages, 0 in the completion). Please reduce the "
        "length of the messages or completion."
    )
    response = status(
        400,
        error_body(message, "invalid_request_error"),
        {"content-type": "application/octet-stream"},
    )
    driver = Driver(mode, Script([response]))
    with pytest.raises(BadRequestError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert caught.value.message.startswith(f"Error code: 400 - {message}")
    assert caught.value.type == "invalid_request_error"
    assert caught.value.code == "invalid_request_error"
    assert caught.value.body["message"] == message


def test_422_plain_text(mode: str) -> None:
    text = "Failed to deserialize the JSON body into the target type: missing field `model`"
    response = status(422, text, {"content-type": "text/plain; charset=utf-8"})
    driver = Driver(mode, Script([response]))
    with pytest.raises(UnprocessableEntityError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert caught.value.message.startswith(f"Error code: 422 - {text}")
    assert caught.value.body == text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"error": "plain string error"}', "plain string error"),
        (b'{"message": "top-level message"}', "top-level message"),
        (b'{"detail": "no message key"}', '{"detail": "no message key"}'),
        (b"", "Internal Server Error"),
        (b"[1, 2]", "[1, 2]"),
    ],
)
def test_error_body_shapes(body: bytes, expected: str) -> None:
    driver = Driver("sync", Script([status(500, body)]), max_retries=0)
    with pytest.raises(InternalServerError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert caught.value.message.startswith(f"Error code: 500 - {expected}")


def test_request_id_headers(mode: str) -> None:
    ds = status(400, error_body("bad"), {"X-Ds-Trace-Id": "trace-1", "x-request-id": "req-1"})
    driver = Driver(mode, Script([ds, status(400, error_body("bad"), {"x-request-id": "req-2"})]))
    with pytest.raises(BadRequestError) as first:
        driver.chat(model="deepseek-chat", messages=HELLO)
    with pytest.raises(BadRequestError) as second:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert first.value.request_id == "trace-1"
    assert second.value.request_id == "req-2"
    assert str(second.value).endswith("[request id req-2]")


# --------------------------------------------------------------------------------------------
# No response at all


def test_connection_error_retried_then_raised(mode: str) -> None:
    script = Script([httpx.ConnectError("[Errno 111] Connection refused")] * 3)
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    with pytest.raises(APIConnectionError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert type(caught.value) is APIConnectionError
    assert len(script.requests) == 3
    assert driver.waits == [0.5, 1.0]
    assert "ConnectError" in str(caught.value) and "Connection refused" in str(caught.value)
    assert caught.value.status_code is None
    assert caught.value.request is script.requests[-1]


@pytest.mark.parametrize(
    "timeout", [httpx.ReadTimeout("timed out"), httpx.ConnectTimeout("timed out")], ids=repr
)
def test_timeout_retried_then_raised(mode: str, timeout: Exception) -> None:
    script = Script([timeout] * 3)
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    with pytest.raises(APITimeoutError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 3
    assert driver.waits == [0.5, 1.0]
    assert str(caught.value) == "Request timed out."


def test_connection_error_then_success(mode: str) -> None:
    script = Script([httpx.RemoteProtocolError("peer closed"), httpx.ReadTimeout("slow"), ok()])
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    assert driver.chat(model="deepseek-chat", messages=HELLO).message.content == "Hi there"
    assert driver.waits == [0.5, 1.0]


def test_timeout_configuration() -> None:
    from deepseekapi_core import DeepSeekClient

    default = DeepSeekClient(api_key="k")
    assert (default.timeout.read, default.timeout.connect) == (60.0, 10.0)
    short = DeepSeekClient(api_key="k", timeout=5)
    assert (short.timeout.read, short.timeout.connect) == (5.0, 5.0)
    custom = httpx.Timeout(1.0, read=30.0)
    assert DeepSeekClient(api_key="k", timeout=custom).timeout is custom


# --------------------------------------------------------------------------------------------
# Logging


def test_retries_logged_at_info_with_attempt_number(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="deepseekapi_core")
    script = Script(
        [status(503, error_body("Server overloaded")), httpx.ConnectError("refused"), ok()]
    )
    driver = Driver(mode, script, retry_policy=NO_JITTER)
    driver.chat(model="deepseek-chat", messages=HELLO)
    records = [r for r in caplog.records if r.name == "deepseekapi_core"]
    assert len(records) == 2
    assert all(r.levelno == logging.INFO for r in records)
    first, second = (r.getMessage() for r in records)
    assert "attempt 2 of 3" in first and "0.50 s" in first and "503" in first
    assert "Server overloaded" in first
    assert "attempt 3 of 3" in second and "1.00 s" in second and "refused" in second


def test_no_retry_log_when_not_retried(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="deepseekapi_core")
    driver = Driver(mode, Script([status(400, error_body("bad"))]))
    with pytest.raises(BadRequestError):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert not [r for r in caplog.records if "Retrying" in r.getMessage()]
