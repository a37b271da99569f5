"""The Redis limiter: slots and pauses shared by every process and machine that points at it.

Every change is one Lua script on Redis's own clock. Slots are leases renewed by a thread while
held. Async requests talk to Redis through one ``redis.asyncio`` client per event loop, closed
with its loop; a slot given back inside a loop is released by a task of that loop, and the
loop's shutdown waits for those releases (later ones run at once, synchronously).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import os
import threading
import time
import urllib.parse
import uuid
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .._loop_end import close_with_loop, finish_quietly
from ..http._errors import DeadlineExceededError
from ._background import Background, Late
from ._in_process import InProcessLimiter
from ._redis_scripts import ACQUIRE as _ACQUIRE
from ._redis_scripts import PAUSE as _PAUSE
from ._redis_scripts import RELEASE as _RELEASE
from ._redis_scripts import RENEW as _RENEW
from ._slots import (
    EXPLICIT_POOL,
    NO_BOUNDS,
    Bounds,
    ConcurrencyLimiter,
    Lease,
    LimiterUnavailableError,
    Pool,
    ReleasedOnce,
    logger,
    pool_name,
    rebuild,
)

if TYPE_CHECKING:
    import redis

_T = TypeVar("_T")

_WAITING_FOR_REDIS = "waiting for the Redis limiter to answer (for a concurrency slot)"


_WAKE_SUFFIX = ":wake"
_GONE_SUFFIX = ":gone"

_SOCKET_TIMEOUT = 2.0
"""The default bound of one Redis call (connect, or wait for a reply): a frozen or unreachable
Redis fails a request within it, with :class:`LimiterUnavailableError`."""


def _shown(url: str, kwargs: dict[str, Any]) -> str:
    """The limiter's Redis as its URL, scheme kept (``rediss://`` is TLS), password left out."""
    scheme = urllib.parse.urlsplit(url).scheme or "redis"
    if "path" in kwargs:  # a Unix socket
        return f"{scheme}://{kwargs['path']}"
    host, port, db = kwargs.get("host", "?"), kwargs.get("port", "?"), kwargs.get("db", 0)
    return f"{scheme}://{host}:{port}/{db}"


def _explain(exc: BaseException, where: str) -> str:
    """What is wrong with the limiter's Redis, by the error it gave."""
    import redis.exceptions

    kind = type(exc).__name__
    unsent = "the request was not sent"
    if isinstance(exc, redis.exceptions.AuthenticationError) or "WRONGPASS" in str(exc):
        return (
            f"The Redis limiter at {where} refused this client's credentials ({kind}); {unsent}. "
            "Check the password (and user name) in the limiter's URL or redis_options."
        )
    if isinstance(exc, redis.exceptions.ResponseError) and "DB index" in str(exc):
        database = where.rpartition("/")[2]
        return (
            f"The Redis limiter at {where} has no database {database} ({exc}); {unsent}. "
            "Use a database number the server has (0 to 15 unless it is set up otherwise)."
        )
    return (
        f"The Redis limiter at {where} cannot be reached ({kind}); {unsent}. "
        "Start Redis, or give the client another limiter."
    )


def _turn_pool(pool: Pool) -> Pool:
    """The turnstile of ``pool``: one request of this process at a time asks Redis."""
    return Pool(pool.account, pool.name, 1)


def _release_keys(slots_key: str) -> list[str]:
    return [slots_key, slots_key + _WAKE_SUFFIX, slots_key + _GONE_SUFFIX]


def _sweep_at_exit(limiter: weakref.ref[RedisLimiter]) -> None:
    alive = limiter()
    if alive is not None:
        alive._sweep()
        # The release thread is a daemon, stopped with the interpreter: give back what it
        # has not yet.
        alive._background.drain()


class _RedisLease(ReleasedOnce):
    __slots__ = ("_id", "_limiter", "_slots_key")

    def __init__(self, limiter: RedisLimiter | None, slots_key: str, lease_id: str) -> None:
        self._limiter = limiter
        self._slots_key = slots_key
        self._id = lease_id
        self._released = limiter is None

    def _give_back_slot(self) -> None:
        assert self._limiter is not None
        self._limiter._give_back(self._slots_key, self._id)


def _outcome_read(task: asyncio.Future[Any]) -> None:
    """Read the outcome of a Redis call nobody waits for any more (no "never retrieved")."""
    if not task.cancelled():
        task.exception()


def _renew_while_held(limiter_ref: weakref.ref[RedisLimiter], every: float) -> None:
    """The renewal thread: renews the process's leases every ``every`` seconds, and ends when
    none is held (the next lease starts a new thread) or the limiter is gone."""
    while True:
        time.sleep(every)
        limiter = limiter_ref()
        if limiter is None:
            return
        held = limiter._held_leases(stop_if_none=True)
        if held is None:
            return
        for key, ids in held.items():
            try:
                limiter._renew_now(key, ids)
            except Exception as exc:  # retried at the next renewal
                logger.warning("Could not renew limiter slots: %s", exc)
        del limiter


@dataclass(eq=False)
class _AsyncSide:
    """The asyncio client of one event loop, its scripts, and what closes them with the loop."""

    client: Any
    acquire: Any
    release: Any
    closing: bool = False
    """The loop is shutting down: releases run at once instead of as tasks of the loop."""
    watcher: AsyncGenerator[None, None] | None = None


class RedisLimiter(ConcurrencyLimiter):
    """Slots and pauses in Redis, shared by every process and machine that points at it.

    A slot is a lease with a time-to-live (``lease_seconds``), renewed in the background while
    the request runs, so a process that dies holding slots gives them back within one lease.
    Every change is one Lua script, so no two processes can both take the last slot. A 429's
    pause is a Redis key with a time-to-live: the whole fleet waits it out. In each process one
    request per pool asks Redis at a time and the others queue locally; a freed slot wakes one
    waiting process (a Redis list it blocks on).

    Redis down or unreachable: a request raises :class:`LimiterUnavailableError` before it is
    sent. There is no silent fallback to a per-process limit: it would multiply the cap by the
    number of processes and bring back the 429 storm the limiter exists to prevent, and a
    warning in one worker's log is easily missed. Slots held when Redis went away expire there
    by themselves; once Redis is back, the same limiter works again.

    Args:
        url: the Redis URL (``redis://host:port/db``); its password is never shown.
        max_concurrency: the cap for clients that do not set one (None: the model's cap).
        lease_seconds: how long a slot outlives a process that died holding it.
        prefix: the prefix of this limiter's Redis keys.
        wake_interval: the longest a waiting request sleeps between looks at the slots when no
            wake-up comes (a slot reclaimed from a dead process sends none).
        redis_options: more keyword arguments for ``redis.Redis.from_url`` (TLS, timeouts:
            ``socket_timeout`` and ``socket_connect_timeout`` default to 2 s, so a frozen
            Redis fails fast; a request's deadline bounds every wait further).
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        max_concurrency: int | None = None,
        lease_seconds: float = 10.0,
        prefix: str = "deepseekapi:limiter:",
        wake_interval: float = 0.05,
        redis_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(max_concurrency=max_concurrency)
        try:
            import redis as redis_module
            import redis.asyncio as redis_asyncio
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisLimiter needs the redis package: "
                "pip install 'deepseekapi-integrations[redis]'"
            ) from None
        if lease_seconds <= 0 or wake_interval <= 0:
            raise ValueError("lease_seconds and wake_interval must be more than 0")
        self._redis_errors: tuple[type[BaseException], ...] = (redis_module.RedisError, OSError)
        self._url = url
        self._options = {
            "socket_timeout": max(_SOCKET_TIMEOUT, wake_interval + 1.0),
            "socket_connect_timeout": _SOCKET_TIMEOUT,
            **(redis_options or {}),
        }
        self._settings: dict[str, Any] = {
            "max_concurrency": max_concurrency,
            "lease_seconds": lease_seconds,
            "prefix": prefix,
            "wake_interval": wake_interval,
            "redis_options": dict(redis_options or {}),
        }
        self._client: redis.Redis = redis_module.Redis.from_url(url, **self._options)
        self._asyncio_module = redis_asyncio
        self._where = _shown(url, self._client.connection_pool.connection_kwargs)
        self.lease_seconds = lease_seconds
        self.wake_interval = wake_interval
        self.prefix = prefix
        self._lease_ms = max(int(lease_seconds * 1000), 1)
        self._acquire_script = self._client.register_script(_ACQUIRE)
        self._release_script = self._client.register_script(_RELEASE)
        self._renew_script = self._client.register_script(_RENEW)
        self._pause_script = self._client.register_script(_PAUSE)
        self._turnstile = InProcessLimiter()
        self._lock = threading.Lock()
        self._held: dict[str, dict[str, None]] = {}
        self._caps: dict[str, int] = {}  # the cap of each pool held, for renewal
        self._stash: dict[str, list[Lease]] = {}  # granted for requests queued in this process
        self._renewer: threading.Thread | None = None
        self._pid = os.getpid()
        self._async_sides: dict[asyncio.AbstractEventLoop, _AsyncSide] = {}
        self._release_tasks: dict[asyncio.Task[None], tuple[str, str]] = {}
        self._background = Background()
        atexit.register(_sweep_at_exit, weakref.ref(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # A worker process (multiprocessing, LlamaIndex's num_workers) gets its own connections
        # and renewal thread on the same Redis keys: the fleet shares one limit.
        return (rebuild, (RedisLimiter, {"url": self._url, **self._settings}))

    def __repr__(self) -> str:
        return (
            f"RedisLimiter({self._where!r}, max_concurrency={self.max_concurrency!r}, "
            f"lease_seconds={self.lease_seconds!r})"
        )

    def _keys(self, pool: Pool) -> tuple[str, str, str]:
        base = f"{self.prefix}{pool.account}"
        slots_key = f"{base}:slots:{pool.name}"
        return slots_key, f"{base}:pause", slots_key + _WAKE_SUFFIX

    def _unavailable(self, exc: BaseException) -> LimiterUnavailableError:
        return LimiterUnavailableError(_explain(exc, self._where))

    def _hold(self, slots_key: str, lease_id: str) -> None:
        """Renew this lease in the background until it is given back."""
        with self._lock:
            self._held.setdefault(slots_key, {})[lease_id] = None
            # A forked worker inherits this object but not the parent's thread: start its own.
            if self._renewer is None or not self._renewer.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._renewer = threading.Thread(
                    target=_renew_while_held,
                    args=(weakref.ref(self), self.lease_seconds / 3),
                    name="deepseekapi-limiter-renewal",
                    daemon=True,
                )
                self._renewer.start()

    def _forget(self, slots_key: str, lease_id: str) -> None:
        with self._lock:
            leases = self._held.get(slots_key)
            if leases is not None:
                leases.pop(lease_id, None)
                if not leases:
                    del self._held[slots_key]

    def _held_leases(self, *, stop_if_none: bool = False) -> dict[str, list[str]] | None:
        """The leases to renew; None (and the renewal thread stops) when there are none."""
        with self._lock:
            if not self._held and stop_if_none:
                self._renewer = None
                return None
            return {key: list(ids) for key, ids in self._held.items()}

    def _async_side(self) -> _AsyncSide:
        # redis.asyncio connections belong to one event loop: one client per loop, closed
        # with it (a client kept per loop forever would keep its connections open).
        loop = asyncio.get_running_loop()
        side = self._async_sides.get(loop)
        if side is None:
            for closed in [old for old in self._async_sides if old.is_closed()]:
                finish_quietly(self._async_sides.pop(closed).watcher)
            client = self._asyncio_module.Redis.from_url(self._url, **self._options)
            side = _AsyncSide(
                client, client.register_script(_ACQUIRE), client.register_script(_RELEASE)
            )
            side.watcher = close_with_loop(lambda: self._close_side(loop, side), loop)
            self._async_sides[loop] = side
        return side

    async def _close_side(self, loop: asyncio.AbstractEventLoop, side: _AsyncSide) -> None:
        """The loop shuts down: finish its releases, then close its client."""
        side.closing = True
        pending = [task for task in list(self._release_tasks) if task.get_loop() is loop]
        await asyncio.gather(*pending, return_exceptions=True)
        if self._async_sides.get(loop) is side:
            del self._async_sides[loop]
        # redis-py 5.0.1 renamed close() to aclose(); 5.0.0 (our floor) has close() only.
        close = getattr(side.client, "aclose", None) or side.client.close
        with contextlib.suppress(Exception):
            await close()

    def _granted(self, pool: Pool, lease_id: str) -> Lease:
        if pool.capacity is None:
            return _RedisLease(None, "", lease_id)
        slots_key = self._keys(pool)[0]
        self._caps[slots_key] = pool.capacity
        self._hold(slots_key, lease_id)
        return _RedisLease(self, slots_key, lease_id)

    def _script_args(
        self, pool: Pool, lease_ids: list[str], waived: float
    ) -> tuple[list[str], list[Any]]:
        slots_key, pause_key, _ = self._keys(pool)
        return [slots_key, pause_key], [
            pool.capacity or 0,
            self._lease_ms,
            int(waived),
            *lease_ids,
        ]

    def _lease_ids(self, pool: Pool) -> list[str]:
        """Ids for the slots to ask for: this request's, and one for each request of this
        process queued behind it for the same pool (one round trip serves them all)."""
        wanted = 1
        if pool.capacity is not None:
            wanted += min(self._turnstile._queue(_turn_pool(pool))[1], pool.capacity - 1, 63)
        return [uuid.uuid4().hex for _ in range(wanted)]

    def _grant(self, pool: Pool, lease_ids: list[str], count: int) -> Lease:
        """The first of ``count`` slots granted; the others wait in the pool's stash for the
        requests queued behind this one."""
        leases = [self._granted(pool, lease_id) for lease_id in lease_ids[:count]]
        if count > 1:
            with self._lock:
                self._stash.setdefault(self._keys(pool)[0], []).extend(leases[1:])
        return leases[0]

    def _from_stash(self, pool: Pool) -> Lease | None:
        """A slot granted for this request by the one ahead of it, if any."""
        if not self._stash:
            return None  # the common case, read without the lock: nothing was stashed
        slots_key = self._keys(pool)[0]
        with self._lock:
            stash = self._stash.get(slots_key)
            if not stash:
                return None
            lease = stash.pop()
            if not stash:
                del self._stash[slots_key]
            return lease

    def _end_turn(self, pool: Pool, turn: Lease | None) -> None:
        """Hand the turn on (if held); the last one out gives back slots nobody came for
        (waiters that gave up)."""
        if turn is not None:
            turn.release()
        if not self._stash or self._turnstile._queue(_turn_pool(pool)) != (0, 0):
            return
        with self._lock:
            leftovers = self._stash.pop(self._keys(pool)[0], [])
        for lease in leftovers:
            lease.release()

    def _wake_wait(self, pool: Pool, bounds: Bounds) -> float:
        """How long to block on the wake-up list: a look at the slots every ``wake_interval``,
        never past the deadline."""
        left = bounds.slot_wait(pool.account)
        return self.wake_interval if left is None else min(self.wake_interval, left)

    def _acquire(
        self,
        pool: Pool,
        waived: float,
        sleep: Callable[[float], None],
        bounds: Bounds = NO_BOUNDS,
    ) -> Lease:
        self._sweep()
        # One request per process and pool asks Redis at a time, for itself and the requests
        # queued behind it; they take the slots it was granted for them.
        turn: Lease | None = None
        try:
            turn = self._turnstile._acquire(_turn_pool(pool), 0.0, sleep, bounds)
            stashed = self._from_stash(pool)
            if stashed is not None:
                return stashed
            while True:
                wake_wait = self._wake_wait(pool, bounds)
                lease_ids = self._lease_ids(pool)
                try:
                    keys, args = self._script_args(pool, lease_ids, waived)
                    granted, pause_until, now = self._bounded(
                        functools.partial(self._acquire_script, keys=keys, args=args),
                        pool,
                        bounds,
                        functools.partial(self._give_back_late, pool=pool, lease_ids=lease_ids),
                    )
                    if granted:
                        return self._grant(pool, lease_ids, granted)
                    if not pause_until:
                        wake_key = self._keys(pool)[2]
                        self._bounded(
                            functools.partial(self._client.blpop, [wake_key], timeout=wake_wait),
                            pool,
                            bounds,
                        )
                        continue
                except self._redis_errors as exc:
                    raise self._unavailable(exc) from exc
                left = max(float(pause_until) - float(now), 0.0) / 1000
                bounds.check_pause(pool.account, left)
                sleep(left)
                waived = float(pause_until)
        finally:
            self._end_turn(pool, turn)

    async def _aacquire(
        self,
        pool: Pool,
        waived: float,
        sleep: Callable[[float], Awaitable[None]],
        bounds: Bounds = NO_BOUNDS,
    ) -> Lease:
        self._sweep()
        turn: Lease | None = None
        try:
            turn = await self._turnstile._aacquire(_turn_pool(pool), 0.0, sleep, bounds)
            stashed = self._from_stash(pool)
            if stashed is not None:
                return stashed
            side = self._async_side()
            while True:
                wake_wait = self._wake_wait(pool, bounds)
                lease_ids = self._lease_ids(pool)
                try:
                    granted, pause_until, now = await self._attempt(
                        side, pool, lease_ids, waived, bounds
                    )
                    if granted:
                        return self._grant(pool, lease_ids, granted)
                    if not pause_until:
                        await self._await_wake(side, pool, bounds, wake_wait)
                        continue
                except self._redis_errors as exc:
                    raise self._unavailable(exc) from exc
                left = max(float(pause_until) - float(now), 0.0) / 1000
                bounds.check_pause(pool.account, left)
                await sleep(left)
                waived = float(pause_until)
        finally:
            self._end_turn(pool, turn)

    async def _attempt(
        self, side: _AsyncSide, pool: Pool, lease_ids: list[str], waived: float, bounds: Bounds
    ) -> tuple[int, int, int]:
        """One run of the acquire script; slots it grants after the caller was cancelled (or
        stopped waiting) are given back."""
        keys, args = self._script_args(pool, lease_ids, waived)
        attempt = asyncio.ensure_future(side.acquire(keys=keys, args=args))
        try:
            granted, pause_until, now = await self._abounded(asyncio.shield(attempt), pool, bounds)
        except (asyncio.CancelledError, DeadlineExceededError):
            attempt.add_done_callback(lambda done: self._abandon(done, pool, lease_ids))
            raise
        return granted, pause_until, now

    async def _await_wake(
        self, side: _AsyncSide, pool: Pool, bounds: Bounds, wake_wait: float
    ) -> None:
        """Block on the wake-up list (at most ``wake_wait`` seconds) in a task of its own, so
        that a cancellation of the caller always reaches the caller.

        redis-py sends each command under ``asyncio.wait_for``, which before Python 3.12
        returns the command's result and drops a cancellation that lands just after the
        command was written (python/cpython#86296): awaited directly, the request went on
        waiting for a slot after its cancel, for ever if the slots it waited for were given
        back only once it ended.
        """
        wake = asyncio.ensure_future(side.client.blpop([self._keys(pool)[2]], timeout=wake_wait))
        try:
            await self._abounded(asyncio.shield(wake), pool, bounds)
        except BaseException:
            # Ends within wake_wait even if it too drops the cancel; its outcome is nobody's.
            wake.cancel()
            wake.add_done_callback(_outcome_read)
            raise

    def _bounded(
        self,
        work: Callable[[], _T],
        pool: Pool,
        bounds: Bounds,
        abandoned: Callable[[_T], None] = lambda late: None,
    ) -> _T:
        """``work()`` (a Redis call), given no longer than the request's deadline."""
        if bounds.deadline is None:
            return work()  # bounded by the socket timeout alone; no thread involved
        try:
            return self._background.call(work, bounds.deadline - time.monotonic(), abandoned)
        except Late:
            raise bounds.expired(pool.account, _WAITING_FOR_REDIS) from None

    @staticmethod
    async def _abounded(work: Awaitable[_T], pool: Pool, bounds: Bounds) -> _T:
        """As :meth:`_bounded`, in a loop."""
        if bounds.deadline is None:
            return await work
        try:
            return await asyncio.wait_for(work, bounds.deadline - time.monotonic())
        except asyncio.TimeoutError:
            raise bounds.expired(pool.account, _WAITING_FOR_REDIS) from None

    def _give_back_late(self, result: Any, pool: Pool, lease_ids: list[str]) -> None:
        """Slots granted after their request stopped waiting: give them back."""
        for lease_id in lease_ids[: int(result[0])]:
            self._granted(pool, lease_id).release()

    def _abandon(self, attempt: asyncio.Future[Any], pool: Pool, lease_ids: list[str]) -> None:
        if attempt.cancelled() or attempt.exception() is not None:
            return
        self._give_back_late(attempt.result(), pool, lease_ids)

    def _give_back(self, slots_key: str, lease_id: str) -> None:
        self._forget(slots_key, lease_id)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        side = self._async_sides.get(loop) if loop is not None else None
        if loop is not None and side is not None and not side.closing:
            # In a loop (a finally of a cancelled task, an async generator's finalizer):
            # no blocking call here; the release runs as a task of the loop, and the loop's
            # shutdown waits for it.
            task = loop.create_task(self._arelease(side, slots_key, lease_id))
            self._release_tasks[task] = (slots_key, lease_id)
            task.add_done_callback(self._released_in_loop)
            return
        # Never on the caller's time: a slow Redis must not hold back a reply already here.
        self._background.start(functools.partial(self._release_now, slots_key, lease_id))

    def _released_in_loop(self, task: asyncio.Task[None]) -> None:
        entry = self._release_tasks.pop(task, None)
        if entry is not None and task.cancelled():
            # The loop shut down (asyncio.run's end) before the release ran: do it now.
            self._background.start(functools.partial(self._release_now, *entry))

    def _sweep(self) -> None:
        """Releases left as tasks of a loop that closed before running them: do them now."""
        for task, entry in list(self._release_tasks.items()):
            closed = not task.done() and task.get_loop().is_closed()
            if closed and self._release_tasks.pop(task, None) is not None:
                self._background.start(functools.partial(self._release_now, *entry))

    def _release_now(self, slots_key: str, lease_id: str) -> None:
        try:
            self._release_script(keys=_release_keys(slots_key), args=[lease_id, self._lease_ms])
        except self._redis_errors as exc:
            logger.warning("Could not release a limiter slot (it expires by itself): %s", exc)

    async def _arelease(self, side: _AsyncSide, slots_key: str, lease_id: str) -> None:
        try:
            await side.release(keys=_release_keys(slots_key), args=[lease_id, self._lease_ms])
        except self._redis_errors as exc:
            logger.warning("Could not release a limiter slot (it expires by itself): %s", exc)

    def pause(self, account: str, seconds: float) -> float:
        pause_key = self._keys(Pool(account, EXPLICIT_POOL, None))[1]
        try:
            return float(self._pause_script(keys=[pause_key], args=[max(int(seconds * 1000), 1)]))
        except self._redis_errors as exc:
            # The request that got the 429 still backs off by itself.
            logger.warning("Could not share a pause through %s: %s", self._where, exc)
            return 0.0

    def in_flight(self, account: str, model: str | None = None) -> int:
        self._sweep()
        # Slots given back a moment ago are counted out once Redis has them.
        self._background.settle(timeout=self._options.get("socket_timeout") or _SOCKET_TIMEOUT)
        slots_key = self._keys(Pool(account, pool_name(model, model is None), None))[0]
        try:
            seconds, micros = self._client.time()
            now_ms = int(seconds) * 1000 + int(micros) // 1000
            return int(self._client.zcount(slots_key, f"({now_ms}", "+inf"))
        except self._redis_errors as exc:
            raise self._unavailable(exc) from exc

    def _renew_now(self, slots_key: str, lease_ids: list[str]) -> None:
        cap = self._caps.get(slots_key, 1)
        self._renew_script(
            keys=[slots_key, slots_key + _GONE_SUFFIX], args=[self._lease_ms, cap, *lease_ids]
        )
