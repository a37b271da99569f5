"""An optional overall deadline for one request: every attempt, retry wait and read counted."""

from __future__ import annotations

import time

import httpx

from ._errors import DeadlineExceededError


class Deadline:
    """When a request must be over, or never (``seconds`` None).

    The read timeout applies to each read, so a server that keeps a request alive with blank
    lines or ``: keep-alive`` comments never trips it; the deadline is checked after every
    piece of body, before every attempt and retry wait, and caps each attempt's timeouts.
    """

    __slots__ = ("end", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline."""
        if self.end is None:
            return None
        return max(self.end - time.monotonic(), 0.0)

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.end is not None and time.monotonic() >= self.end

    def cap(self, request: httpx.Request) -> None:
        """Shorten the request's timeouts to the time left, so no wait outlasts the deadline."""
        remaining = self.remaining()
        if remaining is None:
            return
        timeouts = dict(request.extensions.get("timeout") or {})
        for name in ("connect", "read", "write", "pool"):
            value = timeouts.get(name)
            timeouts[name] = remaining if value is None else min(value, remaining)
        request.extensions["timeout"] = timeouts

    def error(
        self,
        request: httpx.Request,
        doing: str,
        *,
        partial_content: str = "",
        partial_reasoning: str = "",
        partial_tool_calls: list[dict[str, str]] | None = None,
    ) -> DeadlineExceededError:
        """The error for a deadline that passed while ``doing`` something."""
        delivered = ""
        if partial_content or partial_reasoning:
            delivered = (
                f" after {len(partial_content)} characters of answer and "
                f"{len(partial_reasoning)} of reasoning had been delivered"
            )
        return DeadlineExceededError(
            request,
            f"The request's deadline of {self.seconds:g} s passed while {doing}{delivered}; "
            "not retried",
            partial_content=partial_content,
            partial_reasoning=partial_reasoning,
            partial_tool_calls=partial_tool_calls,
        )
