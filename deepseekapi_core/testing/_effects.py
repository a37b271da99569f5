"""What each fault does to a request: answer in the service's place, or alter its reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ._compose import Reply
from ._faults import FaultKind, FaultRule
from ._leaks import leaked_text
from ._render import KEEP_ALIVE_FRAME, text_pieces
from ._wire import (
    EMULATOR_HEADER,
    HTML_PAGE,
    REASONS,
    EmulatedResponse,
    retry_headers,
    sse_data,
    status_error,
)

__all__ = ["alter_on_wire", "alter_reply", "answer_at_gateway", "delays"]


def delays(rules: list[FaultRule]) -> tuple[float, float]:
    """The latency faults' wait before the reply and between stream events."""
    before = sum(rule.seconds for rule in rules if rule.kind is FaultKind.LATENCY)
    between = sum(rule.per_event for rule in rules if rule.kind is FaultKind.LATENCY)
    return before, between


def answer_at_gateway(
    rules: list[FaultRule], trace_id: Callable[[], str]
) -> EmulatedResponse | None:
    """The response a gateway fault sends instead of the service's (None: let it through)."""
    for rule in rules:
        if rule.kind is FaultKind.STATUS:
            return status_error(
                rule.status,
                trace_id=trace_id(),
                message=rule.message,
                error_type=rule.error_type,
                headers=retry_headers(rule.retry_after, rule.retry_after_ms),
            )
        if rule.kind is FaultKind.HTML_ERROR:
            reason = REASONS.get(rule.status, "Error")
            return EmulatedResponse(
                rule.status,
                [("content-type", "text/html"), ("server", "elb"), EMULATOR_HEADER],
                HTML_PAGE.format(status=rule.status, reason=reason).encode(),
            )
        if rule.kind is FaultKind.DROP:
            return EmulatedResponse(0, [], drop=True)
    return None


def alter_reply(reply: Reply, rules: list[FaultRule]) -> Reply:
    """Apply reply faults to the composed reply (at most one applies)."""
    for rule in rules:
        if rule.kind is FaultKind.LEAKED_TOOL_CALL:
            calls = [(call.name, call.arguments) for call in reply.tool_calls]
            leaked = leaked_text(rule.shape, calls)
            content = f"{rule.text}{leaked}" if rule.text else leaked
            return replace(reply, content=content, tool_calls=[], finish_reason="stop")
        if rule.kind is FaultKind.JSON_WHITESPACE:
            return replace(reply, content=rule.text, tool_calls=[], finish_reason="stop")
        if rule.kind is FaultKind.INSUFFICIENT_RESOURCE:
            return _cut_short(reply, rule.count)
    return reply


def _cut_short(reply: Reply, delivered: int) -> Reply:
    """The reply as far as ``delivered`` stream pieces, ended for lack of resources."""
    reasoning_pieces = text_pieces(reply.reasoning or "")[:delivered]
    content_pieces = text_pieces(reply.content)[: max(delivered - len(reasoning_pieces), 0)]
    return Reply(
        content="".join(content_pieces),
        reasoning=None if reply.reasoning is None else "".join(reasoning_pieces),
        tool_calls=[],
        finish_reason="insufficient_system_resource",
    )


def alter_on_wire(response: EmulatedResponse, rules: list[FaultRule]) -> None:
    """Apply wire faults to a successful reply's body or stream frames, in place."""
    for rule in rules:
        events = response.events
        if rule.kind is FaultKind.KEEP_ALIVE:
            if events is not None:
                events[0:0] = [KEEP_ALIVE_FRAME] * rule.count
            else:
                response.body = b"\n" * rule.count + response.body
        elif rule.kind is FaultKind.MALFORMED:
            if events is None:
                response.body = response.body[: max(len(response.body) // 2, 1)]
            else:
                _truncate_event(events, rule.after_events)
        elif rule.kind is FaultKind.CUT_STREAM and events is not None:
            response.cut_after = _frame_after(events, rule.after_events)
        elif rule.kind is FaultKind.STALL_STREAM and events is not None:
            response.stall_after = _frame_after(events, rule.after_events)
            response.stall_seconds = rule.duration
        elif rule.kind is FaultKind.STREAM_ERROR and events is not None:
            position = _frame_after(events, rule.after_events)
            del events[position:]
            events.append(sse_data(_error_object(rule)))


def _error_object(rule: FaultRule) -> dict[str, object]:
    return {
        "error": {
            "message": rule.message,
            "type": rule.error_type,
            "param": None,
            "code": rule.error_type,
        }
    }


def _truncate_event(events: list[bytes], after: int) -> None:
    """Cut the first JSON event after ``after`` data events in half (a broken frame)."""
    position = _frame_after(events, after)
    while position < len(events) - 1 and not events[position].startswith(b"data: {"):
        position += 1
    broken = events[position]
    events[position] = broken[: max(len(broken) // 2, 8)] + b"\n\n"


def _frame_after(events: list[bytes], after: int) -> int:
    """The position in ``events`` just after ``after`` data events (keep-alives skipped)."""
    seen = 0
    for position, frame in enumerate(events):
        if seen >= after:
            return position
        if frame.startswith(b"data: "):
            seen += 1
    return len(events) - 1
