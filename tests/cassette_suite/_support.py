"""The vcrpy plumbing of the cassette suite: scrubbing, matching, YAML, and what a cassette says.

Everything a test asserts about "what the service returned" is read back from the cassette
itself (:func:`reply`), independently of the code under test, so the same assertions hold for
cassettes recorded from the emulator and from the real service.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vcr
import yaml
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from deepseekapi_core.wire._registry import Era

ROOT = Path(__file__).resolve().parents[2]
CASSETTE_DIR = ROOT / "cassettes"

MODE_ENV = "DEEPSEEKAPI_CASSETTE_MODE"
"""``replay`` (default: record mode "none"), ``emulator`` or ``real`` (record mode "all")."""

TEST_KEY = "sk-cassette0test0key0000000000000"
"""The key recordings from the emulator use; scrubbed like any other key."""
WRONG_KEY = "sk-wrong0key0for0the0401case00000"
"""A key the service refuses (the 401 cassettes)."""
REPLAY_BASE_URL = "http://127.0.0.1:9/v1"
"""Where replays point; never contacted (record mode "none" fails before any connection)."""

REDACTED_BEARER = "Bearer <REDACTED>"
REDACTED_KEY = "sk-<REDACTED>"
KEY_PATTERN = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9][A-Za-z0-9_-]{7,}")
"""A key-like string: scrubbed before writing, and searched for by the secrets test."""
BEARER_PATTERN = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}")
"""A bearer token (the placeholder ``Bearer <REDACTED>`` is not one)."""

_DROPPED_REQUEST_HEADERS = ("cookie", "host", "accept-encoding", "connection", "content-length")
_DROPPED_RESPONSE_HEADERS = frozenset(
    {"set-cookie", "date", "connection", "transfer-encoding", "content-length", "keep-alive"}
)
SCRIPTED_HEADER = "x-cassette-recorded-from"

CASSETTE_ERA = Era.V4
"""The era the cassettes were recorded in (the V4 emulator): clients and the recording
emulator follow its rules, so replays match byte for byte. Re-recording them for V4.1 (where
the legacy names get an explicit thinking switch) is one run of scripts/record_cassettes.py
with this set to ``Era.V4_1``."""


def mode() -> str:
    """The run's mode: ``replay``, ``emulator`` or ``real``."""
    value = os.environ.get(MODE_ENV, "replay").strip().lower() or "replay"
    if value not in ("replay", "emulator", "real"):
        raise ValueError(f"{MODE_ENV} must be replay, emulator or real, not {value!r}")
    return value


# ------------------------------------------------------------------------------------------------
# Scrubbing


def _secrets() -> list[str]:
    """Literal secrets to remove wherever they appear (the real key when recording for real)."""
    found = [TEST_KEY, WRONG_KEY]
    for name in ("DEEPSEEKAPI_API_KEY", "DEEPSEEK_API_KEY"):
        value = os.environ.get(name)
        if value and len(value) >= 8:
            found.append(value)
    return found


def scrub_text(text: str) -> str:
    """``text`` with every key (literal or key-like) replaced by ``sk-<REDACTED>``."""
    for secret in _secrets():
        text = text.replace(secret, REDACTED_KEY)
    text = KEY_PATTERN.sub(REDACTED_KEY, text)
    return BEARER_PATTERN.sub(REDACTED_BEARER, text)


def _scrub_body(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        scrubbed = scrub_text(text)
        return body if scrubbed == text else scrubbed.encode("utf-8")
    if isinstance(body, str):
        return scrub_text(body)
    return body


def scrub_request(request: VcrRequest) -> VcrRequest:
    """Called on every request before it is written (and before it is matched on replay)."""
    headers = request.headers
    for name in list(headers):
        lower = name.lower()
        if lower in _DROPPED_REQUEST_HEADERS:
            del headers[name]
        elif lower in ("authorization", "proxy-authorization", "api-key", "x-api-key"):
            headers[name] = REDACTED_BEARER if lower.endswith("authorization") else REDACTED_KEY
        else:
            headers[name] = scrub_text(headers[name])
    request.uri = scrub_text(request.uri)
    request.body = _scrub_body(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Called on every response before it is written: no cookies, no keys, body as text."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _DROPPED_RESPONSE_HEADERS:
            del headers[name]
        else:
            headers[name] = [scrub_text(value) for value in headers[name]]
    body = response.get("body", {})
    if isinstance(body, dict) and "string" in body:
        body["string"] = _scrub_body(body["string"])
    return response


# ------------------------------------------------------------------------------------------------
# Matching: method + path + query + JSON body; the host and port (loopback, real) are ignored.


def json_or_raw(body: Any) -> Any:
    """A request body as JSON when it parses, else as text (``None`` when empty)."""
    if body is None or body in (b"", ""):
        return None
    raw = body.decode("utf-8") if isinstance(body, bytes) else str(body)
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def json_body(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher: equal bodies, compared as JSON (key order and spacing do not matter)."""
    left, right = json_or_raw(r1.body), json_or_raw(r2.body)
    assert left == right, f"request bodies differ:\n  sent:     {left}\n  recorded: {right}"


MATCH_ON = ("method", "path", "query", "json_body")


# ------------------------------------------------------------------------------------------------
# Readable YAML: multi-line bodies (SSE streams) as literal blocks, long lines never folded.


class _ReadableDumper(yamlserializer._CassetteDumper):  # type: ignore[misc]
    pass


def _represent_str(dumper: yaml.BaseDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _represent_str)


class ReadableYaml:
    """vcrpy serializer: the stock safe loader, a dumper that keeps bodies readable."""

    @staticmethod
    def deserialize(cassette_string: str) -> Any:
        return yamlserializer.deserialize(cassette_string)

    @staticmethod
    def serialize(cassette_dict: Any) -> str:
        text: str = yaml.dump(
            cassette_dict,
            Dumper=_ReadableDumper,
            width=1_000_000,
            allow_unicode=True,
            sort_keys=False,
        )
        return text


def make_vcr(record_mode: str) -> vcr.VCR:
    """The suite's VCR: scrubbing, decoded bodies, host-agnostic matching, readable YAML."""
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTE_DIR),
        serializer="readable_yaml",
        record_mode=record_mode,
        match_on=MATCH_ON,
        before_record_request=scrub_request,
        before_record_response=(
            (scrub_response, mark_scripted) if mode() == "emulator" else scrub_response
        ),
        decode_compressed_response=True,
        drop_unused_requests=record_mode != "none",
    )
    recorder.register_serializer("readable_yaml", ReadableYaml())
    recorder.register_matcher("json_body", json_body)
    return recorder


# ------------------------------------------------------------------------------------------------
# What a cassette says, read independently of the code under test


def body_text(body: Any) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return "" if body is None else str(body)


def sent(cassette: Any, index: int) -> dict[str, Any]:
    """The JSON body of the cassette's request number ``index`` (what the client sent)."""
    body: dict[str, Any] = json.loads(body_text(cassette.requests[index].body))
    return body


def header(cassette: Any, index: int, name: str) -> str | None:
    """A response header of interaction ``index`` (first value), case-insensitive."""
    for key, values in cassette.responses[index]["headers"].items():
        if key.lower() == name.lower():
            return str(values[0]) if isinstance(values, list) else str(values)
    return None


def status(cassette: Any, index: int) -> int:
    code: int = cassette.responses[index]["status"]["code"]
    return code


def emulated(cassette: Any) -> bool:
    """Whether the cassette was recorded from the suite's scripted emulator, whose replies are
    then exactly the scripted ones (``SCRIPTED_HEADER`` is added when recording from it)."""
    return any(header(cassette, i, SCRIPTED_HEADER) for i in range(len(cassette.responses)))


def mark_scripted(response: dict[str, Any]) -> dict[str, Any]:
    """Label a response recorded from the suite's emulator (see :func:`emulated`)."""
    response.setdefault("headers", {})[SCRIPTED_HEADER] = ["scripted emulator"]
    return response


@dataclass
class Reply:
    """An assistant reply as the cassette holds it (a JSON body or a folded SSE stream)."""

    content: str = ""
    reasoning: str | None = None
    tool_calls: list[dict[str, str]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    chunks: int = 0


def _events(text: str) -> Iterable[str]:
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if data:
            yield "\n".join(data)


def reply(cassette: Any, index: int) -> Reply:
    """The reply of interaction ``index``: content, reasoning, tool calls, usage, finish."""
    text = body_text(cassette.responses[index]["body"]["string"])
    if not text.lstrip().startswith("{"):
        return _stream_reply(text)
    body = json.loads(text)
    choice = body["choices"][0]
    message = choice["message"]
    return Reply(
        content=message.get("content") or "",
        reasoning=message.get("reasoning_content"),
        tool_calls=[
            {
                "id": call["id"],
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
            }
            for call in message.get("tool_calls") or []
        ],
        finish_reason=choice.get("finish_reason"),
        usage=body.get("usage"),
        model=body.get("model"),
    )


def _stream_reply(text: str) -> Reply:
    out = Reply()
    reasoning: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    for data in _events(text):
        if data == "[DONE]":
            break
        chunk = json.loads(data)
        out.chunks += 1
        out.model = chunk.get("model", out.model)
        if chunk.get("usage"):
            out.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            out.content += delta.get("content") or ""
            if delta.get("reasoning_content"):
                reasoning.append(delta["reasoning_content"])
            for piece in delta.get("tool_calls") or []:
                call = calls.setdefault(piece["index"], {"id": "", "name": "", "arguments": ""})
                call["id"] = piece.get("id") or call["id"]
                function = piece.get("function") or {}
                call["name"] = function.get("name") or call["name"]
                call["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                out.finish_reason = choice["finish_reason"]
    out.reasoning = "".join(reasoning) or None
    out.tool_calls = [calls[i] for i in sorted(calls)]
    return out


def error_body(cassette: Any, index: int) -> dict[str, Any]:
    """The ``error`` object of an error response (JSON, whatever its content type)."""
    body: dict[str, Any] = json.loads(body_text(cassette.responses[index]["body"]["string"]))
    error: dict[str, Any] = body.get("error", body)
    return error
