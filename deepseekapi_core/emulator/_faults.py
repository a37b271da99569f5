"""Fault injection: errors, latency, dropped connections and broken bodies on demand."""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass, field

__all__ = ["FaultKind", "FaultRule", "FaultStage", "Faults"]


class FaultKind(str, enum.Enum):
    """What a fault rule does to a request."""

    STATUS = "status"
    """Answer with an error status (and ``Retry-After`` headers) instead of a reply."""
    HTML_ERROR = "html_error"
    """Answer with a gateway's HTML error page (502 by default)."""
    DROP = "drop"
    """Close the connection without any response."""
    LATENCY = "latency"
    """Wait before answering (and optionally between stream events)."""
    CUT_STREAM = "cut_stream"
    """Drop the connection after N events of a streamed reply (streams only)."""
    STREAM_ERROR = "stream_error"
    """Send an error object inside a 200 stream after N events, then end (streams only)."""
    MALFORMED = "malformed"
    """Truncate the JSON body (or, in a stream, one event's JSON)."""
    KEEP_ALIVE = "keep_alive"
    """Precede the reply with keep-alive lines (blank lines, or ``: keep-alive`` in streams)."""


class FaultStage(str, enum.Enum):
    """When a fault acts on a request."""

    GATEWAY = "gateway"
    """Before the service sees the request, as a gateway in front of it would."""
    WIRE = "wire"
    """On the bytes of a successful reply."""


_STREAM_ONLY = frozenset({FaultKind.CUT_STREAM, FaultKind.STREAM_ERROR})
_ANSWERS_INSTEAD = frozenset({FaultKind.STATUS, FaultKind.HTML_ERROR, FaultKind.DROP})
"""Gateway faults that answer in place of the service (so at most one applies)."""
_STAGES: dict[FaultKind, FaultStage] = {
    FaultKind.STATUS: FaultStage.GATEWAY,
    FaultKind.HTML_ERROR: FaultStage.GATEWAY,
    FaultKind.DROP: FaultStage.GATEWAY,
    FaultKind.LATENCY: FaultStage.GATEWAY,
    FaultKind.CUT_STREAM: FaultStage.WIRE,
    FaultKind.STREAM_ERROR: FaultStage.WIRE,
    FaultKind.MALFORMED: FaultStage.WIRE,
    FaultKind.KEEP_ALIVE: FaultStage.WIRE,
}


@dataclass
class FaultRule:
    """One injected fault; it applies ``times`` more times, or to a ``rate`` of requests.

    ``hits`` counts the requests it has applied to so far.
    """

    kind: FaultKind
    times: int | None = 1
    rate: float | None = None
    status: int = 0
    message: str | None = None
    error_type: str | None = None
    retry_after: float | str | None = None
    retry_after_ms: float | None = None
    seconds: float = 0.0
    per_event: float = 0.0
    after_events: int = 0
    count: int = 1
    hits: int = field(default=0, init=False)

    @property
    def exhausted(self) -> bool:
        """Whether the rule will never apply again."""
        return self.times is not None and self.times <= 0

    @property
    def stage(self) -> FaultStage:
        """When the rule acts on a request."""
        return _STAGES[self.kind]

    @property
    def stream_only(self) -> bool:
        """Whether the rule applies to streamed replies only."""
        return self.kind in _STREAM_ONLY


class Faults:
    """The emulator's fault rules. Each method adds one rule and returns it.

    By default a rule applies to the next request only; ``times=N`` makes it apply to the next
    N requests, ``rate=0.3`` to a seeded-random 30 % of requests (for ever, unless ``times``
    also caps it). Status, HTML, drop and latency faults apply before anything else (as a
    gateway in front of the service would); the others alter a successful reply; stream faults
    wait for a streamed request.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.injected = 0
        """How many times any fault has been applied."""

    def __len__(self) -> int:
        return sum(1 for rule in self._rules if not rule.exhausted)

    @property
    def rules(self) -> list[FaultRule]:
        """The rules that may still apply, in the order they were added."""
        return [rule for rule in self._rules if not rule.exhausted]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def _add(self, rule: FaultRule) -> FaultRule:
        if rule.rate is None and rule.times is None:
            rule.times = 1
        if rule.rate is not None and not 0.0 <= rule.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {rule.rate}")
        if rule.times is not None and rule.times < 1:
            raise ValueError(f"times must be at least 1, not {rule.times}")
        with self._lock:
            self._rules.append(rule)
        return rule

    def status(
        self,
        status: int,
        *,
        message: str | None = None,
        error_type: str | None = None,
        retry_after: float | str | None = None,
        retry_after_ms: float | None = None,
        times: int | None = None,
        rate: float | None = None,
    ) -> FaultRule:
        """Answer with HTTP ``status`` and the service's error body for it.

        ``retry_after`` sends ``Retry-After`` (a number of seconds, or a string sent as is,
        e.g. an HTTP date); ``retry_after_ms`` sends ``retry-after-ms``.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), not {status}")
        return self._add(
            FaultRule(
                FaultKind.STATUS,
                times=times,
                rate=rate,
                status=status,
                message=message,
                error_type=error_type,
                retry_after=retry_after,
                retry_after_ms=retry_after_ms,
            )
        )

    def html_error(
        self, status: int = 502, *, times: int | None = None, rate: float | None = None
    ) -> FaultRule:
        """Answer with a gateway's HTML error page (``text/html``) and ``status``."""
        return self._add(FaultRule(FaultKind.HTML_ERROR, times=times, rate=rate, status=status))

    def drop_connection(self, *, times: int | None = None, rate: float | None = None) -> FaultRule:
        """Close the connection without sending any response."""
        return self._add(FaultRule(FaultKind.DROP, times=times, rate=rate))

    def latency(
        self,
        seconds: float,
        *,
        per_event: float = 0.0,
        times: int | None = None,
        rate: float | None = None,
    ) -> FaultRule:
        """Wait ``seconds`` before answering and ``per_event`` seconds between stream events.

        The in-process transport honours the request's read timeout: a wait longer than it
        raises ``httpx.ReadTimeout`` after the timeout, as a real connection would.
        """
        if seconds < 0 or per_event < 0:
            raise ValueError("latency must not be negative")
        return self._add(
            FaultRule(
                FaultKind.LATENCY, times=times, rate=rate, seconds=seconds, per_event=per_event
            )
        )

    def cut_stream(
        self, after_events: int = 1, *, times: int | None = None, rate: float | None = None
    ) -> FaultRule:
        """Drop the connection of the next streamed reply after ``after_events`` data events."""
        if after_events < 0:
            raise ValueError("after_events must not be negative")
        return self._add(
            FaultRule(FaultKind.CUT_STREAM, times=times, rate=rate, after_events=after_events)
        )

    def stream_error(
        self,
        after_events: int = 1,
        *,
        message: str = "Server Error",
        error_type: str = "server_error",
        times: int | None = None,
        rate: float | None = None,
    ) -> FaultRule:
        """Send ``{"error": {...}}`` inside the next 200 stream after ``after_events`` events."""
        if after_events < 0:
            raise ValueError("after_events must not be negative")
        return self._add(
            FaultRule(
                FaultKind.STREAM_ERROR,
                times=times,
                rate=rate,
                after_events=after_events,
                message=message,
                error_type=error_type,
            )
        )

    def malformed_body(
        self, *, after_events: int = 1, times: int | None = None, rate: float | None = None
    ) -> FaultRule:
        """Truncate the reply's JSON: the whole body, or in a stream the event after
        ``after_events`` events (the stream then ends with ``[DONE]``)."""
        return self._add(
            FaultRule(FaultKind.MALFORMED, times=times, rate=rate, after_events=after_events)
        )

    def keep_alive(
        self, count: int = 3, *, times: int | None = None, rate: float | None = None
    ) -> FaultRule:
        """Precede the reply with ``count`` keep-alive lines, as the service does under load:
        blank lines before a JSON body, ``: keep-alive`` comments before stream events."""
        if count < 1:
            raise ValueError("count must be at least 1")
        return self._add(FaultRule(FaultKind.KEEP_ALIVE, times=times, rate=rate, count=count))

    def take(self, stage: FaultStage, *, streaming: bool) -> list[FaultRule]:
        """The rules that apply to the request now at ``stage``, counted as applied.

        Rates are drawn here, so call it once per request and stage.
        """
        if not self._rules:
            return []
        applied: list[FaultRule] = []
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or rule.stage is not stage:
                    continue
                if rule.stream_only and not streaming:
                    continue
                if rule.rate is not None and self._random.random() >= rule.rate:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                rule.hits += 1
                self.injected += 1
                applied.append(rule)
                if rule.kind in _ANSWERS_INSTEAD:
                    break
            if any(rule.exhausted for rule in self._rules):
                self._rules = [rule for rule in self._rules if not rule.exhausted]
        return applied
