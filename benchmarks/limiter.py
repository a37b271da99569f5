"""What the concurrency limiter costs per request, and what it buys a fleet of processes.

    python benchmarks/limiter.py                 # the full report (about a minute on 2 cores)
    python benchmarks/limiter.py --quick         # a short one
    python benchmarks/limiter.py --redis redis://127.0.0.1:6379/0   # an existing Redis

Starts its own ``redis-server`` on a free loopback port unless ``--redis`` is given (Debian:
``apt-get install redis-server``). Three parts, printed as Markdown and written to
``benchmarks/results/limiter.json``:

* cost: the limiter's take-and-give-back per request (uncontended; in-process and Redis, sync
  and async), next to one chat round trip through the same client on the loopback emulator;
* fleet: 8 worker processes send their requests at once against the emulator with a per-key cap
  of 20 in flight (429 above it): with the Redis limiter and without it, the 429s, the wall time,
  the ideal (total work / cap) and the machine's floor (the same requests with no cap at all);
* reclaim: a worker holding slots is killed with SIGKILL; how long until Redis has them back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient  # noqa: E402
from deepseekapi_core.accounting._limiter import (  # noqa: E402
    AccountGate,
    ConcurrencyLimiter,
    InProcessLimiter,
    RedisLimiter,
    account_id,
)
from deepseekapi_core.testing import Emulator, EmulatorServer  # noqa: E402
from tests.limiter.capped_server import CappedServer  # noqa: E402
from tests.limiter.conftest import RedisServer, free_port  # noqa: E402
from tests.limiter.fleet import Fleet, FleetResult, start_holder  # noqa: E402

KEY = "sk-bench-limiter-0000"
HELLO = [{"role": "user", "content": "Hello"}]


def _per_request_us(limiter: ConcurrencyLimiter, rounds: int) -> tuple[float, float]:
    """Microseconds per take-and-give-back of one slot: sync, then async."""
    gate = AccountGate(limiter, 100, base_url="http://bench/v1", api_key=SecretStr(KEY))
    started = time.perf_counter()
    for _ in range(rounds):
        ticket = gate.ticket("deepseek-chat", time.sleep)
        ticket.acquire()
        ticket.release()
    sync_us = (time.perf_counter() - started) / rounds * 1e6

    async def cycle() -> float:
        begun = time.perf_counter()
        for _ in range(rounds):
            ticket = gate.ticket("deepseek-chat", asyncio.sleep)
            await ticket.aacquire()
            ticket.release()
        await asyncio.sleep(0.05)  # let the last releases (tasks of the loop) finish
        return (time.perf_counter() - begun - 0.05) / rounds * 1e6

    return sync_us, asyncio.run(cycle())


def _chat_us(base_url: str, limiter: Any, rounds: int) -> float:
    """Median microseconds of one chat round trip to the loopback emulator."""
    client = DeepSeekClient(api_key=KEY, base_url=base_url, limiter=limiter, max_concurrency=100)
    times = []
    for _ in range(rounds):
        begun = time.perf_counter()
        client.chat(model="deepseek-chat", messages=HELLO)
        times.append(time.perf_counter() - begun)
    client.close()
    return statistics.median(times) * 1e6


async def _achat_us(base_url: str, limiter: Any, rounds: int) -> float:
    client = AsyncDeepSeekClient(
        api_key=KEY, base_url=base_url, limiter=limiter, max_concurrency=100
    )
    times = []
    for _ in range(rounds):
        begun = time.perf_counter()
        await client.chat(model="deepseek-chat", messages=HELLO)
        times.append(time.perf_counter() - begun)
    await client.aclose()
    return statistics.median(times) * 1e6


def cost(redis_url: str, rounds: int) -> dict[str, Any]:
    """The limiter's own cost per request, and a loopback request's latency for scale."""
    results: dict[str, Any] = {}
    for name, limiter in (
        ("in-process", InProcessLimiter()),
        ("redis", RedisLimiter(redis_url, prefix="bench:")),
    ):
        _per_request_us(limiter, 50)  # warm up connections and scripts
        sync_us, async_us = _per_request_us(limiter, rounds)
        results[name] = {"sync_us": sync_us, "async_us": async_us}
    with EmulatorServer(Emulator(record_requests=False)) as server:
        calls = max(rounds // 10, 50)
        results["chat_sync_us"] = {
            name: _chat_us(server.base_url, limiter, calls)
            for name, limiter in (
                ("off", "off"),
                ("in-process", InProcessLimiter()),
                ("redis", RedisLimiter(redis_url, prefix="bench:")),
            )
        }
        results["chat_async_us"] = {
            name: asyncio.run(_achat_us(server.base_url, limiter, calls))
            for name, limiter in (
                ("off", "off"),
                ("in-process", InProcessLimiter()),
                ("redis", RedisLimiter(redis_url, prefix="bench:")),
            )
        }
    return results


def fleet(redis_url: str, workers: int, requests_each: int, latency: float) -> dict[str, Any]:
    """The fleet with the Redis limiter, without it, and the machine's floor (no cap)."""

    def summary(result: FleetResult) -> dict[str, Any]:
        return {
            "ok": result.ok,
            "answered_429": result.refused,
            "peak_in_flight": result.peak,
            "seconds": round(result.seconds, 3),
            "ideal_seconds": round(result.ideal_seconds, 3),
            "ratio_to_ideal": round(result.ratio, 3),
        }

    cap = 20
    with (
        CappedServer(cap=cap, latency=latency, retry_after=0.5) as server,
        Fleet(
            server, workers=workers, requests_each=requests_each, cap=cap, redis_url=redis_url
        ) as fleet,
    ):
        limited = fleet.run(limited=True)
        unlimited = fleet.run(limited=False)
        retried = fleet.run(limited=False, retries=2)
    with (
        CappedServer(cap=10**6, latency=0.0) as free,
        Fleet(free, workers=workers, requests_each=requests_each, cap=cap) as fleet,
    ):
        floor = fleet.run(limited=False)
    return {
        "workers": workers,
        "requests_each": requests_each,
        "cap": cap,
        "latency_s": latency,
        "redis_limiter": summary(limited),
        "no_limiter": summary(unlimited),
        "no_limiter_2_retries": summary(retried),
        "floor_seconds_no_cap_no_latency": round(floor.seconds, 3),
    }


def reclaim(redis_url: str, lease: float) -> dict[str, Any]:
    """Kill a worker that holds 5 slots; time until they are free in Redis."""
    base_url = "http://reclaim.bench/v1"
    worker = start_holder(base_url, redis_url, slots=5, cap=10, lease=lease)
    limiter = RedisLimiter(redis_url, lease_seconds=lease)
    account = account_id(base_url, None)
    time.sleep(lease * 2)
    held_after_two_leases = limiter.in_flight(account)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed = time.monotonic()
    while limiter.in_flight(account) and time.monotonic() - killed < 60:
        time.sleep(0.005)
    return {
        "lease_seconds": lease,
        "held_while_alive_after_2_leases": held_after_two_leases,
        "reclaimed_after_seconds": round(time.monotonic() - killed, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="", help="an existing Redis URL (else one is started)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--requests", type=int, default=0, help="per worker (default 200)")
    parser.add_argument("--latency", type=float, default=0.1, help="per request, seconds")
    options = parser.parse_args()
    server = None
    redis_url = options.redis
    if not redis_url:
        server = RedisServer(port=free_port())
        server.start()
        redis_url = server.url
    try:
        requests_each = options.requests or (50 if options.quick else 200)
        report = {
            "machine": {"cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0]},
            "cost": cost(redis_url, 500 if options.quick else 3000),
            "fleet": fleet(redis_url, options.workers, requests_each, options.latency),
            "reclaim": [reclaim(redis_url, lease) for lease in (0.5, 2.0)],
        }
        report["machine"]["load_average_after"] = os.getloadavg()[0]
    finally:
        if server is not None:
            server.stop()
    out = HERE / "results" / "limiter.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(_markdown(report))
    print(f"\nwritten to {out.relative_to(ROOT)}")


def _markdown(report: dict[str, Any]) -> str:
    cost_ = report["cost"]
    fleet_ = report["fleet"]
    machine = report["machine"]
    lines = [
        f"machine: {machine['cpus']} CPUs, load average "
        f"{machine['load_average_1m']:.1f} -> {machine['load_average_after']:.1f}",
        "",
        "| limiter cost per request (uncontended) | sync | async |",
        "|---|---|---|",
    ]
    for name in ("in-process", "redis"):
        lines.append(
            f"| {name} | {cost_[name]['sync_us']:.1f} us | {cost_[name]['async_us']:.1f} us |"
        )
    lines += ["", "| chat round trip, loopback emulator (median) | off | in-process | redis |"]
    lines.append("|---|---|---|---|")
    for kind in ("chat_sync_us", "chat_async_us"):
        row = cost_[kind]
        lines.append(
            f"| {kind.split('_')[1]} | {row['off']:.0f} us | {row['in-process']:.0f} us | "
            f"{row['redis']:.0f} us |"
        )
    lines += [
        "",
        f"fleet: {fleet_['workers']} processes x {fleet_['requests_each']} requests at once, "
        f"cap {fleet_['cap']} in flight, {fleet_['latency_s'] * 1000:.0f} ms per request; "
        f"floor (no cap, no latency): {fleet_['floor_seconds_no_cap_no_latency']:.2f} s",
        "",
        "| run | answered 429 | replies | peak in flight | wall | ideal | wall / ideal |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("redis_limiter", "no_limiter", "no_limiter_2_retries"):
        row = fleet_[name]
        lines.append(
            f"| {name.replace('_', ' ')} | {row['answered_429']} | {row['ok']} | "
            f"{row['peak_in_flight']} | {row['seconds']:.2f} s | {row['ideal_seconds']:.2f} s | "
            f"{row['ratio_to_ideal']:.2f}x |"
        )
    lines += ["", "| lease | held while alive (after 2 leases) | back after SIGKILL |"]
    lines.append("|---|---|---|")
    for row in report["reclaim"]:
        lines.append(
            f"| {row['lease_seconds']} s | {row['held_while_alive_after_2_leases']} of 5 | "
            f"{row['reclaimed_after_seconds']:.2f} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
