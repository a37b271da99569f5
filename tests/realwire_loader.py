"""Load the real DeepSeek HTTP recordings in ``tests/data/realwire/`` for replay in tests.

The recordings are verbatim copies of other projects' cassettes (see ``SOURCES.md`` there) in two
formats, both normalised here to :class:`Interaction` objects:

* pydantic-ai (``pydantic-ai__*.yaml``): JSON bodies stored parsed under ``parsed_body``;
  streaming bodies raw under ``response.body.string``.
* ruby_llm (``ruby_llm__*.yml``, Ruby VCR): raw ``body.string``; non-ASCII bodies stored as YAML
  ``!binary`` (base64).

Use :meth:`RecordedResponse.to_httpx` (or :func:`replay_transport`) to serve a recorded response
from an ``httpx.MockTransport``, optionally split into small byte pieces so that stream decoding
meets chunk boundaries anywhere (including inside multi-byte UTF-8 characters).

Suites other than ``tests/core`` may import this module (``from tests.realwire_loader import ...``).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml

__all__ = [
    "REALWIRE_DIR",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "all_interactions",
    "expected_stream_result",
    "load_recording",
    "recording_names",
    "replay_transport",
    "sse_payloads",
]

_HERE = Path(__file__).resolve().parent


def _find_dir() -> Path:
    override = os.environ.get("DEEPSEEKAPI_REALWIRE_DIR")
    candidates = [Path(override)] if override else []
    candidates += [_HERE / "data" / "realwire", _HERE.parent.parent / "shared" / "realwire"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no realwire recordings in any of {candidates}")


REALWIRE_DIR = _find_dir()
"""Where the recordings live (``$DEEPSEEKAPI_REALWIRE_DIR``, else ``tests/data/realwire``)."""

# Headers describing the recorded transfer, not the body we replay (the body is stored decoded
# and, for pydantic-ai, re-serialised, so a recorded Content-Length would be wrong).
_TRANSFER_HEADERS = frozenset({"content-length", "transfer-encoding", "content-encoding"})


class _Loader(yaml.SafeLoader):
    """A SafeLoader that understands Ruby VCR's ``!binary`` (base64) scalars."""


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    assert isinstance(node, yaml.ScalarNode)
    return base64.b64decode(loader.construct_scalar(node))


_Loader.add_constructor("!binary", _binary)


@dataclass(frozen=True)
class RecordedRequest:
    """The request as recorded (its body parsed as JSON)."""

    method: str
    uri: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


@dataclass(frozen=True)
class RecordedResponse:
    """The response as recorded: status, headers (name, value pairs) and raw body bytes."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def content_type(self) -> str:
        return self.header("content-type") or ""

    @property
    def is_event_stream(self) -> bool:
        return self.content_type.startswith("text/event-stream")

    @property
    def trace_id(self) -> str | None:
        return self.header("x-ds-trace-id")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    def replay_headers(self) -> list[tuple[str, str]]:
        """The headers to serve again (transfer framing headers dropped)."""
        return [(k, v) for k, v in self.headers if k.lower() not in _TRANSFER_HEADERS]

    def pieces(self, size: int | None) -> list[bytes]:
        """The body split into ``size``-byte pieces (one piece when ``size`` is None)."""
        if size is None or not self.body:
            return [self.body]
        return [self.body[i : i + size] for i in range(0, len(self.body), size)]

    def to_httpx(self, request: httpx.Request, *, piece_size: int | None = None) -> httpx.Response:
        """An ``httpx.Response`` serving this recording (sync and async readable)."""
        return httpx.Response(
            self.status,
            headers=self.replay_headers(),
            stream=_PiecesStream(self.pieces(piece_size)),
            request=request,
        )


@dataclass(frozen=True)
class Interaction:
    """One recorded request/response pair."""

    source: str
    index: int
    request: RecordedRequest
    response: RecordedResponse
    recorder: str = field(default="")

    @property
    def id(self) -> str:
        return f"{self.source}#{self.index}"


class _PiecesStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body delivered as given pieces, readable by both sync and async clients."""

    def __init__(self, pieces: Sequence[bytes]) -> None:
        self._pieces = list(pieces)

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def _as_bytes(value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _header_pairs(headers: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for name, values in (headers or {}).items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((str(name), str(value)))
    return tuple(pairs)


def _flat_headers(headers: dict[str, Any] | None) -> dict[str, str]:
    return {name.lower(): value for name, value in _header_pairs(headers)}


def _pydantic_ai(source: str, data: dict[str, Any]) -> list[Interaction]:
    interactions = []
    for index, item in enumerate(data["interactions"]):
        req, resp = item["request"], item["response"]
        if "parsed_body" in resp:
            body = json.dumps(resp["parsed_body"], ensure_ascii=False).encode("utf-8")
        else:
            body = _as_bytes(resp.get("body", {}).get("string"))
        interactions.append(
            Interaction(
                source=source,
                index=index,
                recorder="pydantic-ai",
                request=RecordedRequest(
                    method=req["method"].upper(),
                    uri=req["uri"],
                    headers=_flat_headers(req.get("headers")),
                    body=req.get("parsed_body") or json.loads(_as_bytes(req["body"]) or b"{}"),
                ),
                response=RecordedResponse(
                    status=int(resp["status"]["code"]),
                    reason=str(resp["status"].get("message", "")),
                    headers=_header_pairs(resp.get("headers")),
                    body=body,
                ),
            )
        )
    return interactions


def _ruby_vcr(source: str, data: dict[str, Any]) -> list[Interaction]:
    interactions = []
    for index, item in enumerate(data["http_interactions"]):
        req, resp = item["request"], item["response"]
        raw_request = _as_bytes(req.get("body", {}).get("string"))
        interactions.append(
            Interaction(
                source=source,
                index=index,
                recorder="ruby_llm",
                request=RecordedRequest(
                    method=req["method"].upper(),
                    uri=req["uri"],
                    headers=_flat_headers(req.get("headers")),
                    body=json.loads(raw_request) if raw_request else {},
                ),
                response=RecordedResponse(
                    status=int(resp["status"]["code"]),
                    reason=str(resp["status"].get("message", "")),
                    headers=_header_pairs(resp.get("headers")),
                    body=_as_bytes(resp.get("body", {}).get("string")),
                ),
            )
        )
    return interactions


def recording_names() -> list[str]:
    """The file names of every recording, sorted."""
    return sorted(path.name for path in REALWIRE_DIR.iterdir() if path.suffix in (".yaml", ".yml"))


@cache
def load_recording(name: str) -> tuple[Interaction, ...]:
    """Every interaction of one recording file, in order."""
    with (REALWIRE_DIR / name).open("rb") as handle:
        data = yaml.load(handle, Loader=_Loader)  # a SafeLoader subclass
    if "interactions" in data:
        return tuple(_pydantic_ai(name, data))
    if "http_interactions" in data:
        return tuple(_ruby_vcr(name, data))
    raise ValueError(f"{name}: unknown recording format")


def all_interactions() -> list[Interaction]:
    """Every interaction of every recording."""
    return [interaction for name in recording_names() for interaction in load_recording(name)]


def replay_transport(
    interactions: Sequence[Interaction],
    *,
    piece_size: int | None = None,
    seen: list[httpx.Request] | None = None,
) -> httpx.MockTransport:
    """A transport serving ``interactions`` in order, one per request (sync and async).

    Requests are appended to ``seen`` (their bodies already read) when given.
    """
    queue = list(interactions)

    def handler(request: httpx.Request) -> httpx.Response:
        if not queue:
            raise AssertionError(f"unexpected extra request {request.method} {request.url}")
        if seen is not None:
            seen.append(request)
        return queue.pop(0).response.to_httpx(request, piece_size=piece_size)

    return httpx.MockTransport(handler)


def sse_payloads(body: bytes | str) -> list[Any]:
    """A deliberately naive reading of an SSE body: the JSON of each ``data:`` line, in order.

    Independent of the decoder under test; good enough for the recorded bodies (one ``data:``
    line per event, LF line ends). ``[DONE]`` is returned as the string ``"[DONE]"``.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    payloads: list[Any] = []
    for line in text.split("\n"):
        if line.startswith("data: "):
            data = line[len("data: ") :]
            payloads.append(data if data == "[DONE]" else json.loads(data))
    return payloads


def expected_stream_result(body: bytes | str) -> dict[str, Any]:
    """What a correct client must reassemble from a recorded stream, computed naively."""
    text, reasoning = [], []
    calls: dict[int, dict[str, str]] = {}
    finish_reason = None
    usage = None
    meta: dict[str, Any] = {}
    for payload in sse_payloads(body):
        if payload == "[DONE]":
            break
        for key in ("id", "model", "system_fingerprint", "created"):
            if payload.get(key):
                meta[key] = payload[key]
        if payload.get("usage"):
            usage = payload["usage"]
        for choice in payload.get("choices", []):
            delta = choice.get("delta") or {}
            text.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            for fragment in delta.get("tool_calls") or []:
                call = calls.setdefault(fragment["index"], {"id": "", "name": "", "arguments": ""})
                call["id"] = fragment.get("id") or call["id"]
                function = fragment.get("function") or {}
                call["name"] += function.get("name") or ""
                call["arguments"] += function.get("arguments") or ""
            finish_reason = choice.get("finish_reason") or finish_reason
    return {
        "content": "".join(text),
        "reasoning_content": "".join(reasoning),
        "tool_calls": [calls[index] for index in sorted(calls)],
        "finish_reason": finish_reason,
        "usage": usage,
        **meta,
    }
