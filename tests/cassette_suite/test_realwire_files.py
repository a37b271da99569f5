"""The real-wire cassettes themselves: made from every recording, unedited since, provenance kept,
readable, scrubbed; and the matcher that replays them, which forgives only what the service does."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from vcr.request import Request as VcrRequest

from tests.realwire_loader import recording_names

from ._realwire import (
    REALWIRE_CASSETTES,
    SOURCES,
    cassette_path,
    convert,
    provenance,
    recorded,
    service_body,
)
from ._support import CASSETTE_DIR, REDACTED_BEARER

MAX_REALWIRE_BYTES = 64_000  # the four-turn streamed tool conversation is about 45 kB


def test_every_recording_has_a_cassette() -> None:
    assert sorted(source.recording for source in SOURCES) == recording_names()
    present = sorted(path.stem for path in REALWIRE_CASSETTES.glob("*.yaml"))
    assert present == sorted(source.cassette for source in SOURCES)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.cassette)
def test_cassette_is_exactly_the_converted_recording(source: Any) -> None:
    """Regenerate with ``python -m tests.cassette_suite._realwire`` if the recordings change."""
    assert cassette_path(source.cassette).read_text(encoding="utf-8") == convert(source)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.cassette)
def test_cassette_keeps_provenance(source: Any) -> None:
    text = cassette_path(source.cassette).read_text(encoding="utf-8")
    assert provenance(text) == {
        "repository": source.repository,
        "path": source.path,
        "commit": source.commit,
    }
    readme = (CASSETTE_DIR / "README.md").read_text(encoding="utf-8")
    row = next(
        (line for line in readme.splitlines() if f"`realwire/{source.cassette}.yaml`" in line),
        None,
    )
    assert row is not None, f"cassettes/README.md has no row for realwire/{source.cassette}.yaml"
    assert source.repository in row and source.commit in row and f"`{source.path}`" in row


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.cassette)
def test_cassette_is_readable_and_scrubbed(source: Any) -> None:
    raw = cassette_path(source.cassette).read_text(encoding="utf-8")
    assert len(raw.encode()) <= MAX_REALWIRE_BYTES
    assert "!!binary" not in raw and "!!python" not in raw and "!binary" not in raw
    data = yaml.safe_load(raw)
    assert data["version"] == 1
    interactions = data["interactions"]
    assert len(interactions) == len(recorded(source.cassette))
    for interaction, original in zip(interactions, recorded(source.cassette), strict=True):
        request, response = interaction["request"], interaction["response"]
        assert request["headers"]["authorization"] == [REDACTED_BEARER]
        dropped = {"cookie", "host", "set-cookie", "date", "content-length", "transfer-encoding"}
        assert not dropped & {name.lower() for name in request["headers"]}
        assert not dropped & {name.lower() for name in response["headers"]}
        # The bodies are the recorded ones, byte for byte as the loader reads them.
        assert json.loads(request["body"]) == original.request.body
        assert response["body"]["string"] == original.response.text
        assert response["status"]["code"] == original.response.status


# ------------------------------------------------------------------------------------------------
# The matcher: what it forgives, and what it does not


def _request(body: dict[str, Any]) -> VcrRequest:
    return VcrRequest("POST", "https://api.deepseek.com/chat/completions", json.dumps(body), {})


def _matches(sent: dict[str, Any], recorded_body: dict[str, Any]) -> bool:
    try:
        service_body(_request(sent), _request(recorded_body))
    except AssertionError:
        return False
    return True


USER = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}


def test_matcher_forgives_what_the_service_treats_as_the_default() -> None:
    base = {"model": "deepseek-chat", "messages": USER}
    assert _matches(base, {**base, "stream": False, "n": 1})
    with_tools = {**base, "tools": [TOOL]}
    assert _matches(with_tools, {**with_tools, "tool_choice": "auto"})
    turn = {"role": "assistant", "content": None, "tool_calls": [CALL]}
    respaced = {**CALL, "function": {"name": "f", "arguments": '{"a": 1}'}}
    assert _matches(
        {**base, "messages": [*USER, {**turn, "content": "", "tool_calls": [respaced]}]},
        {**base, "messages": [*USER, turn]},
    )


def test_matcher_refuses_every_real_difference() -> None:
    base = {"model": "deepseek-chat", "messages": USER}
    assert not _matches(base, {**base, "model": "deepseek-reasoner"})
    assert not _matches(base, {**base, "stream": True})
    assert not _matches(base, {**base, "n": 2})
    assert not _matches(base, {**base, "tool_choice": "auto"})  # without tools, not a default
    with_tools = {**base, "tools": [TOOL]}
    assert not _matches(with_tools, {**with_tools, "tool_choice": "required"})
    thinking_turn = {
        "role": "assistant",
        "content": "",
        "reasoning_content": "r",
        "tool_calls": [CALL],
    }
    lost_reasoning = {k: v for k, v in thinking_turn.items() if k != "reasoning_content"}
    assert not _matches(
        {**base, "messages": [*USER, lost_reasoning]}, {**base, "messages": [*USER, thinking_turn]}
    )
    other_args = {**CALL, "function": {"name": "f", "arguments": '{"a": 2}'}}
    assert not _matches(
        {**base, "messages": [*USER, {**thinking_turn, "tool_calls": [other_args]}]},
        {**base, "messages": [*USER, thinking_turn]},
    )
    assert not _matches({**base, "stream_options": {"include_usage": True}}, base)
