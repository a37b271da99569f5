"""The per-key cap on requests in flight, as the service's per-account concurrency limit."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

__all__ = ["InFlight"]


def _account(key: str) -> str:
    # Counted per key without keeping the key itself.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]


class InFlight:
    """Counts chat requests in flight per API key and refuses those above ``limit``.

    A request is in flight from its arrival until its response is delivered: a streamed
    reply holds its slot until its last event is sent or the client leaves. The counters
    are kept whether or not a limit is set.

    Attributes:
        limit: The most requests one key may have in flight (None: no cap).
        retry_after: Seconds sent in ``Retry-After`` with each 429.
        max_seen: The most requests one key had in flight at once (refused ones not counted).
        rejected: How many requests were refused with 429.
    """

    def __init__(self, limit: int | None = None, *, retry_after: float = 1.0) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"max_in_flight_per_key must be at least 1, not {limit}")
        if retry_after < 0:
            raise ValueError("retry_after must not be negative")
        self.limit = limit
        self.retry_after = retry_after
        self.max_seen = 0
        self.rejected = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"InFlight(limit={self.limit}, now={self.total}, max_seen={self.max_seen}, "
            f"rejected={self.rejected})"
        )

    @property
    def total(self) -> int:
        """Requests in flight now, all keys together."""
        with self._lock:
            return sum(self._counts.values())

    def current(self, key: str) -> int:
        """Requests in flight now for ``key``."""
        with self._lock:
            return self._counts.get(_account(key), 0)

    def reset_counters(self) -> None:
        """Zero ``max_seen`` and ``rejected`` (requests in flight stay counted)."""
        with self._lock:
            self.max_seen = 0
            self.rejected = 0

    def enter(self, key: str) -> Callable[[], None] | None:
        """Take a slot for ``key``: the function that frees it, or None when over the cap."""
        account = _account(key)
        with self._lock:
            count = self._counts.get(account, 0)
            if self.limit is not None and count >= self.limit:
                self.rejected += 1
                return None
            self._counts[account] = count + 1
            self.max_seen = max(self.max_seen, count + 1)
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                remaining = self._counts[account] - 1
                if remaining:
                    self._counts[account] = remaining
                else:
                    del self._counts[account]

        return release
