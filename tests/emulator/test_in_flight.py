"""The per-key in-flight cap (issue 17): 429 with Retry-After above it, slots held by streams
until they end or the client leaves, on the in-process transport and on loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from deepseekapi_core import DeepSeekClient, RateLimitError
from deepseekapi_core.testing import Emulator, EmulatorServer

from .conftest import chat_body

URL = "https://x/v1/chat/completions"
KEY_A = {"Authorization": "Bearer sk-key-a"}
KEY_B = {"Authorization": "Bearer sk-key-b"}
STREAM = {**chat_body(), "stream": True}


def eventually(condition: Callable[[], bool], *, within: float = 10.0) -> None:
    """Wait until ``condition`` holds (the server notices a disconnect on its own thread)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def test_cap_is_off_by_default() -> None:
    emulator = Emulator()
    with ExitStack() as stack:
        client = stack.enter_context(httpx.Client(transport=emulator.transport(), headers=KEY_A))
        responses = [stack.enter_context(client.stream("POST", URL, json=STREAM)) for _ in range(5)]
        assert [r.status_code for r in responses] == [200] * 5
        assert emulator.in_flight.current("sk-key-a") == 5
    assert emulator.in_flight.limit is None
    assert emulator.in_flight.max_seen == 5 and emulator.in_flight.rejected == 0
    assert emulator.in_flight.total == 0


def test_over_the_cap_answers_429_with_retry_after_and_the_service_body() -> None:
    emulator = Emulator(max_in_flight_per_key=2, in_flight_retry_after=3)
    with httpx.Client(transport=emulator.transport(), headers=KEY_A) as client:
        with client.stream("POST", URL, json=STREAM), client.stream("POST", URL, json=STREAM):
            refused = client.post(URL, json=chat_body())
            other_key = client.post(URL, json=chat_body(), headers=KEY_B)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "3"
        assert refused.json() == {
            "error": {
                "message": "Rate Limit Reached",
                "type": "rate_limit_error",
                "param": None,
                "code": "invalid_request_error",
            }
        }
        assert other_key.status_code == 200
        # The streams ended, their slots are free again.
        assert client.post(URL, json=chat_body()).status_code == 200
    assert emulator.in_flight.rejected == 1 and emulator.in_flight.max_seen == 2
    assert emulator.in_flight.total == 0


def test_plain_replies_free_their_slot_when_delivered() -> None:
    emulator = Emulator(max_in_flight_per_key=1)
    with httpx.Client(transport=emulator.transport(), headers=KEY_A) as client:
        statuses = [client.post(URL, json=chat_body()).status_code for _ in range(10)]
        assert statuses == [200] * 10
        streamed = client.post(URL, json=STREAM)
        assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
        assert client.post(URL, json=chat_body()).status_code == 200
    assert emulator.in_flight.max_seen == 1 and emulator.in_flight.rejected == 0


def test_errors_and_faults_free_their_slot_too() -> None:
    emulator = Emulator(max_in_flight_per_key=1)
    emulator.faults.cut_stream(after_events=1)
    emulator.faults.latency(0.0, per_event=0.0)
    with httpx.Client(transport=emulator.transport(), headers=KEY_A) as client:
        with client.stream("POST", URL, json=STREAM) as response, pytest.raises(httpx.HTTPError):
            response.read()
        assert client.post(URL, json=chat_body(model="no-such-model")).status_code == 400
        emulator.faults.drop_connection()
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(URL, json=chat_body())
        assert client.post(URL, json=chat_body()).status_code == 200
    assert emulator.in_flight.total == 0 and emulator.in_flight.rejected == 0


def test_a_stream_abandoned_half_way_frees_its_slot() -> None:
    emulator = Emulator(max_in_flight_per_key=1)
    emulator.faults.latency(0.0, per_event=0.001)
    with httpx.Client(transport=emulator.transport(), headers=KEY_A) as client:
        with client.stream("POST", URL, json=STREAM) as response:
            pieces = response.iter_raw()
            next(pieces)
            assert client.post(URL, json=chat_body()).status_code == 429
        assert client.post(URL, json=chat_body()).status_code == 200


async def test_async_in_process_cap() -> None:
    emulator = Emulator(max_in_flight_per_key=2)
    async with httpx.AsyncClient(transport=emulator.transport(), headers=KEY_A) as client:
        async with client.stream("POST", URL, json=STREAM), client.stream("POST", URL, json=STREAM):
            assert (await client.post(URL, json=chat_body())).status_code == 429
        results = await asyncio.gather(*(client.post(URL, json=STREAM) for _ in range(6)))
    assert all(r.status_code in (200, 429) for r in results)
    assert emulator.in_flight.max_seen <= 2 and emulator.in_flight.total == 0


def test_the_core_client_sees_a_rate_limit_error() -> None:
    emulator = Emulator(max_in_flight_per_key=1, in_flight_retry_after=7)
    with (
        httpx.Client(transport=emulator.transport(), headers=KEY_A) as held,
        held.stream("POST", URL, json=STREAM),
        DeepSeekClient(api_key="sk-key-a", transport=emulator.transport(), max_retries=0) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.status_code == 429
    assert "sk-key-a" not in repr(emulator.in_flight)


def test_loopback_streams_hold_their_slot_until_the_client_leaves() -> None:
    emulator = Emulator(max_in_flight_per_key=2)
    # Streams that go silent after their first event stay in flight until the client leaves.
    emulator.faults.stall_stream(after_events=1, times=2)
    with EmulatorServer(emulator) as server, ExitStack() as stack:
        held: list[tuple[httpx.Client, httpx.Response, Iterator[str]]] = []
        for _ in range(2):
            client = stack.enter_context(
                httpx.Client(base_url=server.base_url, headers=KEY_A, timeout=30)
            )
            response = stack.enter_context(client.stream("POST", "/chat/completions", json=STREAM))
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(lines).startswith("data: {")
            held.append((client, response, lines))
        with httpx.Client(base_url=server.base_url, headers=KEY_A) as probe:
            refused = probe.post("/chat/completions", json=chat_body())
            assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
            first_client, first_response, _ = held.pop(0)
            first_response.close()
            first_client.close()
            eventually(lambda: emulator.in_flight.current("sk-key-a") == 1)
            assert probe.post("/chat/completions", json=chat_body()).status_code == 200
    assert emulator.in_flight.rejected == 1 and emulator.in_flight.max_seen == 2


def test_loopback_cap_under_real_concurrency() -> None:
    cap, workers, per_worker = 3, 12, 4
    emulator = Emulator(max_in_flight_per_key=cap, record_requests=False)
    # Every stream takes a little while, so the workers overlap.
    emulator.faults.latency(0.0, per_event=0.002, times=workers * per_worker)
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def work() -> None:
        with httpx.Client(base_url=server.base_url, headers=KEY_A, timeout=30) as client:
            start.wait()
            for _ in range(per_worker):
                response = client.post("/chat/completions", json=STREAM)
                if response.status_code == 200:
                    assert response.text.endswith("data: [DONE]\n\n")
                with lock:
                    statuses.append(response.status_code)

    with EmulatorServer(emulator) as server:
        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        eventually(lambda: emulator.in_flight.total == 0)
    assert len(statuses) == workers * per_worker
    assert set(statuses) <= {200, 429}
    assert emulator.in_flight.max_seen <= cap
    assert emulator.in_flight.rejected == statuses.count(429)


def test_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Emulator(max_in_flight_per_key=0)


def test_loopback_stream_abandoned_mid_way_frees_its_slot() -> None:
    emulator = Emulator(max_in_flight_per_key=1)
    # Slow events, so the client leaves while the server is still sending.
    emulator.faults.latency(0.0, per_event=0.05)
    with EmulatorServer(emulator) as server:
        with (
            httpx.Client(base_url=server.base_url, headers=KEY_A, timeout=30) as client,
            client.stream("POST", "/chat/completions", json=STREAM) as response,
        ):
            lines = response.iter_lines()
            assert next(lines).startswith("data: {")
            assert emulator.in_flight.current("sk-key-a") == 1
        eventually(lambda: emulator.in_flight.total == 0)
        with httpx.Client(base_url=server.base_url, headers=KEY_A) as client:
            assert client.post("/chat/completions", json=chat_body()).status_code == 200
    assert emulator.in_flight.rejected == 0
