"""The emulator's FIM completion (``POST /beta/completions``): checks, reply, wire.

The field kinds and bounds come from :class:`~deepseekapi_core.wire.FIMRequest` (as chat's come
from ``ChatRequest``), so ``max_tokens`` above 4096 gets the service's range error. The
service's own wording for a FIM request naming a thinking-only model is not documented; the
emulator's is its own (see ``docs/fim_completion.md``). With no scripted reply, the middle is
composed from the prompt and suffix so that tests can tell what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ..wire._fim import FIM_MAX_TOKENS, FIMRequest, fim_model_ids
from ..wire._registry import Era, get_model_profile, listed_model_ids
from ._checks.eras import ERA_RULES
from ._checks.errors import ShapeError, bad_request, describe, unreadable
from ._checks.fields import derive_checks
from ._checks.ranges import MAX_STOP_SEQUENCES, stop_sequences
from ._checks.shape import _is_kind
from ._render import Envelope, text_pieces
from ._replies import TOKEN_PATTERN, count_tokens
from ._script import ScriptedReply
from ._wire import EMULATOR_HEADER, EmulatedResponse, dumps, sse_data

__all__ = ["FIMCall", "check_fim", "fim_reply", "render_fim"]

_OWN = frozenset({"model", "prompt", "stop"})
_KINDS, _BOUNDS, _OBJECTS = derive_checks(FIMRequest, FIMRequest.NON_WIRE_FIELDS | _OWN)
_LAST_WORD = re.compile(r"(\w+)\W*$")
_FIRST_WORD = re.compile(r"^\W*(\w+)")


@dataclass(frozen=True)
class FIMCall:
    """A FIM request the service accepts, as the reply needs it."""

    model: str
    response_model: str
    prompt: str
    suffix: str
    echo: bool
    logprobs: int | None
    max_tokens: int | None
    stop: list[str]
    stream: bool
    include_usage: bool


def check_fim(body: object, size: int, *, era: Era, models: Collection[str]) -> FIMCall:
    """Check a parsed FIM body as the service would (422 for shapes, 400 for values)."""
    try:
        return _check(body, era, models)
    except ShapeError as error:
        raise unreadable(error, size) from None


def _check_shape(body: object) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise ShapeError(f"invalid type: {describe(body)}, expected struct CompletionRequest")
    for name in ("model", "prompt"):
        if name not in body:
            raise ShapeError(f"missing field `{name}`")
        if not isinstance(body[name], str):
            raise ShapeError(f"{name}: invalid type: {describe(body[name])}, expected a string")
    for name, kind in _KINDS.items():
        value = body.get(name)
        if value is not None and not _is_kind(value, kind):
            problem = "value" if kind == "u32" else "type"
            raise ShapeError(f"{name}: invalid {problem}: {describe(value)}, expected {kind}")
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise ShapeError("stop: data did not match any variant of untagged enum StopSequence")
    return body


def _check(body: object, era: Era, models: Collection[str]) -> FIMCall:
    request = _check_shape(body)
    model: str = request["model"]
    if model not in models:
        if ERA_RULES[era].names_supported_models:
            listed = [m for m in listed_model_ids(era) if m in fim_model_ids(era)]
            raise bad_request(f"The supported API model names are {', '.join(listed)}")
        raise bad_request("Model Not Exist")
    profile = get_model_profile(model, era)
    if not profile.supports_fim:
        raise bad_request(f"{model} does not support FIM completion (non-thinking mode only)")
    for name, bound in _BOUNDS.items():
        value = request.get(name)
        if value is not None and not bound.contains(value):
            raise bad_request(f"Invalid {name} value, the valid range of {name} is {bound.shown()}")
    for name, adapter in _OBJECTS.items():
        value = request.get(name)
        if value is not None:
            try:
                adapter.validate_python(value)
            except ValueError:
                raise bad_request(f"Invalid {name} value") from None
    stream = request.get("stream") is True
    if request.get("stream_options") is not None and not stream:
        raise bad_request("stream_options should be set along with stream = true")
    if request.get("echo") and (request.get("suffix") is not None or request.get("logprobs")):
        raise bad_request("echo cannot be used with suffix or logprobs")
    stop = stop_sequences(request)
    if len(stop) > MAX_STOP_SEQUENCES:
        raise bad_request(
            f"Invalid stop value: up to {MAX_STOP_SEQUENCES} stop sequences are supported"
        )
    options = request.get("stream_options")
    return FIMCall(
        model=model,
        response_model=ERA_RULES[era].answered_as.get(model, model),
        prompt=request["prompt"],
        suffix=request.get("suffix") or "",
        echo=bool(request.get("echo")),
        logprobs=request.get("logprobs"),
        max_tokens=request.get("max_tokens"),
        stop=stop,
        stream=stream,
        include_usage=bool(stream and isinstance(options, dict) and options.get("include_usage")),
    )


def _composed_middle(call: FIMCall) -> str:
    """A deterministic middle naming the words either side of the gap."""
    before = _LAST_WORD.search(call.prompt)
    after = _FIRST_WORD.search(call.suffix)
    left = before.group(1) if before else "start"
    if not call.suffix:
        return f" [emulated {call.response_model} completion after {left!r}]"
    indent = re.match(r"[ \t]*", call.suffix.lstrip("\n"))
    pad = indent.group(0) if indent else ""
    right = after.group(1) if after else "end"
    start = "" if call.prompt.endswith("\n") else "\n"
    return f"{start}{pad}# [emulated {call.response_model} middle between {left!r} and {right!r}]\n"


def fim_reply(call: FIMCall, scripted: ScriptedReply | None) -> tuple[str, str]:
    """The reply's text and finish reason: scripted or composed, then ``stop`` and
    ``max_tokens`` (at most 4K) applied, the prompt in front when ``echo``."""
    text = scripted.content if scripted is not None else _composed_middle(call)
    finish = (scripted.finish_reason if scripted is not None else None) or "stop"
    cut = min((i for i in (text.find(s) for s in call.stop if s) if i >= 0), default=-1)
    if cut >= 0:
        text, finish = text[:cut], "stop"
    spans = list(TOKEN_PATTERN.finditer(text))
    most = min(call.max_tokens or FIM_MAX_TOKENS, FIM_MAX_TOKENS)
    if len(spans) > most:
        text, finish = text[: spans[most - 1].end()], "length"
    return (call.prompt + text if call.echo else text), finish


def _logprobs(text: str, start: int, top: int) -> dict[str, Any]:
    tokens = [match.group(0) for match in TOKEN_PATTERN.finditer(text)]
    offsets = [start + match.start() for match in TOKEN_PATTERN.finditer(text)]
    return {
        "text_offset": offsets,
        "token_logprobs": [-0.01] * len(tokens),
        "tokens": tokens,
        "top_logprobs": [{token: -0.01} if top else {} for token in tokens],
    }


def render_fim(call: FIMCall, text: str, finish: str, envelope: Envelope) -> EmulatedResponse:
    """The reply as a ``text_completion`` body, or its stream (usage on the last chunk)."""
    prompt_tokens = count_tokens(call.prompt) + count_tokens(call.suffix)
    completion_tokens = count_tokens(text)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_cache_hit_tokens": 0,
        "prompt_cache_miss_tokens": prompt_tokens,
    }
    head: dict[str, Any] = {
        "id": envelope.completion_id,
        "object": "text_completion",
        "created": envelope.created,
        "model": envelope.model,
        "system_fingerprint": envelope.fingerprint,
    }
    headers = [("x-ds-trace-id", envelope.trace_id), EMULATOR_HEADER]
    start = len(call.prompt) if not call.echo else 0
    if not call.stream:
        logprobs = _logprobs(text, start, call.logprobs) if call.logprobs is not None else None
        choice = {"text": text, "index": 0, "logprobs": logprobs, "finish_reason": finish}
        body = {**head, "choices": [choice], "usage": usage}
        return EmulatedResponse(200, [("content-type", "application/json"), *headers], dumps(body))
    events: list[bytes] = []
    offset = start
    for piece in text_pieces(text):
        logprobs = _logprobs(piece, offset, call.logprobs) if call.logprobs is not None else None
        choice = {"text": piece, "index": 0, "logprobs": logprobs, "finish_reason": None}
        chunk = {**head, "choices": [choice]}
        if call.include_usage:
            chunk["usage"] = None
        events.append(sse_data(chunk))
        offset += len(piece)
    last = {"text": "", "index": 0, "logprobs": None, "finish_reason": finish}
    events.append(sse_data({**head, "choices": [last], "usage": usage}))
    events.append(b"data: [DONE]\n\n")
    stream_headers = [
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
    ]
    return EmulatedResponse(200, [*stream_headers, *headers], events=events)
