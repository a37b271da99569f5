"""A worker process of the fleet tests and the scaling benchmark (run as a module).

``run``: build an async client with the Redis limiter and one without, print ``ready``, then for
each line ``<redis|off> <retries>`` on stdin send ``--requests`` chat requests at once through
that client and print one JSON line of results (the parent writes the line to every worker
together, so their clocks start together). The workers are reused across phases.
``hold``: take ``--slots`` slots of a Redis limiter, print ``held``, and wait to be killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekAPIError, RetryPolicy
from deepseekapi_core.accounting._limiter import AccountGate, RedisLimiter

API_KEY = "sk-fleet-3b5d7f9b1d3a5c7e"


async def _serve(options: argparse.Namespace) -> None:
    """Build both clients, warm them up, then run one phase per command line on stdin."""
    clients = {
        "redis": AsyncDeepSeekClient(
            api_key=API_KEY,
            base_url=options.base_url,
            limiter=RedisLimiter(options.redis, lease_seconds=options.lease),
            max_concurrency=options.cap,
        )
        if options.redis
        else None,
        "off": AsyncDeepSeekClient(api_key=API_KEY, base_url=options.base_url, limiter="off"),
    }
    for client in clients.values():
        if client is not None:
            await client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        command = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not command:
            break
        mode, retries = command[0], int(command[1])
        client = clients[mode]
        assert client is not None, "the redis phase needs --redis"
        result = await _phase(client, options.requests, retries)
        print(json.dumps(result), flush=True)


async def _phase(client: AsyncDeepSeekClient, requests: int, retries: int) -> dict[str, object]:
    """``requests`` chat requests at once; each reply checked against its own prompt."""
    client.retry_policy = RetryPolicy(max_retries=retries)

    async def one(index: int) -> str:
        try:
            reply = await client.chat(
                model="deepseek-chat",
                messages=[{"role": "user", "content": f"Summarise document {index}"}],
            )
        except DeepSeekAPIError as error:
            return f"error {error.status_code}: {type(error).__name__}"
        text = reply.message.content or ""
        return "ok" if f'"Summarise document {index}"' in text else f"wrong reply: {text[:80]}"

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(one(index) for index in range(requests)))
    elapsed = time.perf_counter() - started
    errors = [outcome for outcome in outcomes if outcome != "ok"]
    return {"ok": len(outcomes) - len(errors), "errors": errors[:5], "seconds": elapsed}


def _hold(options: argparse.Namespace) -> None:
    limiter = RedisLimiter(options.redis, lease_seconds=options.lease)
    gate = AccountGate(limiter, options.cap, base_url=options.base_url, api_key=None)
    tickets = [gate.ticket("deepseek-chat", time.sleep) for _ in range(options.slots)]
    for ticket in tickets:
        ticket.acquire()
    print("held", flush=True)
    while True:
        time.sleep(60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["run", "hold"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--redis", default="")
    parser.add_argument("--cap", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--slots", type=int, default=3)
    parser.add_argument("--lease", type=float, default=2.0)
    options = parser.parse_args()
    if options.action == "hold":
        _hold(options)
    else:
        asyncio.run(_serve(options))


if __name__ == "__main__":
    main()
