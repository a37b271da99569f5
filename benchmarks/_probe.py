"""Fresh-process probes, run by ``run.py`` in a new interpreter each time.

``python _probe.py import FRAMEWORK_MODULE FRAMEWORK_CLASS TARGET_MODULE ATTRIBUTE``
    prints ``[module_seconds, class_seconds, added_seconds]``: the framework's module, then its
    base class (``langchain_core.language_models`` loads its classes lazily, on first access),
    then what importing the library and getting its class adds on top. ``-`` skips a step.
``python _probe.py memory KEY BASE_URL``
    imports one library, builds it, makes one non-streaming call and prints the peak resident
    set size in KiB: ``VmHWM`` of this process image (``ru_maxrss`` would also count the
    parent's peak, which Linux carries across ``fork``/``exec``). ``KEY`` ``python`` makes no
    call: the interpreter's own floor.
``python _probe.py concurrency KEY BASE_URL CALLS LIMIT WARMUP``
    in one event loop: a warm-up run of ``WARMUP`` calls, then one timed run of ``CALLS``
    concurrent async calls (at most ``LIMIT`` in flight; 0 for all at once) through one library,
    while a ticker task sleeping 1 ms records its worst lateness.
    Prints ``[wall_seconds, worst_stall_seconds]``.
    Each library runs in its own process, so its heap (and its garbage collections) are its own.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import resource
import sys
import time


def probe_import(framework: str, base_class: str, target: str, attribute: str) -> list[float]:
    start = time.perf_counter()
    if framework != "-":
        base = importlib.import_module(framework)
    loaded = time.perf_counter()
    if base_class != "-":
        getattr(base, base_class)
    middle = time.perf_counter()
    module = importlib.import_module(target)
    if attribute != "-":
        getattr(module, attribute)
    end = time.perf_counter()
    return [loaded - start, middle - loaded, end - middle]


def probe_memory(key: str, base_url: str) -> int:
    if key != "python":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from _libs import DRIVERS

        driver = DRIVERS[key]()
        driver.setup(base_url)
        driver.chat()
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _concurrent_run(driver: object, calls: int, limit: int) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    stop = False

    async def ticker() -> float:
        interval = 0.001
        worst = 0.0
        expected = loop.time() + interval
        while not stop:
            await asyncio.sleep(interval)
            now = loop.time()
            worst = max(worst, now - expected)
            expected = now + interval
        return worst

    gate = asyncio.Semaphore(limit or calls)

    async def call() -> str:
        async with gate:
            return await driver.achat()  # type: ignore[attr-defined,no-any-return]

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    answers = await asyncio.gather(*(call() for _ in range(calls)))
    wall = time.perf_counter() - start
    stop = True
    worst = await task
    if len(answers) != calls or not all(answers):
        raise SystemExit(f"concurrent calls returned {answers[:1]!r}")
    return wall, worst


def probe_concurrency(key: str, base_url: str, calls: str, limit: str, warmup: str) -> list[float]:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _libs import DRIVERS

    async def go() -> tuple[float, float]:
        driver = DRIVERS[key]()
        await driver.asetup(base_url)
        try:
            await _concurrent_run(driver, int(warmup), int(limit))  # pools grow, code warms
            return await _concurrent_run(driver, int(calls), int(limit))
        finally:
            await driver.aclose()

    return list(asyncio.run(go()))


def main() -> None:
    mode, *args = sys.argv[1:]
    if mode == "import":
        print(json.dumps(probe_import(*args)))
    elif mode == "memory":
        print(json.dumps(probe_memory(*args)))
    elif mode == "concurrency":
        print(json.dumps(probe_concurrency(*args)))
    else:
        raise SystemExit(f"unknown probe {mode!r}")


if __name__ == "__main__":
    main()
