"""Issue 23, HTTP side: a deadline bounds the whole call (slot wait, slow headers, retry
sleeps); nothing is sent after it has passed; the error names what it was waiting for."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient
from deepseekapi_core.http import DeadlineExceededError, RateLimitError

from .helpers import API_KEY, BASE_URL, HELLO, Driver, completion, error_body

_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: "
    + b"x" * 60
    + b"\r\nContent-Length: 2\r\n\r\n{}"
)


@pytest.fixture
def trickle_server() -> Iterator[str]:
    """A loopback server that sends its status line and headers at one byte per 0.2 s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for byte in _HEAD:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    listener.close()


@pytest.mark.parametrize("stream", [False, True])
def test_slow_headers_are_bounded_by_the_deadline(
    trickle_server: str, mode: str, stream: bool
) -> None:
    # Before: the headers took about 28 s at this pace (each byte within the read timeout);
    # the deadline only capped the first read's timeout.
    kwargs: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": trickle_server,
        "deadline": 1.0,
        "max_retries": 0,
    }
    params: dict[str, Any] = {"model": "deepseek-chat", "messages": HELLO}
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        if mode == "sync":
            with DeepSeekClient(**kwargs) as client:
                if stream:
                    list(client.stream_chat(**params))
                else:
                    client.chat(**params)
        else:

            async def run() -> None:
                async with AsyncDeepSeekClient(**kwargs) as client:
                    if stream:
                        [chunk async for chunk in client.stream_chat(**params)]
                    else:
                        await client.chat(**params)

            asyncio.run(run())
    elapsed = time.monotonic() - started
    assert elapsed < 1.8, elapsed
    assert "status line and headers" in str(info.value)
    assert "reading the reply" not in str(info.value)


class _SlowTicket:
    """A limiter ticket whose slot wait takes ``wait`` s and ignores the deadline it is given
    (a limiter that does not bound its own wait): the call checks the deadline again once the
    slot is held, so nothing is sent late."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.released = 0

    def acquire(self, **terms: Any) -> None:
        time.sleep(self.wait)

    async def aacquire(self, **terms: Any) -> None:
        await asyncio.sleep(self.wait)

    def release(self) -> None:
        self.released += 1

    def note(self, error: object) -> None:
        pass


class _TermsTicket(_SlowTicket):
    """A ticket of the limiter contract: takes the call's deadline and longest pause."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self.terms: list[dict[str, Any]] = []

    def acquire(self, *, deadline: float | None = None, max_pause: float | None = None) -> None:
        self.terms.append({"deadline": deadline, "max_pause": max_pause})

    async def aacquire(
        self, *, deadline: float | None = None, max_pause: float | None = None
    ) -> None:
        self.acquire(deadline=deadline, max_pause=max_pause)


class _Gate:
    def __init__(self, ticket: Any) -> None:
        self._ticket = ticket

    def ticket(self, model: object, sleep: object) -> Any:
        return self._ticket


def _run(mode: str, ticket: Any, handler: Any, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": BASE_URL,
        "transport": httpx.MockTransport(handler),
        **kwargs,
    }
    if mode == "sync":
        client = DeepSeekClient(**options)
        client.limits = _Gate(ticket)  # type: ignore[assignment]
        return client.chat(model="deepseek-chat", messages=HELLO)

    async def run() -> Any:
        client = AsyncDeepSeekClient(**options)
        client.limits = _Gate(ticket)  # type: ignore[assignment]
        return await client.chat(model="deepseek-chat", messages=HELLO)

    return asyncio.run(run())


def test_nothing_is_sent_after_a_slot_wait_outlasts_the_deadline(mode: str) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=completion())

    ticket = _SlowTicket(0.3)
    with pytest.raises(DeadlineExceededError) as info:
        _run(mode, ticket, handler, deadline=0.2)
    assert sent == []
    assert "concurrency slot" in str(info.value)
    assert ticket.released >= 1


def test_the_ticket_gets_the_deadline_and_the_longest_pause(mode: str) -> None:
    ticket = _TermsTicket()
    _run(mode, ticket, lambda r: httpx.Response(200, json=completion()), deadline=5.0)
    (terms,) = ticket.terms
    assert terms["max_pause"] == 60.0
    assert terms["deadline"] is not None
    assert 4.0 < terms["deadline"] - time.monotonic() <= 5.0


def _limited(retry_after: str) -> Any:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            429, content=error_body("slow down", "rate_limit"), headers={"Retry-After": retry_after}
        )

    return sent, handler


def test_an_absurd_retry_after_is_raised_at_once(mode: str) -> None:
    sent, handler = _limited("99999")
    driver = Driver(mode, handler)
    with pytest.raises(RateLimitError) as info:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert info.value.retry_after == 99999
    assert len(sent) == 1 and driver.waits == []


def test_a_retry_wait_past_the_deadline_is_not_slept(mode: str) -> None:
    sent, handler = _limited("5")
    driver = Driver(mode, handler, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert time.monotonic() - started < 0.5
    assert len(sent) == 1 and driver.waits == []
    assert "RateLimitError" in str(info.value)


def test_a_stream_retry_wait_past_the_deadline_is_not_slept(mode: str) -> None:
    sent, handler = _limited("5")
    driver = Driver(mode, handler, deadline=1.0)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, DeadlineExceededError)
    assert len(sent) == 1 and driver.waits == []


@pytest.fixture
def stalling_stream_server() -> Iterator[str]:
    """Headers at once, one chunk after 1.5 s, then nothing (the connection held open)."""
    import json as _json

    from .helpers import chunk

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    event = b"data: " + _json.dumps(chunk(content="Hel")).encode() + b"\n\n"

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
            )
            time.sleep(1.5)
            conn.sendall(event)
            stop.wait(10)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    listener.close()


def test_a_stream_stalling_mid_body_ends_at_the_deadline(
    stalling_stream_server: str, mode: str
) -> None:
    # Before: the stall was bounded by the time left when the attempt began (2 s), so the
    # call ended at about 3.5 s.
    kwargs: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": stalling_stream_server,
        "deadline": 2.0,
        "max_retries": 0,
    }
    params: dict[str, Any] = {"model": "deepseek-chat", "messages": HELLO}
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        if mode == "sync":
            with DeepSeekClient(**kwargs) as client:
                list(client.stream_chat(**params))
        else:

            async def run() -> None:
                async with AsyncDeepSeekClient(**kwargs) as client:
                    [chunk async for chunk in client.stream_chat(**params)]

            asyncio.run(run())
    assert time.monotonic() - started < 2.6
    assert info.value.partial_content == "Hel"  # type: ignore[attr-defined]
