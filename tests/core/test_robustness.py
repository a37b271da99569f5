"""Issue 14's defects in the core: malformed keys, plain-200 streams, unserialisable extra_body,
an overall deadline, insufficient_system_resource and whitespace-only JSON replies."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from deepseekapi_core import (
    APIConnectionError,
    AsyncDeepSeekClient,
    DeepSeekClient,
    InvalidAPIKeyError,
    InvalidRequestError,
)

from .helpers import API_KEY, BASE_URL, HELLO, Driver, Script, completion, ok

# --------------------------------------------------------------------------------------------
# 1. Malformed keys

SECRET = "sk-robust-0123456789abcdef0123456789ab"


def _authorization_seen(mode: str, key: str) -> str:
    script = Script([ok()])
    driver = Driver(mode, script, api_key=key)
    driver.chat(model="deepseek-chat", messages=HELLO)
    return str(script.requests[0].headers["authorization"])


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t", " \n ", "\r"])
def test_surrounding_whitespace_is_stripped(mode: str, padding: str) -> None:
    assert _authorization_seen(mode, f"{padding}{SECRET}{padding}") == f"Bearer {SECRET}"


def test_a_trailing_newline_in_the_environment_is_stripped(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", SECRET + "\n")
    script = Script([ok()])
    driver = Driver(mode, script)
    driver.client_kwargs.pop("api_key")
    driver.chat(model="deepseek-chat", messages=HELLO)
    assert script.requests[0].headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("sk-robust-0123\n456789abcdef0123", "a line break at position 15"),
        ("sk-robust-0123\r\n456789abcdef0123", "a line break at position 15"),
        ("sk-robust-0123\x00456789abcdef0123", "a NUL byte at position 15"),
        ("sk-robust-0123 456789abcdef0123", "a space character (U+0020) at position 15"),
        ("sk-robust-0123é456789abcdef0123", "a non-ASCII character (U+00E9) at position 15"),
        ("sk-robust-0123\x07456789abcdef0123", "a control character (U+0007) at position 15"),
    ],
)
@pytest.mark.parametrize("client_class", [DeepSeekClient, AsyncDeepSeekClient])
def test_a_key_with_a_character_no_header_can_carry_fails_at_construction(
    key: str, problem: str, client_class: type[Any]
) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or ok())
    with pytest.raises(InvalidAPIKeyError) as caught:
        client_class(api_key=key, base_url=BASE_URL, transport=transport)
    text = f"{caught.value} {caught.value!r}"
    assert problem in text
    assert "the api_key argument" in text
    for fragment in ("sk-robust", "0123456789", "456789abcdef"):
        assert fragment not in text
    assert isinstance(caught.value, ValueError)
    assert sent == []


def test_a_bad_key_in_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-env-secret-value\x7ftail")
    with pytest.raises(InvalidAPIKeyError, match="DEEPSEEK_API_KEY environment variable") as caught:
        DeepSeekClient(base_url=BASE_URL)
    assert "secret-value" not in str(caught.value)


def test_a_bad_default_header_value_is_refused_without_quoting_it() -> None:
    with pytest.raises(InvalidRequestError, match="X-Proxy-Token") as caught:
        DeepSeekClient(
            api_key=API_KEY, base_url=BASE_URL, default_headers={"X-Proxy-Token": "tok-secret\n"}
        )
    assert "tok-secret" not in str(caught.value)
    assert caught.value.param == "default_headers"


def test_an_illegal_header_echoed_by_the_transport_is_scrubbed(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever the transport complains about, its quote of a header value never gets out:
    not in the error, not in the "Retrying" log records."""
    echo = f"Illegal header value b'Bearer {API_KEY}\\n'"
    script = Script([httpx.LocalProtocolError(echo)] * 3)
    driver = Driver(mode, script)
    with caplog.at_level(logging.DEBUG), pytest.raises(APIConnectionError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    text = f"{caught.value} {caught.value!r}"
    assert "Illegal header value" in text
    assert API_KEY not in text and "Bearer" not in text
    assert caplog.records, "the retries were logged"
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert "Bearer" not in record.getMessage()


def test_completion_helper_is_valid() -> None:
    assert completion()["choices"][0]["message"]["content"] == "Hi there"


# --------------------------------------------------------------------------------------------
# 4. Values in extra_body that JSON cannot carry


@pytest.mark.parametrize(
    ("extra_body", "named"),
    [
        ({"opaque": object()}, "extra_body.opaque is a object"),
        ({"tags": {"a", "b"}}, "extra_body.tags is a set, which JSON cannot carry (use a list)"),
        ({"outer": {"inner": [1, {2, 3}]}}, "extra_body.outer.inner[1] is a set"),
        ({"ratio": float("nan")}, "extra_body.ratio is nan"),
        ({"by_id": {1: "x"}}, "extra_body.by_id has the key 1"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_extra_body_values_json_cannot_carry_are_named_before_sending(
    mode: str, extra_body: dict[str, Any], named: str, stream: bool
) -> None:
    script = Script([])
    driver = Driver(mode, script)
    call = driver.stream if stream else driver.chat
    with pytest.raises(InvalidRequestError) as caught:
        outcome = call(model="deepseek-chat", messages=HELLO, extra_body=extra_body)
        raise getattr(outcome, "error", None) or AssertionError("no error")
    assert named in str(caught.value)
    assert caught.value.param == "extra_body"
    assert script.requests == []


def test_a_tool_schema_holding_an_object_is_named(mode: str) -> None:
    script = Script([])
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"q": {"default": object()}}},
        },
    }
    with pytest.raises(InvalidRequestError, match=r"tools\[0\]\.function\.parameters"):
        Driver(mode, script).chat(model="deepseek-chat", messages=HELLO, tools=[tool])
    assert script.requests == []
