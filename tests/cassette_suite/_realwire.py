"""Real DeepSeek recordings as vcrpy cassettes (``cassettes/realwire/``), and how they replay.

The recordings in ``tests/data/realwire/`` (copies of other projects' cassettes, read by
``tests/realwire_loader.py``) are converted here, once, into this suite's cassette format:
``python -m tests.cassette_suite._realwire`` rewrites ``cassettes/realwire/``, and
``test_realwire_files.py`` checks the committed files are exactly what the conversion gives, so
they cannot drift from the recordings. The conversion passes every request and response through
the suite's scrubber (``scrub_request``/``scrub_response``), keeps the bodies byte for byte as the
loader reads them (streams as literal blocks), and writes the provenance as a comment on top.

Replays use :func:`realwire_vcr`: record mode ``none`` and :func:`service_body`, a matcher that
compares request bodies the way the service reads them (see ``SERVICE_DEFAULTS``).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vcr
from vcr.request import Request as VcrRequest

from deepseekapi_core import AuthenticationError, Era
from tests.realwire_loader import Interaction, expected_stream_result, load_recording

from ._support import CASSETTE_DIR, ReadableYaml, json_or_raw, scrub_request, scrub_response

REALWIRE_CASSETTES = CASSETTE_DIR / "realwire"
REALWIRE_BASE_URL = "https://api.deepseek.com"
REALWIRE_BETA_BASE_URL = REALWIRE_BASE_URL
"""pydantic-ai's recordings offer tools with ``"strict": true`` at the plain URL, which answered
200 (strict is honoured only under ``/beta``; the plain URL ignores it). Our clients send strict
tools to the beta URL, so the replays point it where those requests were recorded."""
"""The host the recordings were made against; replays point there and never connect."""
REPLAY_KEY = "sk-realwire0replay0key000000000"
"""The API key replays send (the recordings' own keys were scrubbed)."""


@dataclass(frozen=True)
class Source:
    """One recording: our cassette's name, the file it comes from, where that came from, and the
    service's era when it was recorded (replays follow that era's wire rules)."""

    cassette: str
    recording: str
    repository: str
    path: str
    commit: str
    era: Era


SOURCES = (
    Source(
        "r1-reasoner",
        "pydantic-ai__test_deepseek_model_thinking_part.yaml",
        "pydantic/pydantic-ai",
        "tests/models/cassettes/test_deepseek/test_deepseek_model_thinking_part.yaml",
        "b487d60e16b41bd207dc09c2fc58ff2e8a164e61",
        Era.R1,
    ),
    Source(
        "v4-thinking-tools",
        "pydantic-ai__test_deepseek_deferred_capability_with_thinking.yaml",
        "pydantic/pydantic-ai",
        "tests/models/cassettes/test_deepseek/test_deepseek_deferred_capability_with_thinking.yaml",
        "89c4ef7681ece9364410acfd6c873052f0e6f91f",
        Era.V4,
    ),
    Source(
        "chat-stream",
        "ruby_llm__chat_streaming_responses_deepseek_deepseek-chat_supports_streaming_responses.yml",
        "crmne/ruby_llm",
        "spec/fixtures/vcr_cassettes/"
        "chat_streaming_responses_deepseek_deepseek-chat_supports_streaming_responses.yml",
        "75b5cd5aef9ac02c35e9ce37b240e3fda3021484",
        Era.V4,
    ),
    Source(
        "stream-tools",
        "ruby_llm__chat_function_calling_deepseek_deepseek-chat_can_use_tools_with_multi-turn"
        "_streaming_conversations.yml",
        "crmne/ruby_llm",
        "spec/fixtures/vcr_cassettes/chat_function_calling_deepseek_deepseek-chat_can_use_tools"
        "_with_multi-turn_streaming_conversations.yml",
        "75b5cd5aef9ac02c35e9ce37b240e3fda3021484",
        Era.V4,
    ),
    Source(
        "error-401",
        "ruby_llm__chat_error_handling_with_deepseek_deepseek-chat_raises_appropriate_auth_error.yml",
        "crmne/ruby_llm",
        "spec/fixtures/vcr_cassettes/"
        "chat_error_handling_with_deepseek_deepseek-chat_raises_appropriate_auth_error.yml",
        "75b5cd5aef9ac02c35e9ce37b240e3fda3021484",
        Era.V4,
    ),
    Source(
        "error-422-plain-text",
        "ruby_llm__chat_real_error_scenarios_deepseek_deepseek-chat_handles_invalid_message"
        "_format_errors.yml",
        "crmne/ruby_llm",
        "spec/fixtures/vcr_cassettes/chat_real_error_scenarios_deepseek_deepseek-chat_handles"
        "_invalid_message_format_errors.yml",
        "5b694ca6095c0b3a8391d32ec53a8ec77f97950e",
        Era.R1,
    ),
    Source(
        "json-mode",
        "ruby_llm__chat_with_params_deepseek_deepseek-chat_supports_response_format_param.yml",
        "crmne/ruby_llm",
        "spec/fixtures/vcr_cassettes/"
        "chat_with_params_deepseek_deepseek-chat_supports_response_format_param.yml",
        "75b5cd5aef9ac02c35e9ce37b240e3fda3021484",
        Era.V4,
    ),
)
BY_NAME = {source.cassette: source for source in SOURCES}

# Request headers worth keeping (the rest describe the recorder's HTTP library, not the request).
_KEPT_REQUEST_HEADERS = ("content-type", "accept")


def cassette_path(name: str) -> Path:
    return REALWIRE_CASSETTES / f"{name}.yaml"


def era_of(name: str) -> Era:
    """The era cassette ``name`` was recorded in (2025-04: R1; 2026-06: V4)."""
    return BY_NAME[name].era


def recorded(name: str) -> tuple[Interaction, ...]:
    """The recording behind cassette ``name``, as the loader reads it (the expected values)."""
    return load_recording(BY_NAME[name].recording)


def _request(interaction: Interaction) -> dict[str, Any]:
    headers = {
        name: value
        for name, value in interaction.request.headers.items()
        if name in _KEPT_REQUEST_HEADERS
    }
    # The recorders stored placeholders (``Bearer <AUTH_TOKEN>``) or nothing; ours is uniform.
    headers["authorization"] = "Bearer <REDACTED>"
    request = VcrRequest(
        interaction.request.method,
        interaction.request.uri,
        json.dumps(interaction.request.body, ensure_ascii=False),
        headers,
    )
    scrubbed = scrub_request(request)
    body = scrubbed.body.decode("utf-8") if isinstance(scrubbed.body, bytes) else scrubbed.body
    return {
        "method": scrubbed.method,
        "uri": scrubbed.uri,
        "body": body,
        "headers": {name: [value] for name, value in scrubbed.headers.items()},
    }


def _response(interaction: Interaction) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for name, value in interaction.response.replay_headers():
        headers.setdefault(name, []).append(value)
    response = scrub_response(
        {
            "status": {"code": interaction.response.status, "message": interaction.response.reason},
            "headers": headers,
            "body": {"string": interaction.response.text},
        }
    )
    return response


def convert(source: Source) -> str:
    """The cassette text for one recording (provenance comment + vcrpy YAML)."""
    interactions = load_recording(source.recording)
    data = {
        "version": 1,
        "interactions": [
            {"request": _request(item), "response": _response(item)} for item in interactions
        ],
    }
    header = (
        f"# Real DeepSeek traffic recorded by {source.repository}'s test suite, converted by\n"
        f"# `python -m tests.cassette_suite._realwire` (see cassettes/README.md).\n"
        f"# repository: {source.repository}\n"
        f"# path: {source.path}\n"
        f"# commit: {source.commit}\n"
    )
    return header + ReadableYaml.serialize(data)


def write_all() -> list[Path]:
    REALWIRE_CASSETTES.mkdir(parents=True, exist_ok=True)
    written = []
    for source in SOURCES:
        path = cassette_path(source.cassette)
        path.write_text(convert(source), encoding="utf-8")
        written.append(path)
    return written


# ------------------------------------------------------------------------------------------------
# Matching a request as the service reads it

SERVICE_DEFAULTS: dict[str, Any] = {"stream": False, "n": 1}
"""Top-level fields that, at these values, ask for exactly what leaving them out asks for.

``stream: false`` is the default (every recorder sent it; we leave it out); ``n: 1`` is the only
value the service supports (pydantic-ai sent it; we leave it out). ``tool_choice: "auto"`` is the
default whenever tools are sent (OpenAI's and DeepSeek's documented default), so it matches an
absent ``tool_choice`` in a request that has tools. In messages, an assistant turn's ``content``
of ``null`` and ``""`` are the same to the service (a turn that only calls tools), and a tool
call's ``arguments`` string is read as JSON: ruby_llm re-serialised the model's arguments
compactly before sending them back, where we send back the model's own text verbatim.
"""


def _normalised(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    out = {
        k: v for k, v in body.items() if not (k in SERVICE_DEFAULTS and SERVICE_DEFAULTS[k] == v)
    }
    if out.get("tools") and out.get("tool_choice") == "auto":
        del out["tool_choice"]
    messages = []
    for message in out.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "assistant":
            message = dict(message)
            if message.get("content") is None:
                message["content"] = ""
            if message.get("tool_calls"):
                message["tool_calls"] = [_parsed_arguments(call) for call in message["tool_calls"]]
        messages.append(message)
    if "messages" in out:
        out["messages"] = messages
    return out


def _parsed_arguments(call: Any) -> Any:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
        return call
    try:
        arguments = json.loads(function["arguments"])
    except ValueError:
        return call
    return {**call, "function": {**function, "arguments": arguments}}


def service_body(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher: request bodies equal as the service reads them (``SERVICE_DEFAULTS``)."""
    sent, recorded_body = _normalised(json_or_raw(r1.body)), _normalised(json_or_raw(r2.body))
    assert sent == recorded_body, (
        f"request bodies differ (as the service reads them):\n"
        f"  sent:     {sent}\n  recorded: {recorded_body}"
    )


def realwire_vcr(
    *, match_on: tuple[str, ...] = ("method", "path", "query", "service_body")
) -> vcr.VCR:
    """Replay-only VCR over ``cassettes/realwire/``."""
    recorder = vcr.VCR(
        cassette_library_dir=str(REALWIRE_CASSETTES),
        serializer="readable_yaml",
        record_mode="none",
        match_on=match_on,
        before_record_request=scrub_request,
    )
    recorder.register_serializer("readable_yaml", ReadableYaml())
    recorder.register_matcher("service_body", service_body)
    return recorder


@contextmanager
def replay(name: str, **options: Any) -> Iterator[Any]:
    """Play ``cassettes/realwire/<name>.yaml``; every recorded request must be sent, in order."""
    with realwire_vcr(**options).use_cassette(cassette_path(name).name) as cass:
        yield cass
    assert cass.all_played, f"{name}: {cass.play_count} of {len(cass)} interactions replayed"


def recorded_reply(interaction: Interaction) -> dict[str, Any]:
    """What a recorded plain reply says, as the adapters' ``check_reply`` keyword arguments."""
    body = interaction.response.json()
    wire = body["choices"][0]["message"]
    return {
        "content": wire["content"],
        "reasoning": wire.get("reasoning_content"),
        "tool_calls": [
            {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in wire.get("tool_calls") or []
        ],
        "finish_reason": body["choices"][0]["finish_reason"],
        "usage": body["usage"],
    }


def streamed_reply(interaction: Interaction) -> dict[str, Any]:
    """What a recorded stream adds up to, as the adapters' ``check_reply`` keyword arguments."""
    expected = expected_stream_result(interaction.response.body)
    return {
        "content": expected["content"],
        "reasoning": expected["reasoning_content"] or None,
        "tool_calls": expected["tool_calls"],
        "finish_reason": expected["finish_reason"],
        "usage": expected["usage"],
    }


def assert_recorded_401(error: AuthenticationError, interaction: Interaction) -> None:
    """The recorded 401 as an adapter's caller catches it: the service's words, its request id,
    and never the key."""
    body = interaction.response.json()["error"]
    assert error.status_code == 401
    assert error.message.startswith(f"Error code: 401 - {body['message']}")
    assert (error.type, error.code, error.body) == (body["type"], body["code"], body)
    assert error.request_id == "4594b6332801e2c2b26d054c3aba58b2"
    assert REPLAY_KEY not in str(error)


_HEADER_COMMENT = re.compile(r"\A(?:#.*\n)+")


def provenance(text: str) -> dict[str, str]:
    """The ``# key: value`` provenance lines on top of a realwire cassette."""
    block = _HEADER_COMMENT.match(text)
    lines = block.group(0).splitlines() if block else []
    found = {}
    for line in lines:
        key, _, value = line[2:].partition(": ")
        if key in ("repository", "path", "commit"):
            found[key] = value.strip()
    return found


if __name__ == "__main__":
    for written in write_all():
        print(f"{written.relative_to(CASSETTE_DIR.parent)}: {written.stat().st_size} bytes")
    sys.exit(0)
