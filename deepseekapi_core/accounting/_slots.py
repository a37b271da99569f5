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
import math
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from ..http._errors import DeadlineExceededError, DeepSeekAPIError, RateLimitError
from ..wire._registry import get_model_profile

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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def endpoint_of(base_url: str) -> tuple[str, str]:
    """``base_url`` as one spelling per endpoint (scheme and host in lower case, no default
    port, no trailing slash), and the credentials it carries ("" if none), kept apart so that
    they only ever reach the account's digest."""
    try:
        parts = urllib.parse.urlsplit(base_url.strip())
        port = parts.port
    except ValueError:  # not a URL we can read: the text itself is the endpoint
        return base_url.rstrip("/"), ""
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    credentials = parts.netloc.rpartition("@")[0]
    return f"{scheme}://{host}{parts.path.rstrip('/')}", credentials


def account_id(base_url: str, api_key: SecretStr | str | None) -> str:
    """The account a limiter counts under: the endpoint and a digest of the key (and of any
    credentials in the URL), never the key.

    Spellings of one endpoint (``.../v1`` and ``.../v1/``, a host in another case, a default
    port written out) are one account, so they share one cap.
    """
    secret = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    endpoint, credentials = endpoint_of(base_url)
    if credentials:
        secret = f"{secret or ''}\n{credentials}"
    digest = hashlib.sha256(secret.encode()).hexdigest()[:24] if secret else "no-key"
    return f"{endpoint}#{digest}"


class LimiterUnavailableError(DeepSeekAPIError):
    """The limiter's shared store (Redis) cannot be reached; nothing was sent."""


class Bounds:
    """How long one request may wait in the limiter.

    ``deadline`` is an absolute ``time.monotonic()`` instant; ``max_pause`` the longest shared
    pause the request waits out (a longer one fails at once with :class:`RateLimitError`).
    """

    __slots__ = ("deadline", "max_pause")

    def __init__(self, deadline: float | None = None, max_pause: float | None = None) -> None:
        self.deadline = deadline
        self.max_pause = max_pause

    def slot_wait(self, account: str) -> float | None:
        """Seconds the request may still wait for a slot (None: no bound); raises
        :class:`DeadlineExceededError` when the deadline has passed."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.expired(account, "waiting for a concurrency slot of the limiter")
        return left

    def check_pause(self, account: str, left: float) -> None:
        """Refuse to wait out a shared pause of ``left`` seconds beyond either bound."""
        if self.max_pause is not None and left > self.max_pause:
            raise _paused(account, left, self.max_pause)
        if self.deadline is not None and time.monotonic() + left > self.deadline:
            raise self.expired(account, f"waiting out a shared 429 pause ({left:.1f} s left)")

    def expired(self, account: str, doing: str) -> DeadlineExceededError:
        """The error of a deadline that passed (or would pass) while ``doing``."""
        return DeadlineExceededError(
            _unsent_request(account),
            f"The request's deadline passed while {doing}; the request was not sent",
        )


NO_BOUNDS = Bounds()


def _unsent_request(account: str) -> httpx.Request:
    """The request an error of the limiter names: the account's chat URL (never the key)."""
    return httpx.Request("POST", account.rpartition("#")[0] + "/chat/completions")


def _paused(account: str, left: float, max_pause: float) -> RateLimitError:
    request = _unsent_request(account)
    seconds = math.ceil(left)
    message = (
        f"Every request of this account is paused for another {left:.0f} s by a 429's "
        f"Retry-After, longer than the longest wait allowed ({max_pause:g} s, the retry "
        "policy's max_retry_after); the request was not sent. Retry after that time."
    )
    response = httpx.Response(429, headers={"retry-after": str(seconds)}, request=request)
    return RateLimitError(
        message,
        response=response,
        body={"message": message, "type": "shared_pause"},
        retry_after=left,
    )


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
    def _acquire(
        self,
        pool: Pool,
        waived: float,
        sleep: Callable[[float], None],
        bounds: Bounds = NO_BOUNDS,
    ) -> Lease:
        """Wait out the account's pause (unless ``waived`` covers it) and for a slot, within
        ``bounds``."""

    @abc.abstractmethod
    async def _aacquire(
        self,
        pool: Pool,
        waived: float,
        sleep: Callable[[float], Awaitable[None]],
        bounds: Bounds = NO_BOUNDS,
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
