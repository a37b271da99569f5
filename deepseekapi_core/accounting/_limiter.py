"""One concurrency limit per account, shared by every client that uses it, in-process or on Redis.

The service caps the requests an account may have in flight (500 for ``deepseek-v4-pro``, 2,500
for ``deepseek-flash``) and answers 429 above the cap. Bulk jobs run many clients, model
instances, processes and machines against one key; each retrying on its own, a burst overshoots
the cap and hundreds of requests fail. A limiter makes them queue instead:

- at most N requests of one account in flight, N the model's documented cap unless set;
- a 429 with ``Retry-After`` pauses every request of the account, not only the one that got it;
- a streamed request holds its slot until the stream ends, fails or is abandoned.

Every client uses :func:`default_limiter` (in-process, shared by the whole process) unless given
another: :class:`InProcessLimiter` for a separate pool, :class:`RedisLimiter` for a fleet of
processes and machines. An account is its base URL plus a SHA-256 digest of its key; the key
itself is never stored, logged or sent to Redis.
"""

from __future__ import annotations

import abc
import asyncio
import atexit
import collections
import hashlib
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import SecretStr

from ..http._errors import APIStatusError, DeepSeekAPIError, InvalidRequestError

if TYPE_CHECKING:
    import redis

__all__ = [
    "DOCUMENTED_CONCURRENCY_CAPS",
    "AccountGate",
    "ConcurrencyLimiter",
    "InProcessLimiter",
    "Lease",
    "LimiterUnavailableError",
    "RedisLimiter",
    "Ticket",
    "account_id",
    "check_limiter_options",
    "concurrency_cap",
    "default_limiter",
    "reset_default_limiter",
]

logger = logging.getLogger("deepseekapi_core.accounting")

DOCUMENTED_CONCURRENCY_CAPS: dict[str, int] = {"deepseek-v4-pro": 500, "deepseek-flash": 2_500}
"""Requests in flight per account, from the service's rate-limit page (late 2026)."""

# The service answers these ids with deepseek-flash, so they draw on its cap.
_SERVED_BY: dict[str, str] = {
    "deepseek-chat": "deepseek-flash",
    "deepseek-reasoner": "deepseek-flash",
    "deepseek-v4-flash": "deepseek-flash",
    "deepseek-v4-flash-vision-exp": "deepseek-flash",
}

_EXPLICIT_POOL = "*"
"""The pool of a caller-set cap: every model of the account counts against it."""


def concurrency_cap(model: str) -> int | None:
    """The documented in-flight cap of ``model`` per account, or None when none is documented.

    Aliases count against the model that serves them (``deepseek-chat`` is ``deepseek-flash``).
    """
    return DOCUMENTED_CONCURRENCY_CAPS.get(_SERVED_BY.get(model, model))


def account_id(base_url: str, api_key: SecretStr | str | None) -> str:
    """The account a limiter counts under: the base URL and a digest of the key, never the key."""
    secret = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    digest = hashlib.sha256(secret.encode()).hexdigest()[:24] if secret else "no-key"
    return f"{base_url.rstrip('/')}#{digest}"


class LimiterUnavailableError(DeepSeekAPIError):
    """The limiter's shared store (Redis) cannot be reached; nothing was sent."""


@dataclass(frozen=True)
class _Pool:
    """The slots one request draws on: an account, a pool within it, and the cap it applies."""

    account: str
    name: str
    capacity: int | None


class Lease(abc.ABC):
    """One slot held by one request; released once, from any thread, loop or finalizer."""

    @abc.abstractmethod
    def release(self) -> None:
        """Give the slot back (a second call does nothing)."""


class ConcurrencyLimiter(abc.ABC):
    """Where the slots and the shared pause of each account live.

    Args:
        max_concurrency: the cap for every client that does not set its own; None for each
            model's documented cap.
    """

    def __init__(self, *, max_concurrency: int | None = None) -> None:
        self.max_concurrency = _check_cap(max_concurrency, "max_concurrency")

    def __copy__(self) -> ConcurrencyLimiter:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ConcurrencyLimiter:
        # A copied model or client must keep sharing its limit, not start a pool of its own.
        return self

    @abc.abstractmethod
    def _acquire(self, pool: _Pool, waived: float, sleep: Callable[[float], None]) -> Lease:
        """Wait out the account's pause (unless ``waived`` covers it) and for a slot."""

    @abc.abstractmethod
    async def _aacquire(
        self, pool: _Pool, waived: float, sleep: Callable[[float], Awaitable[None]]
    ) -> Lease:
        """As :meth:`_acquire`, without blocking the event loop."""

    @abc.abstractmethod
    def pause(self, account: str, seconds: float) -> float:
        """Hold every request of ``account`` back for ``seconds`` (a longer pause stays).

        Returns the pause's end on this limiter's clock, the value a request that already
        waited it out passes as ``waived``.
        """

    @abc.abstractmethod
    def in_flight(self, account: str, model: str | None = None) -> int:
        """Slots of ``account`` held now (in the pool of ``model``, or the caller-set pool)."""


def check_limiter_options(limiter: object, max_concurrency: object) -> None:
    """Refuse a limiter or a cap no client could use, naming the setting (adapters call this
    when a model is built, before its first request)."""
    if not (limiter is None or limiter == "off" or isinstance(limiter, ConcurrencyLimiter)):
        raise InvalidRequestError(
            "limiter must be an InProcessLimiter, a RedisLimiter, 'off' or None, "
            f"not {type(limiter).__name__}",
            param="limiter",
        )
    try:
        _check_cap(max_concurrency, "max_concurrency")
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="max_concurrency") from None


def _check_cap(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more (or None), not {value!r}")
    return value


def _pool_name(model: str | None, explicit: bool) -> str:
    if explicit or model is None:
        return _EXPLICIT_POOL
    return _SERVED_BY.get(model, model)


# ------------------------------------------------------------------------------------------
# In-process


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


class _ReleasedOnce(Lease):
    """A lease that gives its slot back on the first ``release`` and never again."""

    __slots__ = ("_released",)

    _released: bool

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._give_back_slot()

    @abc.abstractmethod
    def _give_back_slot(self) -> None: ...

    def __del__(self) -> None:
        # A lease dropped unreleased (an abandoned frame) must not keep its slot.
        if not self._released:
            self.release()


class _LocalLease(_ReleasedOnce):
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
        return (_rebuild, (InProcessLimiter, {"max_concurrency": self.max_concurrency}))

    def pause(self, account: str, seconds: float) -> float:
        until = time.monotonic() + max(seconds, 0.0)
        with self._lock:
            until = max(until, self._pauses.get(account, 0.0))
            self._pauses[account] = until
        return until

    def in_flight(self, account: str, model: str | None = None) -> int:
        key = (account, _pool_name(model, model is None))
        with self._lock:
            slots = self._slots.get(key)
            return slots.in_flight if slots is not None else 0

    def _pause_left(self, account: str, waived: float) -> tuple[float, float]:
        until = self._pauses.get(account, 0.0)
        if until <= waived:
            return until, 0.0
        return until, until - time.monotonic()

    def _try(self, pool: _Pool, waiter: _Waiter | None) -> _LocalLease | None:
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

    def _take_free(self, pool: _Pool) -> _LocalLease | None:
        """A slot if one is free now, without queueing (the common case: no waiter built)."""
        with self._lock:
            return self._try(pool, None)

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

    def _withdraw(self, pool: _Pool, waiter: _Waiter) -> None:
        """A waiter gives up (cancelled, interrupted): hand on a slot it was granted."""
        key = (pool.account, pool.name)
        with self._lock:
            granted = waiter.granted
            if not granted:
                self._slots[key].waiters.remove(waiter)
        if granted:
            self._give_back(key)

    def _still_clear(self, pool: _Pool, lease: _LocalLease, waived: float) -> bool:
        """Whether no new pause began while the lease was queued; if one did, give it back."""
        with self._lock:
            until, _ = self._pause_left(pool.account, waived)
        if until <= waived:
            return True
        # A 429 paused the account while this request queued: wait that out too.
        lease.release()
        return False

    def _acquire(self, pool: _Pool, waived: float, sleep: Callable[[float], None]) -> Lease:
        while True:
            with self._lock:
                until, left = self._pause_left(pool.account, waived)
            if left > 0 or until > waived:
                if left > 0:
                    sleep(left)
                waived = until
                continue
            # Only a request that must wait pays for a waiter (a threading.Event).
            lease = self._take_free(pool) or self._wait_for_slot(pool)
            if self._still_clear(pool, lease, waived):
                return lease

    def _wait_for_slot(self, pool: _Pool) -> _LocalLease:
        waiter = _Waiter(pool.capacity or 0)
        with self._lock:
            lease = self._try(pool, waiter)
        if lease is not None:
            return lease
        assert waiter.event is not None
        try:
            waiter.event.wait()
        except BaseException:
            self._withdraw(pool, waiter)
            raise
        return _LocalLease(self, (pool.account, pool.name))

    async def _aacquire(
        self, pool: _Pool, waived: float, sleep: Callable[[float], Awaitable[None]]
    ) -> Lease:
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                until, left = self._pause_left(pool.account, waived)
            if left > 0 or until > waived:
                if left > 0:
                    await sleep(left)
                waived = until
                continue
            lease = self._take_free(pool) or await self._await_slot(pool, loop)
            if self._still_clear(pool, lease, waived):
                return lease

    async def _await_slot(self, pool: _Pool, loop: asyncio.AbstractEventLoop) -> _LocalLease:
        waiter = _Waiter(pool.capacity or 0, loop, loop.create_future())
        with self._lock:
            lease = self._try(pool, waiter)
        if lease is not None:
            return lease
        assert waiter.future is not None
        try:
            await waiter.future
        except BaseException:
            self._withdraw(pool, waiter)
            raise
        return _LocalLease(self, (pool.account, pool.name))


def _rebuild(kind: type[ConcurrencyLimiter], settings: dict[str, Any]) -> ConcurrencyLimiter:
    return kind(**settings)


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


# ------------------------------------------------------------------------------------------
# Redis

# Times are Redis's own (TIME, in ms), so the clocks of the fleet's machines do not matter.
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

_ACQUIRE = (
    _NOW
    + """
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > now and pause > tonumber(ARGV[4]) then
  return {0, pause, now}
end
local cap = tonumber(ARGV[1])
if cap == 0 then
  return {1, 0, now}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= cap then
  return {0, 0, now}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return {1, 0, now}
"""
)
"""KEYS: slots (sorted set of lease id -> expiry), pause. ARGV: cap (0: none), lease ms, lease id,
the pause end the caller already waited out. Returns {granted, pause end, now}."""

_RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], 1)
  redis.call('LTRIM', KEYS[2], 0, 63)
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
end
return 0
"""
"""KEYS: slots, wake-up list. ARGV: lease id, lease ms. One wake-up per freed slot."""

_RENEW = (
    _NOW
    + """
local renewed = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
    renewed = renewed + 1
  end
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return renewed
"""
)
"""KEYS: slots. ARGV: lease ms, then the lease ids this process still holds."""

_PAUSE = (
    _NOW
    + """
local untill = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= untill then
  return current
end
redis.call('SET', KEYS[1], untill, 'PX', tonumber(ARGV[1]))
return untill
"""
)
"""KEYS: pause. ARGV: pause ms. Returns the pause's end (a longer pause already set stays)."""


_WAKE_SUFFIX = ":wake"


def _sweep_at_exit(limiter: weakref.ref[RedisLimiter]) -> None:
    alive = limiter()
    if alive is not None:
        alive._sweep()


class _RedisLease(_ReleasedOnce):
    __slots__ = ("_id", "_limiter", "_slots_key")

    def __init__(self, limiter: RedisLimiter | None, slots_key: str, lease_id: str) -> None:
        self._limiter = limiter
        self._slots_key = slots_key
        self._id = lease_id
        self._released = limiter is None

    def _give_back_slot(self) -> None:
        assert self._limiter is not None
        self._limiter._give_back(self._slots_key, self._id)


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


@dataclass
class _AsyncSide:
    """The asyncio client of one event loop and its scripts."""

    client: Any
    acquire: Any
    release: Any


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
        redis_options: more keyword arguments for ``redis.Redis.from_url`` (timeouts, TLS).
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
        self._options = dict(redis_options or {})
        self._settings: dict[str, Any] = {
            "max_concurrency": max_concurrency,
            "lease_seconds": lease_seconds,
            "prefix": prefix,
            "wake_interval": wake_interval,
            "redis_options": self._options,
        }
        self._client: redis.Redis = redis_module.Redis.from_url(url, **self._options)
        self._asyncio_module = redis_asyncio
        kwargs = self._client.connection_pool.connection_kwargs
        host, port, db = kwargs.get("host", "?"), kwargs.get("port", "?"), kwargs.get("db", 0)
        self._where = f"redis://{host}:{port}/{db}"
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
        self._renewer: threading.Thread | None = None
        self._pid = os.getpid()
        self._async_sides: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncSide] = (
            weakref.WeakKeyDictionary()
        )
        self._release_tasks: dict[asyncio.Task[None], tuple[str, str]] = {}
        atexit.register(_sweep_at_exit, weakref.ref(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # A worker process (multiprocessing, LlamaIndex's num_workers) gets its own connections
        # and renewal thread on the same Redis keys: the fleet shares one limit.
        return (_rebuild, (RedisLimiter, {"url": self._url, **self._settings}))

    def __repr__(self) -> str:
        return (
            f"RedisLimiter({self._where!r}, max_concurrency={self.max_concurrency!r}, "
            f"lease_seconds={self.lease_seconds!r})"
        )

    def _keys(self, pool: _Pool) -> tuple[str, str, str]:
        base = f"{self.prefix}{pool.account}"
        slots_key = f"{base}:slots:{pool.name}"
        return slots_key, f"{base}:pause", slots_key + _WAKE_SUFFIX

    def _unavailable(self, exc: BaseException) -> LimiterUnavailableError:
        return LimiterUnavailableError(
            f"The Redis limiter at {self._where} cannot be reached ({type(exc).__name__}); "
            "the request was not sent. Start Redis, or give the client another limiter."
        )

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
        # redis.asyncio connections belong to one event loop: one client per loop.
        loop = asyncio.get_running_loop()
        side = self._async_sides.get(loop)
        if side is None:
            client = self._asyncio_module.Redis.from_url(self._url, **self._options)
            side = _AsyncSide(
                client, client.register_script(_ACQUIRE), client.register_script(_RELEASE)
            )
            self._async_sides[loop] = side
        return side

    def _granted(self, pool: _Pool, lease_id: str) -> Lease:
        if pool.capacity is None:
            return _RedisLease(None, "", lease_id)
        slots_key = self._keys(pool)[0]
        self._hold(slots_key, lease_id)
        return _RedisLease(self, slots_key, lease_id)

    def _script_args(
        self, pool: _Pool, lease_id: str, waived: float
    ) -> tuple[list[str], list[Any]]:
        slots_key, pause_key, _ = self._keys(pool)
        return [slots_key, pause_key], [pool.capacity or 0, self._lease_ms, lease_id, int(waived)]

    def _acquire(self, pool: _Pool, waived: float, sleep: Callable[[float], None]) -> Lease:
        self._sweep()
        lease_id = uuid.uuid4().hex
        # One request per process and pool asks Redis at a time; the others queue here.
        turn = self._turnstile._acquire(_Pool(pool.account, pool.name, 1), 0.0, sleep)
        try:
            while True:
                try:
                    keys, args = self._script_args(pool, lease_id, waived)
                    granted, pause_until, now = self._acquire_script(keys=keys, args=args)
                    if granted:
                        return self._granted(pool, lease_id)
                    if not pause_until:
                        self._client.blpop([self._keys(pool)[2]], timeout=self.wake_interval)
                        continue
                except self._redis_errors as exc:
                    raise self._unavailable(exc) from exc
                sleep(max(float(pause_until) - float(now), 0.0) / 1000)
                waived = float(pause_until)
        finally:
            turn.release()

    async def _aacquire(
        self, pool: _Pool, waived: float, sleep: Callable[[float], Awaitable[None]]
    ) -> Lease:
        self._sweep()
        lease_id = uuid.uuid4().hex
        turn = await self._turnstile._aacquire(_Pool(pool.account, pool.name, 1), 0.0, sleep)
        try:
            side = self._async_side()
            while True:
                try:
                    keys, args = self._script_args(pool, lease_id, waived)
                    attempt = asyncio.ensure_future(side.acquire(keys=keys, args=args))
                    try:
                        granted, pause_until, now = await asyncio.shield(attempt)
                    except asyncio.CancelledError:
                        # The script may still grant the slot: give it back when it does.
                        attempt.add_done_callback(lambda done: self._abandon(done, pool, lease_id))
                        raise
                    if granted:
                        return self._granted(pool, lease_id)
                    if not pause_until:
                        await side.client.blpop([self._keys(pool)[2]], timeout=self.wake_interval)
                        continue
                except self._redis_errors as exc:
                    raise self._unavailable(exc) from exc
                await sleep(max(float(pause_until) - float(now), 0.0) / 1000)
                waived = float(pause_until)
        finally:
            turn.release()

    def _abandon(self, attempt: asyncio.Future[Any], pool: _Pool, lease_id: str) -> None:
        if attempt.cancelled() or attempt.exception() is not None:
            return
        if attempt.result()[0]:
            self._granted(pool, lease_id).release()

    def _give_back(self, slots_key: str, lease_id: str) -> None:
        self._forget(slots_key, lease_id)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None and loop in self._async_sides:
            # In a loop (a finally of a cancelled task, an async generator's finalizer):
            # no blocking call here; the release runs as a task of the loop.
            task = loop.create_task(self._arelease(slots_key, lease_id))
            self._release_tasks[task] = (slots_key, lease_id)
            task.add_done_callback(self._released_in_loop)
            return
        self._release_now(slots_key, lease_id)

    def _released_in_loop(self, task: asyncio.Task[None]) -> None:
        entry = self._release_tasks.pop(task, None)
        if entry is not None and task.cancelled():
            # The loop shut down (asyncio.run's end) before the release ran: do it now.
            self._release_now(*entry)

    def _sweep(self) -> None:
        """Releases left as tasks of a loop that closed before running them: do them now."""
        for task, entry in list(self._release_tasks.items()):
            closed = not task.done() and task.get_loop().is_closed()
            if closed and self._release_tasks.pop(task, None) is not None:
                self._release_now(*entry)

    def _release_now(self, slots_key: str, lease_id: str) -> None:
        try:
            self._release_script(
                keys=[slots_key, slots_key + _WAKE_SUFFIX], args=[lease_id, self._lease_ms]
            )
        except self._redis_errors as exc:
            logger.warning("Could not release a limiter slot (it expires by itself): %s", exc)

    async def _arelease(self, slots_key: str, lease_id: str) -> None:
        try:
            await self._async_side().release(
                keys=[slots_key, slots_key + _WAKE_SUFFIX], args=[lease_id, self._lease_ms]
            )
        except self._redis_errors as exc:
            logger.warning("Could not release a limiter slot (it expires by itself): %s", exc)

    def pause(self, account: str, seconds: float) -> float:
        pause_key = self._keys(_Pool(account, _EXPLICIT_POOL, None))[1]
        try:
            return float(self._pause_script(keys=[pause_key], args=[max(int(seconds * 1000), 1)]))
        except self._redis_errors as exc:
            # The request that got the 429 still backs off by itself.
            logger.warning("Could not share a pause through %s: %s", self._where, exc)
            return 0.0

    def in_flight(self, account: str, model: str | None = None) -> int:
        self._sweep()
        slots_key = self._keys(_Pool(account, _pool_name(model, model is None), None))[0]
        try:
            seconds, micros = self._client.time()
            now_ms = int(seconds) * 1000 + int(micros) // 1000
            return int(self._client.zcount(slots_key, f"({now_ms}", "+inf"))
        except self._redis_errors as exc:
            raise self._unavailable(exc) from exc

    def _renew_now(self, slots_key: str, lease_ids: list[str]) -> None:
        self._renew_script(keys=[slots_key], args=[self._lease_ms, *lease_ids])


# ------------------------------------------------------------------------------------------
# What the clients use


class Ticket(Protocol):
    """One request's place in its account's limit, across its retries."""

    def acquire(self) -> None:
        """Wait out the account's pause, then for a slot (sync clients)."""

    async def aacquire(self) -> None:
        """As :meth:`acquire`, without blocking the event loop."""

    def release(self) -> None:
        """Give the slot back, if one is held (safe to call again)."""

    def note(self, error: DeepSeekAPIError) -> None:
        """Share a 429's ``Retry-After`` with every request of the account."""


class _NoTicket:
    """The limiter is off: nothing to wait for, nothing to give back."""

    __slots__ = ()

    def acquire(self) -> None:
        pass

    async def aacquire(self) -> None:
        pass

    def release(self) -> None:
        pass

    def note(self, error: DeepSeekAPIError) -> None:
        pass


_NO_TICKET = _NoTicket()


class _Ticket:
    """One request's place in its account's limit, across its retries."""

    __slots__ = ("_gate", "_lease", "_pool", "_sleep", "_waived")

    def __init__(self, gate: AccountGate, pool: _Pool, sleep: Callable[[float], Any]) -> None:
        self._gate = gate
        self._pool = pool
        self._sleep = sleep
        self._lease: Lease | None = None
        self._waived = 0.0

    def acquire(self) -> None:
        """Wait for the account's pause and a slot (sync clients)."""
        self._lease = self._gate.limiter._acquire(self._pool, self._waived, self._sleep)

    async def aacquire(self) -> None:
        """Wait for the account's pause and a slot (async clients)."""
        self._lease = await self._gate.limiter._aacquire(self._pool, self._waived, self._sleep)

    def release(self) -> None:
        """Give the slot back, if held."""
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.release()

    def note(self, error: DeepSeekAPIError) -> None:
        """Share a 429's ``Retry-After`` with the whole account.

        This request waits it out through its retry policy, so its own next attempt does not
        wait it a second time.
        """
        if not (isinstance(error, APIStatusError) and error.status_code == 429):
            return
        seconds = error.retry_after
        if seconds is None or seconds <= 0:
            return
        # A wait the retry policy would not take is the caller's problem, not the fleet's.
        seconds = min(seconds, self._gate.max_pause)
        self._waived = max(self._waived, self._gate.limiter.pause(self._pool.account, seconds))


class AccountGate:
    """A client's view of its limiter: its account, its cap, tickets for its requests.

    Args:
        limiter: a limiter, ``"off"``, or None for :func:`default_limiter`.
        max_concurrency: this client's cap (None: the limiter's, else the model's documented).
        base_url, api_key: the account (only a digest of the key is kept).
        max_pause: the longest shared pause a 429 may set (the retry policy's ``max_retry_after``).
    """

    __slots__ = ("account", "enabled", "limiter", "max_concurrency", "max_pause")

    def __init__(
        self,
        limiter: ConcurrencyLimiter | Literal["off"] | None,
        max_concurrency: int | None,
        *,
        base_url: str,
        api_key: SecretStr | None,
        max_pause: float = 60.0,
    ) -> None:
        if limiter == "off":
            self.enabled = False
            self.limiter: ConcurrencyLimiter = default_limiter()
        elif limiter is None:
            self.enabled = True
            self.limiter = default_limiter()
        elif isinstance(limiter, ConcurrencyLimiter):
            self.enabled = True
            self.limiter = limiter
        else:
            raise TypeError(
                "limiter must be an InProcessLimiter, a RedisLimiter, 'off' or None, "
                f"not {type(limiter).__name__}"
            )
        self.max_concurrency = _check_cap(max_concurrency, "max_concurrency")
        self.account = account_id(base_url, api_key)
        self.max_pause = max_pause

    def __repr__(self) -> str:
        if not self.enabled:
            return "AccountGate(off)"
        return f"AccountGate({self.limiter!r}, max_concurrency={self.max_concurrency!r})"

    def _pool(self, model: str | None) -> _Pool:
        cap = self.max_concurrency or self.limiter.max_concurrency
        if cap is not None:
            return _Pool(self.account, _EXPLICIT_POOL, cap)
        return _Pool(
            self.account, _pool_name(model, False), concurrency_cap(model) if model else None
        )

    def ticket(self, model: str | None, sleep: Callable[[float], Any]) -> Ticket:
        """A ticket for one request of ``model``; ``sleep`` waits out shared pauses."""
        if not self.enabled:
            return _NO_TICKET
        return _Ticket(self, self._pool(model), sleep)

    def in_flight(self, model: str | None = None) -> int:
        """Slots this client's account holds now (all models when a cap is set)."""
        pool = self._pool(model)
        return self.limiter.in_flight(self.account, None if pool.name == _EXPLICIT_POOL else model)
