"""The async client in a running event loop: waits are awaited and never block the loop."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from deepseekapi_core import (
    APIConnectionError,
    AsyncDeepSeekClient,
    RateLimitError,
    RetryPolicy,
    StreamInterruptedError,
)

from .helpers import (
    API_KEY,
    BASE_URL,
    HELLO,
    USAGE,
    AsyncSleepRecorder,
    Script,
    chunk,
    completion,
    ok,
    sse,
    status,
    stream_response,
)


def client_for(script: Script, **kwargs: object) -> AsyncDeepSeekClient:
    return AsyncDeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, transport=httpx.MockTransport(script), **kwargs
    )


async def test_retries_await_the_async_sleep() -> None:
    sleep = AsyncSleepRecorder()
    script = Script([status(429, "", {"Retry-After": "2"}), status(500), ok()])
    async with client_for(
        script, sleep=sleep, retry_policy=RetryPolicy(jitter=lambda: 0.0)
    ) as client:
        reply = await client.chat(model="deepseek-chat", messages=HELLO)
    assert reply.message.content == "Hi there"
    assert sleep.waits == [2.0, 1.0]
    assert sleep.awaited == 2  # each wait was awaited to completion


async def test_waiting_lets_other_tasks_run() -> None:
    """While one request waits to retry, another task runs; then the wait ends."""
    gate = asyncio.Event()
    order: list[str] = []

    async def sleep(seconds: float) -> None:
        order.append(f"sleep {seconds}")
        await gate.wait()  # a blocking client would deadlock here
        order.append("woke")

    async def other_task() -> None:
        order.append("other task ran")
        gate.set()

    script = Script([status(503), ok()])
    client = client_for(script, sleep=sleep, retry_policy=RetryPolicy(jitter=lambda: 0.0))
    reply, _ = await asyncio.wait_for(
        asyncio.gather(client.chat(model="deepseek-chat", messages=HELLO), other_task()), timeout=5
    )
    assert reply.message.content == "Hi there"
    assert order == ["sleep 0.5", "other task ran", "woke"]
    assert len(script.requests) == 2


async def test_default_sleep_yields_to_the_loop() -> None:
    """With the default (asyncio.sleep), a concurrent task advances between attempts."""
    ticks = 0
    seen_at_attempt: list[int] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    def handler(request: httpx.Request) -> httpx.Response:
        seen_at_attempt.append(ticks)
        return status(503) if len(seen_at_attempt) < 3 else ok()

    policy = RetryPolicy(initial_delay=0.0, max_delay=0.0)
    client = AsyncDeepSeekClient(
        api_key=API_KEY, transport=httpx.MockTransport(handler), retry_policy=policy
    )
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    await client.chat(model="deepseek-chat", messages=HELLO)
    stop.set()
    await task
    assert len(seen_at_attempt) == 3
    assert seen_at_attempt[0] < seen_at_attempt[1] < seen_at_attempt[2]


async def test_stream_in_running_loop() -> None:
    body = sse(
        chunk(role="assistant", content=None, reasoning=""),
        chunk(content=None, reasoning="hmm"),
        chunk(content="ok", reasoning=None),
        chunk(content="", finish_reason="stop", usage=USAGE),
    )
    sleep = AsyncSleepRecorder()
    script = Script([stream_response(b"", error=httpx.ReadError("reset")), stream_response(body)])
    async with client_for(script, sleep=sleep) as client:
        chunks = [c async for c in client.stream_chat(model="deepseek-reasoner", messages=HELLO)]
    assert "".join(c.delta.reasoning_content or "" for c in chunks if c.delta) == "hmm"
    assert "".join(c.delta.content or "" for c in chunks if c.delta) == "ok"
    assert len(sleep.waits) == 1 and sleep.awaited == 1


async def test_stream_interrupted_in_running_loop() -> None:
    body = sse(chunk(content="par"), chunk(content="tial"), done=False)
    script = Script([stream_response(body, error=httpx.ReadError("reset"))])
    seen = []
    async with client_for(script, sleep=AsyncSleepRecorder()) as client:
        with pytest.raises(StreamInterruptedError) as caught:
            async for item in client.stream_chat(model="deepseek-chat", messages=HELLO):
                seen.append(item.delta.content)
    assert seen == ["par", "tial"]
    assert caught.value.partial_content == "partial"
    assert len(script.requests) == 1


async def test_errors_in_running_loop() -> None:
    sleep = AsyncSleepRecorder()
    script = Script([httpx.ConnectError("refused")] * 3)
    async with client_for(script, sleep=sleep) as client:
        with pytest.raises(APIConnectionError):
            await client.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 3 and sleep.awaited == 2

    script = Script([status(429, "", {"Retry-After": "600"})])
    async with client_for(script, sleep=sleep) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.chat(model="deepseek-chat", messages=HELLO)
    assert caught.value.retry_after == 600 and sleep.awaited == 2


async def test_concurrent_requests_share_one_client() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        content = request.read().decode()
        return httpx.Response(200, json=completion(content=str(len(content))))

    client = AsyncDeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(handler))
    replies = await asyncio.gather(
        *(
            client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "x" * n}])
            for n in range(20)
        )
    )
    lengths = [int(reply.message.content) for reply in replies]
    assert lengths == sorted(lengths) and len(set(lengths)) == 20
    await client.aclose()


async def test_list_models_async() -> None:
    script = Script(
        [
            status(503),
            httpx.Response(
                200,
                json={
                    "object": "list",
                    "data": [{"id": "deepseek-v4-pro", "object": "model", "owned_by": "deepseek"}],
                },
            ),
        ]
    )
    sleep = AsyncSleepRecorder()
    async with client_for(script, sleep=sleep) as client:
        models = await client.list_models()
    assert [m.id for m in models] == ["deepseek-v4-pro"]
    assert sleep.awaited == 1
