"""The fault matrix: every documented fault, through the core and both adapters, sync and async,
plain and streamed. Each case asserts what the caller saw, the attempts made (the emulator's
request count, or the socket transport's) and the waits chosen (recorded, never slept)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

import pytest

from deepseekapi_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    DeepSeekAPIError,
    InsufficientCreditsError,
    InternalServerError,
    RateLimitError,
    ServiceUnavailableError,
    StreamInterruptedError,
)
from deepseekapi_core.http import APIResponseValidationError, APIStreamError
from deepseekapi_core.testing import Emulator

from .harness import (
    DELIVERIES,
    MODES,
    TARGETS,
    CountingTransport,
    Outcome,
    Setup,
    closed_port,
    expected_reply,
    run,
    within,
)

PROMPT = "Hello reliability"
FULL = expected_reply(PROMPT)
# The emulator streams the reply as: role chunk, "[emulated ", "deepseek-v4-flash] ", "You ", ...
AFTER_TWO_TOKENS = "[emulated deepseek-flash] "

# Backoff: 0.5 s doubling, shortened by up to 25 % jitter.
FIRST_BACKOFF = (0.375, 0.5)
SECOND_BACKOFF = (0.75, 1.0)


@dataclass(frozen=True)
class Case:
    name: str
    arrange: Callable[[Emulator], object]
    expect_error: type[BaseException] | None
    attempts: int
    waits: tuple[tuple[float, float], ...]
    deliveries: tuple[str, ...] = DELIVERIES
    timeout: float | None = None
    partial: str | None = None
    """For errors after tokens: the partial text the error carries (and the caller saw)."""
    message: tuple[str, ...] = ()
    """Words the error's message must contain."""
    retry_after: float | None = None
    emulator_key: str | None = None


def _http_date(seconds_from_now: int) -> str:
    return formatdate(time.time() + seconds_from_now, usegmt=True)


CASES = [
    Case(
        "429-retry-after-seconds",
        lambda e: e.faults.status(429, retry_after=2),
        None,
        2,
        ((2.0, 2.0),),
    ),
    Case(
        "429-retry-after-http-date",
        lambda e: e.faults.status(429, retry_after=_http_date(30)),
        None,
        2,
        ((28.0, 30.0),),
    ),
    Case(
        "429-retry-after-ms",
        lambda e: e.faults.status(429, retry_after_ms=250),
        None,
        2,
        ((0.25, 0.25),),
    ),
    Case(
        "429-retry-after-ms-wins-over-seconds",
        lambda e: e.faults.status(429, retry_after=7, retry_after_ms=40),
        None,
        2,
        ((0.04, 0.04),),
    ),
    Case(
        "429-every-attempt-exhausts-retries",
        lambda e: e.faults.status(429, retry_after_ms=10, times=3),
        RateLimitError,
        3,
        ((0.01, 0.01), (0.01, 0.01)),
        message=("429", "Rate Limit Reached"),
        retry_after=0.01,
    ),
    Case(
        "429-retry-after-beyond-cap",
        lambda e: e.faults.status(429, retry_after=120),
        RateLimitError,
        1,
        (),
        message=("429", "retry after 120 s"),
        retry_after=120.0,
    ),
    Case(
        "429-http-date-beyond-cap",
        lambda e: e.faults.status(429, retry_after=_http_date(3600)),
        RateLimitError,
        1,
        (),
        message=("429",),
    ),
    Case("500", lambda e: e.faults.status(500), None, 2, (FIRST_BACKOFF,)),
    Case("502-html", lambda e: e.faults.html_error(502), None, 2, (FIRST_BACKOFF,)),
    Case(
        "502-html-every-attempt",
        lambda e: e.faults.html_error(502, times=3),
        InternalServerError,
        3,
        (FIRST_BACKOFF, SECOND_BACKOFF),
        message=("502", "Bad Gateway"),
    ),
    Case("503", lambda e: e.faults.status(503), None, 2, (FIRST_BACKOFF,)),
    Case(
        "503-every-attempt",
        lambda e: e.faults.status(503, times=3),
        ServiceUnavailableError,
        3,
        (FIRST_BACKOFF, SECOND_BACKOFF),
        message=("503", "overloaded"),
    ),
    Case(
        "503-retry-after-ms",
        lambda e: e.faults.status(503, retry_after_ms=30),
        None,
        2,
        ((0.03, 0.03),),
    ),
    Case("504", lambda e: e.faults.status(504), None, 2, (FIRST_BACKOFF,)),
    Case(
        "connection-dropped-before-response",
        lambda e: e.faults.drop_connection(),
        None,
        2,
        (FIRST_BACKOFF,),
    ),
    Case(
        "read-timeout-then-answer",
        lambda e: e.faults.latency(5.0),
        None,
        2,
        (FIRST_BACKOFF,),
        timeout=0.05,
    ),
    Case(
        "read-timeout-every-attempt",
        lambda e: e.faults.latency(5.0, times=3),
        APITimeoutError,
        3,
        (FIRST_BACKOFF, SECOND_BACKOFF),
        timeout=0.05,
        message=("timed out",),
    ),
    Case(
        "stream-stall-before-first-token",
        lambda e: e.faults.latency(0.0, per_event=5.0),
        None,
        2,
        (FIRST_BACKOFF,),
        deliveries=("stream",),
        timeout=0.05,
    ),
    Case(
        "stream-cut-before-first-token",
        lambda e: e.faults.cut_stream(after_events=1),
        None,
        2,
        (FIRST_BACKOFF,),
        deliveries=("stream",),
    ),
    Case(
        "stream-cut-at-once",
        lambda e: e.faults.cut_stream(after_events=0),
        None,
        2,
        (FIRST_BACKOFF,),
        deliveries=("stream",),
    ),
    Case(
        "stream-cut-after-tokens",
        lambda e: e.faults.cut_stream(after_events=3),
        StreamInterruptedError,
        1,
        (),
        deliveries=("stream",),
        partial=AFTER_TWO_TOKENS,
        message=("not retried",),
    ),
    Case(
        "truncated-json-body",
        lambda e: e.faults.malformed_body(),
        APIResponseValidationError,
        1,
        (),
        deliveries=("plain",),
        message=("not a valid ChatCompletion",),
    ),
    Case(
        "truncated-json-event-before-tokens",
        lambda e: e.faults.malformed_body(after_events=1),
        APIResponseValidationError,
        1,
        (),
        deliveries=("stream",),
        message=("not a chat completion chunk",),
    ),
    Case(
        "truncated-json-event-after-tokens",
        lambda e: e.faults.malformed_body(after_events=3),
        StreamInterruptedError,
        1,
        (),
        deliveries=("stream",),
        partial=AFTER_TWO_TOKENS,
    ),
    Case(
        "error-object-in-stream-before-tokens",
        lambda e: e.faults.stream_error(after_events=1, message="Upstream overloaded"),
        APIStreamError,
        1,
        (),
        deliveries=("stream",),
        partial="",
        message=("Upstream overloaded",),
    ),
    Case(
        "error-object-in-stream-after-tokens",
        lambda e: e.faults.stream_error(after_events=3, message="Upstream overloaded"),
        APIStreamError,
        1,
        (),
        deliveries=("stream",),
        partial=AFTER_TWO_TOKENS,
        message=("Upstream overloaded",),
    ),
    Case(
        # 8 keep-alive comments and 8 events, 15 ms apart: ~0.24 s in all, four times the
        # 60 ms read timeout, which applies between events and so is never exceeded.
        "keep-alive-during-long-wait",
        lambda e: (e.faults.keep_alive(8), e.faults.latency(0.0, per_event=0.015)),
        None,
        1,
        (),
        deliveries=("stream",),
        timeout=0.06,
    ),
    Case(
        "keep-alive-blank-lines-before-body",
        lambda e: e.faults.keep_alive(3),
        None,
        1,
        (),
        deliveries=("plain",),
    ),
    Case(
        "401-wrong-key",
        lambda e: None,
        AuthenticationError,
        1,
        (),
        message=("401", "Authentication Fails", "Check the API key"),
        emulator_key="sk-another-key-that-is-not-ours-0000",
    ),
    Case(
        "402-insufficient-balance",
        lambda e: e.faults.status(402),
        InsufficientCreditsError,
        1,
        (),
        message=("402", "Insufficient Balance", "top up"),
    ),
]


def _params() -> list[object]:
    return [
        pytest.param(case, target, mode, delivery, id=f"{case.name}-{target}-{mode}-{delivery}")
        for case in CASES
        for target in TARGETS
        for mode in MODES
        for delivery in case.deliveries
    ]


def _check_waits(outcome: Outcome, expected: tuple[tuple[float, float], ...]) -> None:
    assert len(outcome.waits) == len(expected), outcome.waits
    for wait, (low, high) in zip(outcome.waits, expected, strict=True):
        assert within(wait, low, high), (wait, low, high)


def _check_tokens(outcome: Outcome, target: str, delivery: str, seen: str) -> None:
    """The caller (and LangChain's callbacks) saw ``seen``, each token exactly once."""
    if delivery != "stream":
        return
    assert "".join(outcome.tokens) == seen
    if target == "langchain":
        assert outcome.callback_tokens == outcome.tokens


@pytest.mark.parametrize(("case", "target", "mode", "delivery"), _params())
def test_fault(case: Case, target: str, mode: str, delivery: str) -> None:
    emulator = Emulator(api_key=case.emulator_key) if case.emulator_key else Emulator()
    case.arrange(emulator)
    setup = Setup(transport=emulator.transport(), timeout=case.timeout)

    outcome = run(target, mode, delivery, setup, PROMPT)

    assert emulator.request_count == case.attempts
    _check_waits(outcome, case.waits)
    if case.expect_error is None:
        assert outcome.error is None, repr(outcome.error)
        assert outcome.text == FULL
        _check_tokens(outcome, target, delivery, FULL)
        return
    error = outcome.error
    assert isinstance(error, case.expect_error), repr(error)
    assert isinstance(error, DeepSeekAPIError)
    for word in case.message:
        assert word in str(error), str(error)
    if case.retry_after is not None:
        assert error.retry_after == pytest.approx(case.retry_after)
    if isinstance(error, APIStatusError):
        assert error.status_code == int(case.name[:3]) if case.name[:3].isdigit() else True
    if case.partial is not None:
        assert isinstance(error, StreamInterruptedError)
        assert error.partial_content == case.partial
        _check_tokens(outcome, target, delivery, case.partial)
    elif delivery == "stream":
        _check_tokens(outcome, target, delivery, "")


@pytest.mark.parametrize("delivery", DELIVERIES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_connection_refused(target: str, mode: str, delivery: str) -> None:
    transport = CountingTransport()
    setup = Setup(transport=transport, base_url=f"http://127.0.0.1:{closed_port()}/v1")

    outcome = run(target, mode, delivery, setup, PROMPT)

    assert isinstance(outcome.error, APIConnectionError), repr(outcome.error)
    assert not isinstance(outcome.error, APITimeoutError)
    assert "Connect" in str(outcome.error)
    assert transport.count == 3
    _check_waits(outcome, (FIRST_BACKOFF, SECOND_BACKOFF))
    assert outcome.seconds < 5


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_no_retries_means_one_attempt(target: str, mode: str) -> None:
    emulator = Emulator()
    emulator.faults.status(503, times=5)
    setup = Setup(transport=emulator.transport(), max_retries=0)

    outcome = run(target, mode, "plain", setup, PROMPT)

    assert isinstance(outcome.error, ServiceUnavailableError)
    assert emulator.request_count == 1
    assert outcome.waits == []
