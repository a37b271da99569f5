"""The I/O-free exchange both clients share: fed events by hand, no transport, no sleeping."""

from __future__ import annotations

import json

import httpx
import pytest

from deepseekapi_core.http import (
    APIConnectionError,
    APITimeoutError,
    DeadlineExceededError,
    DeepSeekAPIError,
    RetryPolicy,
    ServiceUnavailableError,
    StreamInterruptedError,
)
from deepseekapi_core.http._decode import StreamEnded
from deepseekapi_core.http._exchange import Exchange, Retry

REQUEST = httpx.Request("POST", "https://api.example/chat/completions")


class Ticket:
    """A limiter ticket that records what the exchange asks of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def acquire(self) -> None:
        self.calls.append("acquire")

    async def aacquire(self) -> None:
        self.calls.append("acquire")

    def release(self) -> None:
        self.calls.append("release")

    def note(self, error: DeepSeekAPIError) -> None:
        self.calls.append(f"note {type(error).__name__}")


def exchange(max_retries: int = 2, deadline: float | None = None) -> tuple[Exchange, Ticket]:
    ticket = Ticket()
    policy = RetryPolicy(max_retries=max_retries, jitter=lambda: 0.0)
    made = Exchange(policy, deadline, ticket)
    made.begin(REQUEST)
    return made, ticket


def chunk(content: str, finish: str | None = None) -> bytes:
    body = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "deepseek-chat",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def stream_response() -> httpx.Response:
    headers = {"content-type": "text/event-stream", "x-trace": "t-1"}
    return httpx.Response(200, headers=headers, request=REQUEST)


def test_a_503_with_retry_after_waits_that_long_then_gives_up_after_the_retries() -> None:
    call, ticket = exchange(max_retries=1)
    busy = httpx.Response(503, headers={"retry-after": "3"}, json={}, request=REQUEST)
    outcome = call.settle(busy, lambda response: "parsed")
    assert isinstance(outcome, Retry) and isinstance(outcome.error, ServiceUnavailableError)
    assert call.wait(outcome) == 3.0
    # The slot goes back before the wait; the error is shared with the account.
    assert ticket.calls == ["release", "note ServiceUnavailableError"]
    again = call.settle(busy, lambda response: "parsed")
    assert isinstance(again, Retry)
    with pytest.raises(ServiceUnavailableError):
        call.wait(again)


def test_a_reply_is_parsed_and_a_transport_failure_becomes_its_error() -> None:
    call, _ = exchange()
    ok = httpx.Response(200, json={"fine": True}, request=REQUEST)
    assert call.settle(ok, lambda response: response.json()) == {"fine": True}
    refused = call.settle(httpx.ConnectError("refused", request=REQUEST), lambda r: None)
    assert isinstance(refused, Retry) and type(refused.error) is APIConnectionError
    timed_out = call.settle(httpx.ReadTimeout("slow", request=REQUEST), lambda r: None)
    assert isinstance(timed_out, Retry) and isinstance(timed_out.error, APITimeoutError)


def test_a_wait_beyond_the_deadline_is_not_taken() -> None:
    call, _ = exchange(deadline=1.0)
    busy = httpx.Response(503, headers={"retry-after": "5"}, json={}, request=REQUEST)
    outcome = call.settle(busy, lambda response: None)
    assert isinstance(outcome, Retry)
    with pytest.raises(DeadlineExceededError, match="retrying after ServiceUnavailableError"):
        call.wait(outcome)


def test_a_stream_that_breaks_before_any_text_is_retried_and_after_text_is_not() -> None:
    call, _ = exchange()
    quiet = call.decoder(stream_response())
    assert quiet is not None
    retry = call.broke(httpx.ReadError("reset", request=REQUEST), quiet)
    assert isinstance(retry, Retry) and isinstance(retry.error, APIConnectionError)

    talking = call.decoder(stream_response())
    assert talking is not None
    chunks = talking.feed(chunk("Hel") + chunk("lo"))
    assert [c.choices[0].delta.content for c in chunks] == ["Hel", "lo"]
    assert all(c.response_headers["x-trace"] == "t-1" for c in chunks)
    with pytest.raises(StreamInterruptedError) as caught:
        call.broke(httpx.ReadError("reset", request=REQUEST), talking)
    assert caught.value.partial_content == "Hello"


def test_a_finished_reply_whose_done_was_lost_is_complete() -> None:
    call, _ = exchange()
    decoder = call.decoder(stream_response())
    assert decoder is not None
    decoder.feed(chunk("Hi") + chunk("", finish="stop"))
    assert not decoder.stop  # no [DONE] yet
    assert call.broke(StreamEnded("closed"), decoder) is None


def test_the_decoder_stops_at_done_and_an_error_status_has_none() -> None:
    call, _ = exchange()
    decoder = call.decoder(stream_response())
    assert decoder is not None
    decoder.feed(chunk("Hi") + chunk("", finish="stop") + b"data: [DONE]\n\n")
    assert decoder.stop and decoder.finish() == []
    assert call.decoder(httpx.Response(500, request=REQUEST)) is None


def test_a_passed_deadline_stops_the_stream_with_what_was_delivered() -> None:
    call, _ = exchange(deadline=0.001)
    decoder = call.decoder(stream_response())
    assert decoder is not None
    decoder.feed(chunk("partial"))
    while not decoder.past_deadline():
        pass
    with pytest.raises(DeadlineExceededError) as caught:
        decoder.finish()
    assert caught.value.partial_content == "partial"
