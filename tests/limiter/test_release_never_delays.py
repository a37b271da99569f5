"""Issue 23 point 3, client part: a reply that has arrived is never held back by a slow
limiter release (Redis clients paused by ``CLIENT PAUSE`` while the slot is given back)."""

from __future__ import annotations

import time

import httpx
import redis

from deepseekapi_core import DeepSeekClient
from deepseekapi_core.accounting import RedisLimiter

from .conftest import RedisServer

KEY = "sk-test-release-never-delays"
HELLO = [{"role": "user", "content": "Hello"}]
REPLY = {
    "id": "x",
    "object": "chat.completion",
    "created": 1,
    "model": "deepseek-chat",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
}


def _freeze(url: str, seconds: float) -> None:
    redis.Redis.from_url(url).execute_command("CLIENT", "PAUSE", int(seconds * 1000), "ALL")


def _ok_body() -> bytes:
    import json

    return json.dumps(REPLY).encode()


def test_a_slow_release_does_not_delay_the_reply(redis_server: RedisServer) -> None:
    limiter = RedisLimiter(redis_server.url, max_concurrency=4)

    def handler(request: httpx.Request) -> httpx.Response:
        _freeze(redis_server.url, 1.5)  # Redis answers no one when we give the slot back
        return httpx.Response(200, content=_ok_body())

    client = DeepSeekClient(
        api_key=KEY,
        base_url="https://api.test.invalid/v1",
        transport=httpx.MockTransport(handler),
        limiter=limiter,
    )
    started = time.monotonic()
    reply = client.chat(model="deepseek-chat", messages=HELLO)
    elapsed = time.monotonic() - started
    # Before: about 1.5 s (the reply waited for Redis to answer the give-back).
    assert reply.choices[0].message.content == "hi"
    assert elapsed < 0.9, elapsed
    deadline = time.monotonic() + 5
    while client.limits.in_flight("deepseek-chat") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.limits.in_flight("deepseek-chat") == 0  # given back all the same


def test_a_slow_release_does_not_delay_an_async_reply(redis_server: RedisServer) -> None:
    import asyncio

    from deepseekapi_core import AsyncDeepSeekClient

    limiter = RedisLimiter(redis_server.url, max_concurrency=4)

    def handler(request: httpx.Request) -> httpx.Response:
        _freeze(redis_server.url, 1.5)
        return httpx.Response(200, content=_ok_body())

    async def run() -> float:
        client = AsyncDeepSeekClient(
            api_key=KEY,
            base_url="https://api.test.invalid/v1",
            transport=httpx.MockTransport(handler),
            limiter=limiter,
        )
        started = time.monotonic()
        reply = await client.chat(model="deepseek-chat", messages=HELLO)
        assert reply.choices[0].message.content == "hi"
        return time.monotonic() - started

    assert asyncio.run(run()) < 0.9
