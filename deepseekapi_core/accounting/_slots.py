"""What every concurrency limiter shares: accounts, pools, caps and leases.

A pool is the set of slots one request draws on: an account (its base URL and a digest of its
key) and, within it, the model that serves the request (ids the service answers as the same
model share it) or, when the caller set a cap, every model of the account. The documented caps
and the aliases come from the model registry, never from a table of the limiter's own.
"""

from __future__ import annotations

import abc
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from ..http._errors import DeepSeekAPIError
from ..wire._registry import get_model_profile

__all__ = [
    "ConcurrencyLimiter",
    "Lease",
    "LimiterUnavailableError",
    "account_id",
    "concurrency_cap",
]

logger = logging.getLogger("deepseekapi_core.accounting")

EXPLICIT_POOL = "*"
"""The pool of a caller-set cap: every model of the account counts against it."""


@functools.lru_cache(maxsize=256)
def served_by(model: str) -> tuple[str, int | None]:
    """The pool ``model`` draws on (the id the service answers it as) and that pool's cap."""
    profile = get_model_profile(model)
    return profile.reply_model, profile.concurrency_cap


def concurrency_cap(model: str) -> int | None:
    """The documented in-flight cap of ``model`` per account, or None when none is documented.

    Aliases count against the model that serves them (``deepseek-chat`` is ``deepseek-flash``);
    the figures are the registry's (``ModelProfile.concurrency_cap``).
    """
    return served_by(model)[1]


def pool_name(model: str | None, explicit: bool) -> str:
    """The name of the pool a request of ``model`` counts in (``explicit``: a caller-set cap)."""
    if explicit or model is None:
        return EXPLICIT_POOL
    return served_by(model)[0]


def account_id(base_url: str, api_key: SecretStr | str | None) -> str:
    """The account a limiter counts under: the base URL and a digest of the key, never the key."""
    secret = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    digest = hashlib.sha256(secret.encode()).hexdigest()[:24] if secret else "no-key"
    return f"{base_url.rstrip('/')}#{digest}"


class LimiterUnavailableError(DeepSeekAPIError):
    """The limiter's shared store (Redis) cannot be reached; nothing was sent."""


@dataclass(frozen=True)
class Pool:
    """The slots one request draws on: an account, a pool within it, and the cap it applies."""

    account: str
    name: str
    capacity: int | None


class Lease(abc.ABC):
    """One slot held by one request; released once, from any thread, loop or finalizer."""

    @abc.abstractmethod
    def release(self) -> None:
        """Give the slot back (a second call does nothing)."""


class ReleasedOnce(Lease):
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


class ConcurrencyLimiter(abc.ABC):
    """Where the slots and the shared pause of each account live.

    Args:
        max_concurrency: the cap for every client that does not set its own; None for each
            model's documented cap.
    """

    def __init__(self, *, max_concurrency: int | None = None) -> None:
        self.max_concurrency = check_cap(max_concurrency, "max_concurrency")

    def __copy__(self) -> ConcurrencyLimiter:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ConcurrencyLimiter:
        # A copied model or client must keep sharing its limit, not start a pool of its own.
        return self

    @abc.abstractmethod
    def _acquire(self, pool: Pool, waived: float, sleep: Callable[[float], None]) -> Lease:
        """Wait out the account's pause (unless ``waived`` covers it) and for a slot."""

    @abc.abstractmethod
    async def _aacquire(
        self, pool: Pool, waived: float, sleep: Callable[[float], Awaitable[None]]
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


def check_cap(value: object, name: str) -> int | None:
    """``value`` as a cap (a whole number of 1 or more, or None); ValueError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more (or None), not {value!r}")
    return value


def rebuild(kind: type[ConcurrencyLimiter], settings: dict[str, Any]) -> ConcurrencyLimiter:
    """Unpickle a limiter: a new one with the same settings (its slots are not carried)."""
    return kind(**settings)
