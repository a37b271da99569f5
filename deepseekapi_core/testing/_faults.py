"""Fault injection: errors, latency, dropped connections, broken bodies and the service's own
odd replies (leaked tool calls, whitespace JSON, resource exhaustion, stalls) on demand."""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass, field

__all__ = ["LEAK_SHAPES", "FaultKind", "FaultRule", "FaultStage", "Faults"]


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
    STALL_STREAM = "stall_stream"
    """Go silent after N events of a streamed reply, connection open (streams only)."""
    LEAKED_TOOL_CALL = "leaked_tool_call"
    """Write a reply's tool calls into ``content`` (``finish_reason: "stop"``, no tool calls)."""
    JSON_WHITESPACE = "json_whitespace"
    """Answer a JSON-mode request with whitespace only (``finish_reason: "stop"``)."""
    INSUFFICIENT_RESOURCE = "insufficient_resource"
    """End the reply early with ``finish_reason: "insufficient_system_resource"``."""


LEAK_SHAPES = ("dsml", "tool_call_tag", "fenced_json", "bare_json")
"""The shapes a leaked tool call takes in ``content`` (see :meth:`Faults.leaked_tool_call`)."""


class FaultStage(str, enum.Enum):
    """When a fault acts on a request."""

    GATEWAY = "gateway"
    """Before the service sees the request, as a gateway in front of it would."""
    REPLY = "reply"
    """On the reply the service composed, before it is put on the wire."""
    WIRE = "wire"
    """On the bytes of a successful reply."""


_STREAM_ONLY = frozenset({FaultKind.CUT_STREAM, FaultKind.STREAM_ERROR, FaultKind.STALL_STREAM})
_EXCLUSIVE = frozenset(
    {
        FaultKind.STATUS,
        FaultKind.HTML_ERROR,
        FaultKind.DROP,
        FaultKind.LEAKED_TOOL_CALL,
        FaultKind.JSON_WHITESPACE,
        FaultKind.INSUFFICIENT_RESOURCE,
    }
)
"""Faults that replace the answer or the reply (so at most one of them applies)."""
_STAGES: dict[FaultKind, FaultStage] = {
    FaultKind.STATUS: FaultStage.GATEWAY,
    FaultKind.HTML_ERROR: FaultStage.GATEWAY,
    FaultKind.DROP: FaultStage.GATEWAY,
    FaultKind.LATENCY: FaultStage.GATEWAY,
    FaultKind.CUT_STREAM: FaultStage.WIRE,
    FaultKind.STREAM_ERROR: FaultStage.WIRE,
    FaultKind.MALFORMED: FaultStage.WIRE,
    FaultKind.KEEP_ALIVE: FaultStage.WIRE,
    FaultKind.STALL_STREAM: FaultStage.WIRE,
    FaultKind.LEAKED_TOOL_CALL: FaultStage.REPLY,
    FaultKind.JSON_WHITESPACE: FaultStage.REPLY,
    FaultKind.INSUFFICIENT_RESOURCE: FaultStage.REPLY,
}


@dataclass
class FaultRule:
    """One injected fault; it applies ``times`` more times, or to a ``rate`` of requests.

    ``hits`` counts the requests it has applied to so far. The other fields are the
    parameters of the :class:`Faults` method that made the rule: ``count`` is the number of
    keep-alive lines, or the pieces delivered before ``insufficient_system_resource``;
    ``text`` is a leaked call's preamble, or the whitespace of a JSON-mode reply; ``shape``
    is a leaked call's shape; ``duration`` is how long a stall lasts (None: for ever).
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
    shape: str = ""
    text: str = ""
    duration: float | None = None
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

    def waits_for(self, *, streaming: bool, calls_tools: bool, json_mode: bool) -> bool:
        """Whether the rule passes over a request like this one, waiting for one it fits."""
        if self.stream_only and not streaming:
            return True
        if self.kind is FaultKind.LEAKED_TOOL_CALL and not calls_tools:
            return True
        return self.kind is FaultKind.JSON_WHITESPACE and not json_mode


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

    def stall_stream(
        self,
        after_events: int = 2,
        *,
        seconds: float | None = None,
        times: int | None = None,
        rate: float | None = None,
    ) -> FaultRule:
        """Go silent after ``after_events`` data events of the next streamed reply: no
        ``finish_reason``, no ``[DONE]``, the connection left open.

        The stream stays silent for ``seconds`` and is then closed without its end (``None``:
        until the client gives up or the server stops). The default, 2 events, stalls a
        thinking-mode stream mid-reasoning: the role chunk and one reasoning piece arrive.
        On the in-process transport the request's read timeout raises ``httpx.ReadTimeout``
        as on a socket (with no read timeout and ``seconds=None`` the read blocks for ever).
        """
        if after_events < 0:
            raise ValueError("after_events must not be negative")
        if seconds is not None and seconds < 0:
            raise ValueError("seconds must not be negative")
        return self._add(
            FaultRule(
                FaultKind.STALL_STREAM,
                times=times,
                rate=rate,
                after_events=after_events,
                duration=seconds,
            )
        )

    def leaked_tool_call(
        self,
        shape: str = "dsml",
        *,
        preamble: str = "",
        times: int | None = None,
        rate: float | None = None,
    ) -> FaultRule:
        """Write the next tool-calling reply's calls into ``content`` instead of ``tool_calls``,
        with ``finish_reason: "stop"``, as the service sometimes does (plain and streamed).

        ``shape`` is one of :data:`LEAK_SHAPES`: ``"dsml"`` (DeepSeek's DSML markup,
        ``<｜DSML｜tool_calls>...``), ``"tool_call_tag"`` (``<tool_call>{...}</tool_call>``),
        ``"fenced_json"`` (a json code fence) or ``"bare_json"`` (``{"name": ..., "arguments":
        ...}``). ``preamble`` is text written before the call. The rule waits for a reply that
        calls tools (scripted or generated); replies without calls pass untouched.
        """
        if shape not in LEAK_SHAPES:
            raise ValueError(f"shape must be one of {', '.join(LEAK_SHAPES)}, not {shape!r}")
        return self._add(
            FaultRule(
                FaultKind.LEAKED_TOOL_CALL, times=times, rate=rate, shape=shape, text=preamble
            )
        )

    def json_whitespace(
        self,
        whitespace: str = "\n\n  \n\n  ",
        *,
        times: int | None = None,
        rate: float | None = None,
    ) -> FaultRule:
        """Answer the next JSON-mode request with ``whitespace`` as its whole content and
        ``finish_reason: "stop"`` (the service replaces output that is not JSON with spaces).

        The rule waits for a request with ``response_format: {"type": "json_object"}``.
        """
        if not whitespace or whitespace.strip():
            raise ValueError("whitespace must be a non-empty string of whitespace only")
        return self._add(
            FaultRule(FaultKind.JSON_WHITESPACE, times=times, rate=rate, text=whitespace)
        )

    def insufficient_system_resource(
        self, delivered: int = 0, *, times: int | None = None, rate: float | None = None
    ) -> FaultRule:
        """End the next reply with ``finish_reason: "insufficient_system_resource"`` after
        ``delivered`` text pieces (reasoning pieces first, then answer pieces, as a stream
        sends them; 0: nothing at all), with no tool calls.

        A plain reply carries the delivered text; a stream sends those pieces, then the finish
        chunk with that reason (and usage), then ``[DONE]``.
        """
        if delivered < 0:
            raise ValueError("delivered must not be negative")
        return self._add(
            FaultRule(FaultKind.INSUFFICIENT_RESOURCE, times=times, rate=rate, count=delivered)
        )

    def take(
        self,
        stage: FaultStage,
        *,
        streaming: bool,
        calls_tools: bool = False,
        json_mode: bool = False,
    ) -> list[FaultRule]:
        """The rules that apply to the request now at ``stage``, counted as applied.

        ``streaming``, ``calls_tools`` (the composed reply calls tools) and ``json_mode``
        describe the request, for rules that wait for a certain kind of request. Rates are
        drawn here, so call it once per request and stage.
        """
        if not self._rules:
            return []
        applied: list[FaultRule] = []
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or rule.stage is not stage:
                    continue
                if rule.waits_for(
                    streaming=streaming, calls_tools=calls_tools, json_mode=json_mode
                ):
                    continue
                if rule.rate is not None and self._random.random() >= rule.rate:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                rule.hits += 1
                self.injected += 1
                applied.append(rule)
                if rule.kind in _EXCLUSIVE:
                    break
            if any(rule.exhausted for rule in self._rules):
                self._rules = [rule for rule in self._rules if not rule.exhausted]
        return applied
