"""The in-process limiter: slots and pauses in this process's memory.

Waiters queue first come, first served; a request that finds a free slot and no queue takes it
under one lock and builds nothing else (no event, no future), so an uncontended request pays
for little more than the lock.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ._slots import (
    NO_BOUNDS,
    Bounds,
    ConcurrencyLimiter,
    Lease,
    Pool,
    ReleasedOnce,
    pool_name,
    rebuild,
)


class _Waiter:
    __slots__ = ("capacity", "event", "future", "granted", "loop")

    def __init__(
        self,
        capacity: int,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.capacity = capacity
        self.granted = False
        self.loop = loop
        self.future = future
        self.event = threading.Event() if future is None else None

    def wake(self) -> bool:
        """Tell the waiter it holds a slot; False when its event loop is gone."""
        if self.event is not None:
            self.event.set()
            return True
        assert self.loop is not None and self.future is not None
        try:
            self.loop.call_soon_threadsafe(_resolve, self.future)
        except RuntimeError:
            return False
        return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Slots:
    __slots__ = ("in_flight", "waiters")

    def __init__(self) -> None:
        self.in_flight = 0
        self.waiters: collections.deque[_Waiter] = collections.deque()


class _LocalLease(ReleasedOnce):
    __slots__ = ("_key", "_limiter")

    def __init__(self, limiter: InProcessLimiter, key: tuple[str, str] | None) -> None:
        self._limiter = limiter
        self._key = key
        self._released = key is None

    def _give_back_slot(self) -> None:
        assert self._key is not None
        self._limiter._give_back(self._key)


class InProcessLimiter(ConcurrencyLimiter):
    """Slots and pauses in this process's memory, shared across threads and event loops.

    Waiters are served first come, first served. The clock is ``time.monotonic``.
    """

    def __init__(self, *, max_concurrency: int | None = None) -> None:
        super().__init__(max_concurrency=max_concurrency)
        # Re-entrant: a lease collected by the garbage collector gives its slot back from
        # whatever this thread was doing, possibly inside this lock.
        self._lock = threading.RLock()
        self._slots: dict[tuple[str, str], _Slots] = {}
        self._pauses: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"InProcessLimiter(max_concurrency={self.max_concurrency!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Slots are this process's: a copy in another process starts empty, with the same cap.
        return (rebuild, (InProcessLimiter, {"max_concurrency": self.max_concurrency}))

    def pause(self, account: str, seconds: float) -> float:
        until = time.monotonic() + max(seconds, 0.0)
        with self._lock:
            until = max(until, self._pauses.get(account, 0.0))
            self._pauses[account] = until
        return until

    def in_flight(self, account: str, model: str | None = None) -> int:
        key = (account, pool_name(model, model is None))
        with self._lock:
            slots = self._slots.get(key)
            return slots.in_flight if slots is not None else 0

    def _queue(self, pool: Pool) -> tuple[int, int]:
        """The slots of ``pool`` held and the requests waiting for one, now."""
        with self._lock:
            slots = self._slots.get((pool.account, pool.name))
            return (slots.in_flight, len(slots.waiters)) if slots is not None else (0, 0)

    def _try(self, pool: Pool, waiter: _Waiter | None) -> _LocalLease | None:
        """Take a slot now, or queue ``waiter``; under the lock."""
        if pool.capacity is None:
            return _LocalLease(self, None)
        key = (pool.account, pool.name)
        slots = self._slots.get(key)
        if slots is None:
            slots = self._slots[key] = _Slots()
        if not slots.waiters and slots.in_flight < pool.capacity:
            slots.in_flight += 1
            return _LocalLease(self, key)
        if waiter is not None:
            slots.waiters.append(waiter)
        return None

    def _take_clear(
        self, pool: Pool, waived: float, bounds: Bounds
    ) -> tuple[_LocalLease | None, float]:
        """A slot if the account is not paused (beyond ``waived``) and one is free now, and the
        pause's end; one lock, no waiter built (the common case: no contention)."""
        if bounds.deadline is not None:
            bounds.slot_wait(pool.account)  # a request is never let through past its deadline
        with self._lock:
            until = self._pauses.get(pool.account, 0.0)
            if until > waived:
                return None, until
            return self._try(pool, None), until

    def _give_back(self, key: tuple[str, str]) -> None:
        woken: list[_Waiter] = []
        with self._lock:
            slots = self._slots[key]
            slots.in_flight -= 1
            # First come, first served: the head waits until its own cap has room.
            while slots.waiters and slots.in_flight < slots.waiters[0].capacity:
                waiter = slots.waiters.popleft()
                waiter.granted = True
                slots.in_flight += 1
                woken.append(waiter)
        for waiter in woken:
            if not waiter.wake():
                # Its loop was closed: nobody is left to use the slot or give it back.
                self._give_back(key)

    def _withdraw(self, pool: Pool, waiter: _Waiter) -> None:
        """A waiter gives up (cancelled, interrupted): hand on a slot it was granted."""
        key = (pool.account, pool.name)
        with self._lock:
            granted = waiter.granted
            if not granted:
                self._slots[key].waiters.remove(waiter)
        if granted:
            self._give_back(key)

    def _still_clear(self, pool: Pool, lease: _LocalLease, waived: float) -> bool:
        """Whether no new pause began while the lease was queued; if one did, give it back."""
        with self._lock:
            until = self._pauses.get(pool.account, 0.0)
        if until <= waived:
            return True
        # A 429 paused the account while this request queued: wait that out too.
        lease.release()
        return False

    def _acquire(
        self,
        pool: Pool,
        waived: float,
        sleep: Callable[[float], None],
        bounds: Bounds = NO_BOUNDS,
    ) -> Lease:
        while True:
            lease, until = self._take_clear(pool, waived, bounds)
            if lease is not None:
                return lease  # taken under the lock that saw no pause
            if until > waived:
                left = until - time.monotonic()
                if left > 0:
                    bounds.check_pause(pool.account, left)
                    sleep(left)
                waived = until
                continue
            # Only a request that must wait pays for a waiter (a threading.Event).
            lease = self._wait_for_slot(pool, bounds)
            if self._still_clear(pool, lease, waived):
                return lease

    def _wait_for_slot(self, pool: Pool, bounds: Bounds) -> _LocalLease:
        waiter = _Waiter(pool.capacity or 0)
        with self._lock:
            lease = self._try(pool, waiter)
        if lease is not None:
            return lease
        assert waiter.event is not None
        try:
            if not waiter.event.wait(bounds.slot_wait(pool.account)):
                raise bounds.expired(pool.account, "waiting for a concurrency slot of the limiter")
        except BaseException:
            self._withdraw(pool, waiter)
            raise
        return _LocalLease(self, (pool.account, pool.name))

    async def _aacquire(
        self,
        pool: Pool,
        waived: float,
        sleep: Callable[[float], Awaitable[None]],
        bounds: Bounds = NO_BOUNDS,
    ) -> Lease:
        while True:
            lease, until = self._take_clear(pool, waived, bounds)
            if lease is not None:
                return lease
            if until > waived:
                left = until - time.monotonic()
                if left > 0:
                    bounds.check_pause(pool.account, left)
                    await sleep(left)
                waived = until
                continue
            lease = await self._await_slot(pool, asyncio.get_running_loop(), bounds)
            if self._still_clear(pool, lease, waived):
                return lease

    async def _await_slot(
        self, pool: Pool, loop: asyncio.AbstractEventLoop, bounds: Bounds
    ) -> _LocalLease:
        waiter = _Waiter(pool.capacity or 0, loop, loop.create_future())
        with self._lock:
            lease = self._try(pool, waiter)
        if lease is not None:
            return lease
        assert waiter.future is not None
        try:
            timeout = bounds.slot_wait(pool.account)
            if timeout is None:
                await waiter.future
            else:
                await asyncio.wait((waiter.future,), timeout=timeout)
                if not waiter.future.done():
                    raise bounds.expired(
                        pool.account, "waiting for a concurrency slot of the limiter"
                    )
        except BaseException:
            self._withdraw(pool, waiter)
            raise
        return _LocalLease(self, (pool.account, pool.name))


_DEFAULT_LOCK = threading.Lock()
_DEFAULT: InProcessLimiter | None = None


def default_limiter() -> InProcessLimiter:
    """The process-wide in-process limiter every client uses unless given another."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = InProcessLimiter()
        return _DEFAULT


def reset_default_limiter() -> None:
    """Forget every slot count and pause of the default limiter (for test isolation)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        _DEFAULT = None
