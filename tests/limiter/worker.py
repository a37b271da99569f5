"""A worker process of the fleet tests and the scaling benchmark (run as a module).

``run``: send ``--requests`` chat requests at once through one async client, after a ``go`` line
on stdin (so the parent starts every worker's clock together); print one JSON line of results.
``hold``: take ``--slots`` slots of a Redis limiter, print ``held``, and wait to be killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekAPIError, RetryPolicy
from deepseekapi_core.limiter import AccountGate, ConcurrencyLimiter, RedisLimiter

API_KEY = "sk-fleet-3b5d7f9b1d3a5c7e"


def _limiter(options: argparse.Namespace) -> ConcurrencyLimiter | str:
    if options.redis:
        return RedisLimiter(options.redis, lease_seconds=options.lease)
    return "off"


async def _run(options: argparse.Namespace) -> dict[str, object]:
    client = AsyncDeepSeekClient(
        api_key=API_KEY,
        base_url=options.base_url,
        limiter=_limiter(options),  # type: ignore[arg-type]
        max_concurrency=options.cap if options.redis else None,
        retry_policy=RetryPolicy(max_retries=options.retries),
    )

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

    await client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "warm up"}])
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(one(index) for index in range(options.requests)))
    elapsed = time.perf_counter() - started
    await client.aclose()
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
    parser.add_argument("--retries", type=int, default=0)
    options = parser.parse_args()
    if options.action == "hold":
        _hold(options)
    else:
        print(json.dumps(asyncio.run(_run(options))), flush=True)


if __name__ == "__main__":
    main()
