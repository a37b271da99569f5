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

from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import SecretStr

from ..http._errors import APIStatusError, DeepSeekAPIError, InvalidRequestError
from ._in_process import InProcessLimiter, default_limiter, reset_default_limiter
from ._redis import RedisLimiter
from ._slots import (
    EXPLICIT_POOL,
    Bounds,
    ConcurrencyLimiter,
    Lease,
    LimiterUnavailableError,
    Pool,
    account_id,
    check_cap,
    concurrency_cap,
    pool_name,
)

__all__ = [
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
        check_cap(max_concurrency, "max_concurrency")
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="max_concurrency") from None


class Ticket(Protocol):
    """One request's place in its account's limit, across its retries."""

    def acquire(self, *, deadline: float | None = None, max_pause: float | None = None) -> None:
        """Wait out the account's pause, then for a slot (sync clients).

        ``deadline`` (a ``time.monotonic()`` instant) bounds both waits: one that would pass it
        raises :class:`DeadlineExceededError`. A shared pause with more than ``max_pause``
        seconds left (None: the client's retry policy's ``max_retry_after``) raises
        :class:`RateLimitError` at once, ``retry_after`` set to the time left.
        """

    async def aacquire(
        self, *, deadline: float | None = None, max_pause: float | None = None
    ) -> None:
        """As :meth:`acquire`, without blocking the event loop."""

    def release(self) -> None:
        """Give the slot back, if one is held (safe to call again)."""

    def note(self, error: DeepSeekAPIError) -> None:
        """Share a 429's ``Retry-After`` with every request of the account."""


class _NoTicket:
    """The limiter is off: nothing to wait for, nothing to give back."""

    __slots__ = ()

    def acquire(self, *, deadline: float | None = None, max_pause: float | None = None) -> None:
        pass

    async def aacquire(
        self, *, deadline: float | None = None, max_pause: float | None = None
    ) -> None:
        pass

    def release(self) -> None:
        pass

    def note(self, error: DeepSeekAPIError) -> None:
        pass


_NO_TICKET = _NoTicket()


class _Ticket:
    """One request's place in its account's limit, across its retries."""

    __slots__ = ("_gate", "_lease", "_pool", "_sleep", "_waived")

    def __init__(self, gate: AccountGate, pool: Pool, sleep: Callable[[float], Any]) -> None:
        self._gate = gate
        self._pool = pool
        self._sleep = sleep
        self._lease: Lease | None = None
        self._waived = 0.0

    def _bounds(self, deadline: float | None, max_pause: float | None) -> Bounds:
        if deadline is None and max_pause is None:
            return self._gate.bounds  # built once per client: a plain call builds nothing
        return Bounds(deadline, self._gate.max_pause if max_pause is None else max_pause)

    def acquire(self, *, deadline: float | None = None, max_pause: float | None = None) -> None:
        """Wait for the account's pause and a slot (sync clients), within the bounds."""
        bounds = self._bounds(deadline, max_pause)
        self._lease = self._gate.limiter._acquire(self._pool, self._waived, self._sleep, bounds)

    async def aacquire(
        self, *, deadline: float | None = None, max_pause: float | None = None
    ) -> None:
        """Wait for the account's pause and a slot (async clients), within the bounds."""
        bounds = self._bounds(deadline, max_pause)
        self._lease = await self._gate.limiter._aacquire(
            self._pool, self._waived, self._sleep, bounds
        )

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
        # Shared whole: a request that may not wait that long fails at once (its ``max_pause``)
        # instead of sleeping, so a huge Retry-After never freezes the account silently.
        self._waived = max(self._waived, self._gate.limiter.pause(self._pool.account, seconds))


_POOLS_KEPT = 64
"""Pools a gate keeps built (one per model id it has served, in practice a handful)."""


class AccountGate:
    """A client's view of its limiter: its account, its cap, tickets for its requests.

    Args:
        limiter: a limiter, ``"off"``, or None for :func:`default_limiter`.
        max_concurrency: this client's cap (None: the limiter's, else the model's documented).
        base_url, api_key: the account (only a digest of the key is kept).
        max_pause: the longest shared pause a request waits out unless its ticket is given
            another (the retry policy's ``max_retry_after``); a longer one fails at once.
    """

    __slots__ = (
        "_pools",
        "account",
        "bounds",
        "enabled",
        "limiter",
        "max_concurrency",
        "max_pause",
    )

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
        self.max_concurrency = check_cap(max_concurrency, "max_concurrency")
        self.account = account_id(base_url, api_key)
        self.max_pause = max_pause
        self.bounds = Bounds(None, max_pause)
        self._pools: dict[tuple[str | None, int | None], Pool] = {}

    def __repr__(self) -> str:
        if not self.enabled:
            return "AccountGate(off)"
        return f"AccountGate({self.limiter!r}, max_concurrency={self.max_concurrency!r})"

    def _pool(self, model: str | None) -> Pool:
        cap = self.max_concurrency or self.limiter.max_concurrency
        # Built once per model and cap: a request should pay for its pool no more than a look-up.
        pool = self._pools.get((model, cap))
        if pool is None:
            if len(self._pools) >= _POOLS_KEPT:
                self._pools.clear()
            pool = self._pools[model, cap] = self._new_pool(model, cap)
        return pool

    def _new_pool(self, model: str | None, cap: int | None) -> Pool:
        if cap is not None:
            return Pool(self.account, EXPLICIT_POOL, cap)
        return Pool(
            self.account, pool_name(model, False), concurrency_cap(model) if model else None
        )

    def ticket(self, model: str | None, sleep: Callable[[float], Any]) -> Ticket:
        """A ticket for one request of ``model``; ``sleep`` waits out shared pauses."""
        if not self.enabled:
            return _NO_TICKET
        return _Ticket(self, self._pool(model), sleep)

    def in_flight(self, model: str | None = None) -> int:
        """Slots this client's account holds now (all models when a cap is set)."""
        pool = self._pool(model)
        return self.limiter.in_flight(self.account, None if pool.name == EXPLICIT_POOL else model)
