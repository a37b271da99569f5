"""Load: many concurrent async requests through the core and each adapter, against the emulator
on loopback, with a fifth of them answered 429 or 503 first.

Checks: every request completes; every answer arrives exactly once and intact (each echoes its
own nonce); each faulted request's retry came no sooner than the wait it was asked for (the
emulator's arrival times per request); the event loop stays responsive (a ticker measures the
worst stall). The CI size is 200 requests per target; ``RELIABILITY_FULL=1`` runs 1,000
(``RELIABILITY_LOAD_SIZE=N`` any size).
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import FIGURES
from .harness import API_KEY, ARRIVALS_PATH, FAULT_KINDS, MODEL, TARGETS, expected_reply

FULL_SIZE = 1000
CI_SIZE = 200
FAULTED_SHARE = 0.2
TIME_LIMIT = 120.0
"""Seconds the whole run of one target may take before it counts as hung."""
# The stall figures are measured and reported (docs/reliability.md), not held to a speed target:
# timings on a shared 2-core machine are noisy, and speed is the benchmarks' job. The bounds
# below only catch a loop that is blocked outright (a synchronous wait, a busy loop), an order
# of magnitude above the figures seen (CI size: 0.1-0.4 s; full size: 1.3-1.7 s). That the
# clients never block the loop while waiting is proven deterministically in tests/core.
MAX_STALL = 5.0
"""The worst event-loop stall tolerated at the CI size (seconds)."""
MAX_STALL_FULL = 15.0
"""The same at full size. With 1,000 requests in flight, httpcore's pool bookkeeping (each
request assignment walks every connection and every queued request) and the launch of 1,000
tasks at once fill single loop iterations for up to about two seconds; no single step blocks."""
MAX_STEP = 2.0
"""The longest any single callback or task step may run on the client's loop (seconds; seen:
21-120 ms). The longest steps at full size are the interpreter's generation-2 garbage
collections (some 100-300 ms with 1,000 requests' objects alive), measured apart as
``worst_gc_pause``."""
TICK = 0.005
BACKOFF_FLOOR = 0.375
"""The shortest client-chosen backoff (0.5 s less 25 % jitter)."""


def load_size() -> int:
    if os.environ.get("RELIABILITY_LOAD_SIZE"):
        return int(os.environ["RELIABILITY_LOAD_SIZE"])
    return FULL_SIZE if os.environ.get("RELIABILITY_FULL") == "1" else CI_SIZE


@dataclass
class LoadResult:
    target: str
    requests: int
    faulted: int
    completed: int = 0
    seconds: float = 0.0
    worst_stall: float = 0.0
    worst_step: float = 0.0
    worst_gc_pause: float = 0.0
    worst_step_without_gc: float = 0.0
    tightest_margin: float = float("inf")
    """The least time, beyond the asked wait, between a faulted attempt and its retry."""
    problems: list[str] = field(default_factory=list)


class Ticker:
    """Measures how late the event loop runs a task that asks to wake every ``TICK`` s, and the
    longest single callback (task step) the loop ran meanwhile, in this thread."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_step = 0.0
        self.worst_gc_pause = 0.0
        self.worst_step_without_gc = 0.0
        self._gc_started = 0.0
        self._gc_total = 0.0
        self._task: asyncio.Task[None] | None = None
        self._original = asyncio.events.Handle._run

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, loop.time() - before - TICK)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            pause = time.perf_counter() - self._gc_started
            self._gc_total += pause
            self.worst_gc_pause = max(self.worst_gc_pause, pause)

    def __enter__(self) -> Ticker:
        original = self._original
        thread = threading.get_ident()
        ticker = self

        def timed_run(handle: asyncio.Handle) -> None:
            if threading.get_ident() != thread:
                return original(handle)
            started = time.perf_counter()
            collected = ticker._gc_total
            try:
                return original(handle)
            finally:
                step = time.perf_counter() - started
                ticker.worst_step = max(ticker.worst_step, step)
                ticker.worst_step_without_gc = max(
                    ticker.worst_step_without_gc, step - (ticker._gc_total - collected)
                )

        asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]
        gc.callbacks.append(self._gc)
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
        gc.callbacks.remove(self._gc)
        assert self._task is not None
        self._task.cancel()


def _client(target: str, base_url: str) -> Any:
    if target == "core":
        from deepseekapi_core import AsyncDeepSeekClient

        return AsyncDeepSeekClient(api_key=API_KEY, base_url=base_url, timeout=60)
    if target == "langchain":
        from langchain_deepseekapi import ChatDeepSeekAPI

        return ChatDeepSeekAPI(model=MODEL, api_key=API_KEY, base_url=base_url, timeout=60)
    from llama_index_deepseekapi import DeepSeekAPI

    return DeepSeekAPI(MODEL, api_key=API_KEY, base_url=base_url, timeout=60)


async def _ask(target: str, client: Any, prompt: str, stream: bool) -> str:
    if target == "core":
        messages = [{"role": "user", "content": prompt}]
        if not stream:
            return (await client.chat(model=MODEL, messages=messages)).message.content or ""
        parts = []
        async for chunk in client.stream_chat(model=MODEL, messages=messages):
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)
    if target == "langchain":
        if not stream:
            return str((await client.ainvoke(prompt)).content)
        return "".join([str(piece.content) async for piece in client.astream(prompt)])
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content=prompt)]
    if not stream:
        return (await client.achat(messages)).message.content or ""
    return "".join([r.delta or "" async for r in await client.astream_chat(messages)])


async def run_load(target: str, size: int, base_url: str) -> LoadResult:
    """Send ``size`` concurrent requests through ``target`` to the timed emulator at
    ``base_url``; check and measure them."""
    tag = secrets.token_hex(3)
    every = round(1 / FAULTED_SHARE)
    prompts: dict[str, int] = {}
    asked: dict[str, float] = {}
    for index in range(size):
        kind = (index // every) % len(FAULT_KINDS) + 1 if index % every == 0 else 0
        nonce = f"nonce-{target[:2]}{tag}{index:05d}k{kind}"
        prompts[nonce] = index
        if kind:
            wait = FAULT_KINDS[kind - 1][2]
            asked[nonce] = BACKOFF_FLOOR if wait is None else wait
    result = LoadResult(target, size, len(asked))
    client = _client(target, base_url)
    # Earlier tests' objects (hypothesis, the fault matrix) would lengthen every full
    # collection during the run: set them aside, so the pauses measured are this load's.
    gc.collect()
    gc.freeze()
    answers: dict[str, list[str]] = {nonce: [] for nonce in prompts}

    async def one(nonce: str, index: int) -> None:
        prompt = f"Request {nonce} of the load test"
        answers[nonce].append(await _ask(target, client, prompt, stream=index % 2 == 1))

    started = time.monotonic()
    with Ticker() as ticker:
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(one(n, i) for n, i in prompts.items()), return_exceptions=True),
            TIME_LIMIT,
        )
    result.seconds = time.monotonic() - started
    gc.unfreeze()
    result.worst_stall = ticker.worst
    result.worst_step = ticker.worst_step
    result.worst_gc_pause = ticker.worst_gc_pause
    result.worst_step_without_gc = ticker.worst_step_without_gc
    if target in ("core", "llama_index"):
        await client.aclose()

    import httpx

    async with httpx.AsyncClient() as http:
        root = base_url.removesuffix("/v1")
        all_arrivals = (await http.get(root + ARRIVALS_PATH)).json()

    failures = [o for o in outcomes if isinstance(o, BaseException)]
    result.problems.extend(f"failed: {error!r}" for error in failures[:5])
    for nonce in prompts:
        want = expected_reply(f"Request {nonce} of the load test")
        got = answers[nonce]
        if len(got) != 1 or got[0] != want:
            result.problems.append(f"{nonce}: answers {got!r}")
            continue
        result.completed += 1
        arrivals = all_arrivals.get(nonce, [])
        attempts = 2 if nonce in asked else 1
        if len(arrivals) != attempts:
            result.problems.append(f"{nonce}: {len(arrivals)} attempts, not {attempts}")
        elif nonce in asked:
            margin = arrivals[1] - arrivals[0] - asked[nonce]
            result.tightest_margin = min(result.tightest_margin, margin)
            if margin < 0:
                result.problems.append(f"{nonce}: retried {-margin:.3f} s before asked")
    return result


@pytest.fixture(scope="module")
def load_server() -> Iterator[str]:
    """The timed emulator on loopback, in its own process (as a real service would be, so
    that its work does not compete with the client's event loop for the GIL)."""
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.harness"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), base_url
        yield base_url
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("target", TARGETS)
def test_load(target: str, load_server: str) -> None:
    size = load_size()
    result = asyncio.run(run_load(target, size, load_server))

    FIGURES["load"][target] = {
        "requests": result.requests,
        "faulted_first": result.faulted,
        "completed_once_and_intact": result.completed,
        "seconds": round(result.seconds, 2),
        "worst_loop_stall_ms": round(result.worst_stall * 1000, 1),
        "longest_loop_step_ms": round(result.worst_step * 1000, 1),
        "longest_gc_pause_ms": round(result.worst_gc_pause * 1000, 1),
        "longest_loop_step_without_gc_ms": round(result.worst_step_without_gc * 1000, 1),
        "tightest_retry_margin_ms": round(result.tightest_margin * 1000, 1),
    }
    assert result.problems == [], result.problems[:10]
    assert result.completed == size
    assert result.faulted == size // round(1 / FAULTED_SHARE) + (size % 5 > 0)
    assert result.tightest_margin >= 0
    limit = MAX_STALL if size <= CI_SIZE else MAX_STALL_FULL
    assert result.worst_stall < limit, f"event loop stalled {result.worst_stall:.3f} s"
    assert result.worst_step_without_gc < MAX_STEP, (
        f"one loop step ran {result.worst_step_without_gc:.3f} s (garbage collection aside)"
    )
