"""The cassettes themselves: no secrets, readable YAML, listed in the README; and the plumbing
that keeps them so (scrubbing, host-agnostic matching, no network on replay)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.matchers import requests_match
from vcr.request import Request as VcrRequest

from deepseekapi_core import DeepSeekClient

from ._support import (
    BEARER_PATTERN,
    CASSETTE_DIR,
    KEY_PATTERN,
    MATCH_ON,
    REDACTED_BEARER,
    REPLAY_BASE_URL,
    TEST_KEY,
    WRONG_KEY,
    json_body,
    make_vcr,
    mode,
    scrub_request,
    scrub_response,
)

MAX_CASSETTE_BYTES = 16_000
# Read at import, before the suite's fixtures hide the environment from the tests.
_ENVIRONMENT_KEYS = [
    value
    for value in (os.environ.get("DEEPSEEKAPI_API_KEY"), os.environ.get("DEEPSEEK_API_KEY"))
    if value and len(value) >= 8
]

pytestmark = pytest.mark.skipif(
    mode() != "replay", reason="checks the cassettes once written (the recorder replays after)"
)


def _files() -> list[Path]:
    files = sorted(path for path in CASSETTE_DIR.rglob("*") if path.is_file())
    assert files, f"no files in {CASSETTE_DIR}"
    return files


def _cassettes() -> list[Path]:
    return sorted(CASSETTE_DIR.glob("*.yaml"))


def test_no_secrets_in_any_cassette_file() -> None:
    """Every file under ``cassettes/``: no bearer token but the placeholder, nothing key-like,
    not the test keys, nor the key of the environment (when recording for real)."""
    literals = [TEST_KEY, WRONG_KEY, *_ENVIRONMENT_KEYS]
    problems: list[str] = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            where = f"{path.name}:{number}"
            problems += [f"{where}: bearer {m[7:15]}..." for m in BEARER_PATTERN.findall(line)]
            problems += [f"{where}: key-like {m[:8]}..." for m in KEY_PATTERN.findall(line)]
            problems += [f"{where}: a test or real key" for key in literals if key in line]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", _cassettes(), ids=lambda p: p.name)
def test_cassette_is_readable_and_small(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    assert len(raw.encode()) <= MAX_CASSETTE_BYTES, f"{path.name} is {len(raw)} bytes"
    assert "!!binary" not in raw and "!!python" not in raw
    data = yaml.safe_load(raw)
    assert data["version"] == 1 and data["interactions"]
    for interaction in data["interactions"]:
        request, response = interaction["request"], interaction["response"]
        assert request["headers"]["authorization"] == [REDACTED_BEARER]
        assert not {"cookie", "host"} & {name.lower() for name in request["headers"]}
        assert "set-cookie" not in {name.lower() for name in response["headers"]}
        assert "content-encoding" not in {name.lower() for name in response["headers"]}
        assert isinstance(response["body"]["string"], str)
        assert request["body"] is None or isinstance(request["body"], str)


def test_readme_lists_every_cassette() -> None:
    readme = (CASSETTE_DIR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([a-z0-9-]+)\.yaml`", readme))
    present = {path.stem for path in _cassettes()}
    assert present - listed == set(), "cassettes missing from cassettes/README.md"
    assert listed - present == set(), "cassettes/README.md lists cassettes that do not exist"


def test_replay_never_reaches_the_network() -> None:
    """Record mode ``none``: a request the cassette does not hold fails before connecting."""
    with (
        make_vcr("none").use_cassette("core-chat.yaml"),
        DeepSeekClient(api_key=TEST_KEY, base_url=REPLAY_BASE_URL, max_retries=0) as api,
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        api.chat(model="deepseek-chat", messages=[{"role": "user", "content": "not recorded"}])


def test_suite_defaults_to_replay() -> None:
    if os.environ.get("DEEPSEEKAPI_CASSETTE_MODE") is None:
        assert mode() == "replay"


# ------------------------------------------------------------------------------------------------
# Scrubbing and matching


def test_scrub_request_removes_keys_cookies_and_bearer_tokens() -> None:
    request = VcrRequest(
        "POST",
        "http://127.0.0.1:1234/v1/chat/completions?api_key=sk-abcdef0123456789",
        b'{"note": "my key is sk-live0123456789abcdef", "risk-free": "task-abcdefghijkl"}',
        {
            "Authorization": "Bearer sk-live0123456789abcdef",
            "Cookie": "session=secret",
            "Host": "127.0.0.1:1234",
            "X-Trace": "Bearer abcdefgh12345678",
        },
    )
    scrubbed = scrub_request(request)
    assert scrubbed.headers["Authorization"] == REDACTED_BEARER
    assert "Cookie" not in scrubbed.headers and "Host" not in scrubbed.headers
    assert scrubbed.headers["X-Trace"] == REDACTED_BEARER
    assert "sk-abcdef" not in scrubbed.uri
    body = scrubbed.body.decode()
    assert "sk-live" not in body and "sk-<REDACTED>" in body
    assert "task-abcdefghijkl" in body  # words merely containing "sk-" are kept


def test_scrub_response_removes_cookies_and_keys() -> None:
    response = {
        "status": {"code": 401, "message": "Unauthorized"},
        "headers": {"Set-Cookie": ["a=b"], "X-Echo": [f"key {TEST_KEY}"], "Date": ["today"]},
        "body": {"string": f'{{"error": {{"message": "bad key {TEST_KEY}"}}}}'.encode()},
    }
    scrubbed = scrub_response(response)
    assert set(scrubbed["headers"]) == {"X-Echo"}
    assert TEST_KEY not in str(scrubbed)


def test_matching_ignores_host_port_and_json_spacing() -> None:
    recorded = VcrRequest(
        "POST", "http://127.0.0.1:40000/v1/chat/completions", b'{"a":1,"b":[1,2]}', {}
    )
    replayed = VcrRequest(
        "POST", "https://api.example.invalid/v1/chat/completions", b'{"b": [1, 2], "a": 1}', {}
    )
    other = VcrRequest("POST", "http://127.0.0.1:9/v1/chat/completions", b'{"a":2,"b":[1,2]}', {})
    matchers = [json_body if name == "json_body" else name for name in MATCH_ON]
    from vcr import matchers as builtin

    functions = [m if callable(m) else getattr(builtin, m) for m in matchers]
    assert requests_match(replayed, recorded, functions)
    assert not requests_match(other, recorded, functions)
