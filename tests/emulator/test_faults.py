"""Fault injection: statuses with Retry-After, latency, drops, cut streams, broken bodies."""

from __future__ import annotations

import time

import httpx
import pytest

from deepseekapi_core import (
    APIConnectionError,
    DeepSeekClient,
    InternalServerError,
    RateLimitError,
    StreamInterruptedError,
)
from deepseekapi_core.http import APIStreamError
from deepseekapi_core.testing import Emulator, FaultKind

from .conftest import chat_body, sse_payloads

URL = "https://x/v1/chat/completions"


def test_status_fault_with_retry_after_applies_n_times(
    http: httpx.Client, emulator: Emulator
) -> None:
    rule = emulator.faults.status(429, retry_after=2, retry_after_ms=1500, times=2)
    first = http.post(URL, json=chat_body())
    second = http.post(URL, json=chat_body())
    third = http.post(URL, json=chat_body())
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["retry-after"] == "2" and first.headers["retry-after-ms"] == "1500"
    assert first.json()["error"]["message"] == "Rate Limit Reached"
    assert rule.hits == 2 and rule.exhausted and emulator.faults.injected == 2
    assert len(emulator.faults) == 0 and emulator.request_count == 3


def test_status_fault_with_http_date_and_custom_message(
    http: httpx.Client, emulator: Emulator
) -> None:
    emulator.faults.status(
        503, retry_after="Wed, 21 Oct 2037 07:28:00 GMT", message="Server Overloaded, try later"
    )
    response = http.post(URL, json=chat_body())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "Wed, 21 Oct 2037 07:28:00 GMT"
    assert response.json()["error"]["message"] == "Server Overloaded, try later"


def test_402_default_body_matches_the_service(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.status(402)
    error = http.post(URL, json=chat_body()).json()["error"]
    assert error == {
        "message": "Insufficient Balance",
        "type": "unknown_error",
        "param": None,
        "code": "invalid_request_error",
    }


def test_faults_apply_before_authentication(emulator: Emulator) -> None:
    emulator.faults.status(500)
    with httpx.Client(transport=emulator.transport()) as client:
        assert client.post(URL, json=chat_body()).status_code == 500
        assert client.post(URL, json=chat_body()).status_code == 401


def test_rate_is_seeded_and_repeatable() -> None:
    def run() -> list[int]:
        emulator = Emulator(seed=3)
        emulator.faults.status(500, rate=0.5)
        with httpx.Client(
            transport=emulator.transport(), headers={"Authorization": "Bearer k"}
        ) as client:
            return [client.post(URL, json=chat_body()).status_code for _ in range(40)]

    first, second = run(), run()
    assert first == second
    assert 8 < first.count(500) < 32 and 200 in first


def test_html_error_page(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.html_error()
    response = http.post(URL, json=chat_body())
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert "<h1>502 Bad Gateway</h1>" in response.text


def test_drop_connection_raises_like_a_dead_socket(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.drop_connection()
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(URL, json=chat_body())
    assert http.post(URL, json=chat_body()).status_code == 200


def test_latency_and_read_timeout(emulator: Emulator) -> None:
    emulator.faults.latency(0.05)
    with httpx.Client(
        transport=emulator.transport(), headers={"Authorization": "Bearer k"}
    ) as client:
        started = time.perf_counter()
        assert client.post(URL, json=chat_body()).status_code == 200
        assert time.perf_counter() - started >= 0.05
        emulator.faults.latency(5)
        started = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            client.post(URL, json=chat_body(), timeout=0.05)
        assert time.perf_counter() - started < 1


def test_per_event_latency_slows_streams(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.latency(0, per_event=0.01)
    started = time.perf_counter()
    with http.stream("POST", URL, json=chat_body(stream=True)) as response:
        frames = list(response.iter_bytes())
    assert len(frames) > 5
    assert time.perf_counter() - started >= 0.01 * (len(frames) - 1)


def test_cut_stream_after_n_events(http: httpx.Client, emulator: Emulator) -> None:
    rule = emulator.faults.cut_stream(after_events=3)
    http.post(URL, json=chat_body())  # not a stream: the rule waits
    assert rule.hits == 0
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        http.stream("POST", URL, json=chat_body(stream=True)) as response,
    ):
        for chunk in response.iter_bytes():
            received += chunk
    assert received.count(b"data: ") == 3 and b"[DONE]" not in received
    assert rule.hits == 1


async def test_cut_stream_async(emulator: Emulator) -> None:
    emulator.faults.cut_stream(after_events=2)
    async with httpx.AsyncClient(
        transport=emulator.transport(), headers={"Authorization": "Bearer k"}
    ) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            async with client.stream("POST", URL, json=chat_body(stream=True)) as response:
                async for _ in response.aiter_bytes():
                    pass


def test_error_object_inside_a_stream(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.stream_error(after_events=2, message="Server Error")
    response = http.post(URL, json=chat_body(stream=True))
    assert response.status_code == 200
    payloads = sse_payloads(response.text)
    assert len(payloads) == 3 and "[DONE]" not in payloads
    assert payloads[-1] == {
        "error": {
            "message": "Server Error",
            "type": "server_error",
            "param": None,
            "code": "server_error",
        }
    }


def test_malformed_bodies(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.malformed_body()
    response = http.post(URL, json=chat_body())
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    emulator.faults.malformed_body(after_events=1)
    text = http.post(URL, json=chat_body(stream=True)).text
    with pytest.raises(ValueError):
        sse_payloads(text)


def test_keep_alive_lines(http: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.keep_alive(2, times=2)
    plain = http.post(URL, json=chat_body())
    assert plain.content.startswith(b"\n\n{") and plain.json()["object"] == "chat.completion"
    stream = http.post(URL, json=chat_body(stream=True))
    assert stream.text.startswith(": keep-alive\n\n: keep-alive\n\ndata: ")


def test_rules_are_listed_and_cleared(emulator: Emulator) -> None:
    emulator.faults.status(500, times=3)
    emulator.faults.latency(0.1, rate=0.2)
    assert [rule.kind for rule in emulator.faults.rules] == [FaultKind.STATUS, FaultKind.LATENCY]
    emulator.faults.clear()
    assert len(emulator.faults) == 0


def test_fault_arguments_are_checked(emulator: Emulator) -> None:
    with pytest.raises(ValueError):
        emulator.faults.status(200)
    with pytest.raises(ValueError):
        emulator.faults.status(500, rate=1.5)
    with pytest.raises(ValueError):
        emulator.faults.latency(-1)


# -- what the core client sees -----------------------------------------------------------------


def client_for(emulator: Emulator, waits: list[float]) -> DeepSeekClient:
    return DeepSeekClient(api_key="sk-test", transport=emulator.transport(), sleep=waits.append)


def test_core_client_retries_with_retry_after(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=1, times=2)
    waits: list[float] = []
    with client_for(emulator, waits) as client:
        completion = client.chat(
            model="deepseek-chat", messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.message.content and emulator.request_count == 3
    assert waits == [1.0, 1.0]


def test_core_client_gives_up_after_three_attempts(emulator: Emulator) -> None:
    emulator.faults.status(500, times=5)
    waits: list[float] = []
    with client_for(emulator, waits) as client, pytest.raises(InternalServerError):
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert emulator.request_count == 3


def test_core_client_retries_a_dropped_connection(emulator: Emulator) -> None:
    emulator.faults.drop_connection(times=3)
    with client_for(emulator, []) as client, pytest.raises(APIConnectionError):
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert emulator.request_count == 3


def test_core_client_does_not_retry_long_retry_after(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=3600)
    with client_for(emulator, []) as client, pytest.raises(RateLimitError) as caught:
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.retry_after == 3600 and emulator.request_count == 1


def test_core_client_stream_cut_is_not_replayed(emulator: Emulator) -> None:
    emulator.faults.cut_stream(after_events=4)
    with client_for(emulator, []) as client, pytest.raises(StreamInterruptedError) as caught:
        for _ in client.stream_chat(
            model="deepseek-chat", messages=[{"role": "user", "content": "hello world"}]
        ):
            pass
    assert caught.value.partial_content.startswith("[emulated")
    assert emulator.request_count == 1


def test_core_client_stream_error_object(emulator: Emulator) -> None:
    emulator.faults.stream_error(after_events=2)
    with client_for(emulator, []) as client, pytest.raises(APIStreamError):
        list(
            client.stream_chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
        )
