"""The retry policy: which failures are retried and how long to wait before each retry."""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ._errors import (
    APIConnectionError,
    APIStatusError,
    DeadlineExceededError,
    DeepSeekAPIError,
    InsufficientSystemResourceError,
)

RETRYABLE_STATUS_CODES = frozenset({408, 409, 429, 500, 502, 503, 504})


def parse_retry_after(
    headers: httpx.Headers, *, now: Callable[[], float] = time.time
) -> float | None:
    """The wait the server asked for, in seconds, or None.

    ``retry-after-ms`` wins over ``Retry-After``; ``Retry-After`` may be seconds (fractions
    allowed) or an HTTP date. Negative, non-finite or unparsable values count as absent.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        seconds = email.utils.mktime_tz(parsed) - now()
        return max(seconds, 0.0)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait.

    Retried: 408, 409, 429, 500, 502, 503, 504, failures with no response (connection
    errors, timeouts) and a reply cut short by ``insufficient_system_resource`` before anything
    of it arrived. Never: 400, 401, 402, 403, 404, 422, or a stream that already delivered
    data. The wait is the server's ``Retry-After``/``retry-after-ms`` when given, taken as is;
    otherwise exponential backoff from ``initial_delay`` doubling up to ``max_delay``, shortened
    by up to 25 % of jitter so that clients do not retry in lockstep. A server wait longer than
    ``max_retry_after`` is not slept: the error is raised with ``retry_after`` set.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must be 0 or more")

    def is_retryable(self, error: DeepSeekAPIError) -> bool:
        """Whether ``error`` may be retried at all (attempts left aside)."""
        if isinstance(error, APIStatusError):
            return error.status_code in RETRYABLE_STATUS_CODES
        if isinstance(error, InsufficientSystemResourceError):
            return not error.delivered
        if isinstance(error, DeadlineExceededError):
            return False
        return isinstance(error, APIConnectionError)

    def backoff(self, retries_taken: int) -> float:
        """The client-side wait before retry number ``retries_taken + 1``."""
        delay = min(self.initial_delay * 2.0 ** min(retries_taken, 64), self.max_delay)
        return delay * (1 - 0.25 * self.jitter())

    def wait_before_retry(self, error: DeepSeekAPIError, retries_taken: int) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to raise it now."""
        if retries_taken >= self.max_retries or not self.is_retryable(error):
            return None
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return error.retry_after
        return self.backoff(retries_taken)
