"""Issue 14's defects in the core: malformed keys, plain-200 streams, unserialisable extra_body,
an overall deadline, insufficient_system_resource and whitespace-only JSON replies."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from deepseekapi_core import (
    APIConnectionError,
    APITimeoutError,
    AsyncDeepSeekClient,
    ChatCompletion,
    DeadlineExceededError,
    DeepSeekClient,
    InvalidRequestError,
)
from deepseekapi_core.http import (
    APIResponseValidationError,
    InsufficientSystemResourceError,
    InvalidAPIKeyError,
)

from .helpers import (
    API_KEY,
    BASE_URL,
    HELLO,
    USAGE,
    Driver,
    PiecesStream,
    Script,
    chunk,
    completion,
    ok,
    reasoning_of,
    sse,
    stream_response,
    text_of,
)

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


# --------------------------------------------------------------------------------------------
# 2. A stream request answered with a plain 200


def _plain(body: bytes | str, content_type: str) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.Response(200, headers={"content-type": content_type}, content=content)


@pytest.mark.parametrize("content_type", ["application/json", "text/event-stream"])
def test_a_plain_json_reply_to_a_stream_request_is_used_as_the_reply(
    mode: str, content_type: str
) -> None:
    body = completion("The whole answer at once.", usage=USAGE)
    body["choices"][0]["message"]["reasoning_content"] = "Thought it through."
    script = Script([_plain(json.dumps(body), content_type)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None, repr(outcome.error)
    assert len(script.requests) == 1
    assert text_of(outcome.chunks) == "The whole answer at once."
    assert reasoning_of(outcome.chunks) == "Thought it through."
    assert outcome.chunks[-1].finish_reason == "stop"
    assert outcome.chunks[-1].usage is not None
    assert outcome.chunks[-1].usage.total_tokens == USAGE["total_tokens"]


def test_a_plain_json_reply_with_tool_calls_streams_them(mode: str) -> None:
    body = completion("")
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": "call_0", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
    ]
    body["choices"][0]["finish_reason"] = "tool_calls"
    script = Script([_plain(json.dumps(body), "application/json")])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    calls = [call for c in outcome.chunks if c.delta for call in c.delta.tool_calls or ()]
    assert [(c.id, c.function.name, c.function.arguments) for c in calls if c.function] == [
        ("call_0", "f", '{"a":1}')
    ]


@pytest.mark.parametrize(
    ("error", "cls", "status"),
    [
        (
            {"message": "Authentication Fails", "type": "authentication_error"},
            "Authentication",
            401,
        ),
        ({"message": "Rate limit reached for TPM", "type": "rate_limit_error"}, "RateLimit", 429),
        ({"message": "Insufficient Balance", "code": 402}, "InsufficientCredits", 402),
        ({"message": "Content Exists Risk", "type": "invalid_request_error"}, "BadRequest", 400),
    ],
)
def test_a_plain_json_error_to_a_stream_request_is_its_typed_error_not_retried(
    mode: str, error: dict[str, Any], cls: str, status: int
) -> None:
    import deepseekapi_core

    script = Script([_plain(json.dumps({"error": error}), "application/json")] * 3)
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, getattr(deepseekapi_core, f"{cls}Error")), outcome.error
    assert error["message"] in str(outcome.error)
    assert "HTTP 200" in str(outcome.error)
    assert outcome.error.status_code == status
    assert len(script.requests) == 1
    assert outcome.chunks == []


def test_a_plain_json_error_to_a_plain_request_is_its_typed_error(mode: str) -> None:
    from deepseekapi_core import RateLimitError

    body = {"error": {"message": "Slow down", "type": "rate_limit_error"}}
    script = Script([_plain(json.dumps(body), "application/json")] * 3)
    with pytest.raises(RateLimitError, match="Slow down"):
        Driver(mode, script).chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 1


@pytest.mark.parametrize("content_type", ["text/html", "text/event-stream", "text/plain"])
@pytest.mark.parametrize(
    "body",
    [
        "<html><head><title>Welcome to nginx</title></head><body>Gateway page</body></html>",
        "Failed to deserialize the JSON body into the target type",
        '{"unexpected": "shape"}',
    ],
)
def test_any_other_plain_200_is_a_clear_error_quoting_the_body(
    mode: str, content_type: str, body: str
) -> None:
    script = Script([_plain("\n\n" + body, content_type)] * 3)
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, APIResponseValidationError), repr(outcome.error)
    assert "neither a stream nor a chat completion" in str(outcome.error)
    assert body[:40] in str(outcome.error)
    assert len(script.requests) == 1


def test_a_stream_split_in_tiny_reads_is_still_a_stream(mode: str) -> None:
    """Sniffing waits for enough bytes: "d", "a", "t", "a" arriving one by one is a stream."""
    raw = sse(
        chunk(role="assistant", content=""),
        chunk(content="Hi"),
        chunk(content="", finish_reason="stop"),
    )
    response = httpx.Response(
        200,
        headers={"content-type": "text/event-stream"},
        stream=PiecesStream([raw[i : i + 1] for i in range(len(raw))]),
    )
    outcome = Driver(mode, Script([response])).stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert text_of(outcome.chunks) == "Hi"


# --------------------------------------------------------------------------------------------
# 7. An overall deadline


class KeepAliveForever(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends ``first`` and then a keep-alive line every few milliseconds, for ever
    (each well within any read timeout): only an overall deadline ends it."""

    def __init__(self, first: bytes = b"", line: bytes = b": keep-alive\n\n") -> None:
        self.first = first
        self.line = line
        self.sent = 0

    def __iter__(self) -> Any:
        import time

        if self.first:
            yield self.first
        while True:
            time.sleep(0.005)
            self.sent += 1
            yield self.line

    async def __aiter__(self) -> Any:
        import asyncio

        if self.first:
            yield self.first
        while True:
            await asyncio.sleep(0.005)
            self.sent += 1
            yield self.line


def _forever(first: bytes = b"", line: bytes = b": keep-alive\n\n") -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=KeepAliveForever(first, line)
    )


def test_no_deadline_by_default() -> None:
    assert DeepSeekClient(api_key=API_KEY).deadline is None
    assert AsyncDeepSeekClient(api_key=API_KEY).deadline is None


@pytest.mark.parametrize("bad", [0, -1.0, "10", float("nan")])
def test_a_deadline_must_be_a_positive_number(bad: Any) -> None:
    with pytest.raises(InvalidRequestError, match="deadline must be a positive number"):
        DeepSeekClient(api_key=API_KEY, deadline=bad)


def test_keep_alive_comments_for_ever_end_at_the_deadline(mode: str) -> None:
    script = Script([_forever()])
    outcome = Driver(mode, script, deadline=0.2).stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, DeadlineExceededError), repr(outcome.error)
    assert isinstance(outcome.error, APITimeoutError)
    assert "deadline of 0.2 s passed" in str(outcome.error)
    assert len(script.requests) == 1
    assert outcome.chunks == []


def test_blank_lines_for_ever_before_a_json_body_end_at_the_deadline(mode: str) -> None:
    script = Script([_forever(line=b"\n")])
    driver = Driver(mode, script, deadline=0.2)
    with pytest.raises(DeadlineExceededError, match="reading the reply"):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 1
    assert driver.waits == []


def test_a_deadline_passing_mid_stream_hands_over_the_partial_reply(mode: str) -> None:
    first = sse(chunk(role="assistant", content=""), chunk(content="Half an "), done=False)
    script = Script([_forever(first)])
    outcome = Driver(mode, script, deadline=0.2).stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, DeadlineExceededError)
    assert outcome.error.partial_content == "Half an "
    assert text_of(outcome.chunks) == "Half an "
    assert len(script.requests) == 1


def test_a_retry_wait_beyond_the_deadline_is_not_slept(mode: str) -> None:
    busy = httpx.Response(503, headers={"retry-after": "5"}, content=b'{"error":{"message":"x"}}')
    script = Script([busy])
    driver = Driver(mode, script, deadline=1.0)
    with pytest.raises(DeadlineExceededError, match="retrying after ServiceUnavailableError"):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert driver.waits == []
    assert len(script.requests) == 1


def test_the_deadline_caps_each_attempts_timeouts(mode: str) -> None:
    seen: list[dict[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return ok()

    Driver(mode, Script([answer]), deadline=2.0, timeout=30.0).chat(
        model="deepseek-chat", messages=HELLO
    )
    assert 0 < seen[0]["read"] <= 2.0
    assert 0 < seen[0]["connect"] <= 2.0


def test_within_the_deadline_nothing_changes(mode: str) -> None:
    script = Script([ok(), stream_response(sse(chunk(content="Hi", finish_reason="stop")))])
    driver = Driver(mode, script, deadline=30.0)
    assert driver.chat(model="deepseek-chat", messages=HELLO).message.content == "Hi there"
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None and text_of(outcome.chunks) == "Hi"


# --------------------------------------------------------------------------------------------
# 10. finish_reason "insufficient_system_resource"

ISR = "insufficient_system_resource"


def _isr_completion(content: str = "", reasoning: str | None = None) -> httpx.Response:
    body = completion(content)
    body["choices"][0]["finish_reason"] = ISR
    if reasoning is not None:
        body["choices"][0]["message"]["reasoning_content"] = reasoning
    return ok(body)


def test_insufficient_resource_with_nothing_delivered_is_retried(mode: str) -> None:
    script = Script([_isr_completion(""), ok()])
    driver = Driver(mode, script)
    reply = driver.chat(model="deepseek-chat", messages=HELLO)
    assert reply.message.content == "Hi there"
    assert len(script.requests) == 2
    assert len(driver.waits) == 1


def test_insufficient_resource_every_time_is_a_typed_error(mode: str) -> None:
    script = Script([_isr_completion("")] * 3)
    driver = Driver(mode, script)
    with pytest.raises(InsufficientSystemResourceError, match="before replying") as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert not caught.value.delivered
    assert caught.value.code == ISR
    assert len(script.requests) == 3


@pytest.mark.parametrize(("content", "reasoning"), [("Partial ans", None), ("", "Thinking...")])
def test_insufficient_resource_after_a_partial_reply_hands_it_over(
    mode: str, content: str, reasoning: str | None
) -> None:
    script = Script([_isr_completion(content, reasoning)])
    with pytest.raises(InsufficientSystemResourceError, match="mid-reply") as caught:
        Driver(mode, script).chat(model="deepseek-chat", messages=HELLO)
    assert caught.value.delivered
    assert caught.value.partial_content == content
    assert caught.value.partial_reasoning == (reasoning or "")
    assert isinstance(caught.value.reply, ChatCompletion)
    assert len(script.requests) == 1


def test_a_stream_cut_by_insufficient_resource_before_any_text_is_retried(mode: str) -> None:
    first = sse(chunk(role="assistant", content=""), chunk(content="", finish_reason=ISR))
    second = sse(chunk(role="assistant", content=""), chunk(content="Hello", finish_reason="stop"))
    script = Script([stream_response(first), stream_response(second)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None, repr(outcome.error)
    assert text_of(outcome.chunks) == "Hello"
    assert [c.finish_reason for c in outcome.chunks if c.finish_reason] == ["stop"]
    assert len(script.requests) == 2


def test_a_stream_cut_by_insufficient_resource_mid_reasoning_hands_it_over(mode: str) -> None:
    body = sse(
        chunk(role="assistant", reasoning=""),
        chunk(reasoning="Let me think"),
        chunk(content="", finish_reason=ISR, usage=USAGE),
    )
    script = Script([stream_response(body)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, InsufficientSystemResourceError)
    assert outcome.error.partial_reasoning == "Let me think"
    assert reasoning_of(outcome.chunks) == "Let me think"
    assert outcome.chunks[-1].usage is not None
    assert len(script.requests) == 1


def test_the_retry_policy_retries_only_an_undelivered_resource_error() -> None:
    from deepseekapi_core import RetryPolicy

    policy = RetryPolicy()
    assert policy.is_retryable(InsufficientSystemResourceError("x"))
    assert not policy.is_retryable(InsufficientSystemResourceError("x", partial_content="a"))


# --------------------------------------------------------------------------------------------
# 9. Whitespace-only JSON-mode replies


@pytest.mark.parametrize("content", ["", "   ", "\n\n  \t\n"])
def test_a_whitespace_json_reply_says_what_happened(content: str) -> None:
    from deepseekapi_core.http import EmptyJSONReplyError
    from deepseekapi_core.tools._structured import parse_json_reply

    with pytest.raises(EmptyJSONReplyError, match="whitespace and no JSON") as caught:
        parse_json_reply(content, "stop")
    assert "replaces output that is not valid JSON" in str(caught.value)
    assert caught.value.content == content
    assert isinstance(caught.value, ValueError)
    with pytest.raises(EmptyJSONReplyError, match="max_tokens budget"):
        parse_json_reply(content, "length")


def test_json_replies_parse_and_other_text_is_quoted() -> None:
    from deepseekapi_core.tools._structured import parse_json_reply

    assert parse_json_reply(' {"a": [1, 2]} ', "stop") == {"a": [1, 2]}
    with pytest.raises(ValueError, match=r"not JSON.*'Sure! Here is'"):
        parse_json_reply("Sure! Here is", "stop")


# --------------------------------------------------------------------------------------------
# 6. Copying clients


def test_a_client_copies_after_a_call_and_the_copy_works() -> None:
    import copy

    from deepseekapi_core.testing import Emulator

    emulator = Emulator()
    client = DeepSeekClient(api_key=API_KEY, transport=emulator.transport(), deadline=9.0)
    client.chat(model="deepseek-chat", messages=HELLO)
    twin = copy.deepcopy(client)
    assert twin.chat(model="deepseek-chat", messages=HELLO).message.content
    assert twin.deadline == 9.0 and twin._http is not client._http
    assert emulator.request_count == 2
    client.close()
    assert twin.chat(model="deepseek-chat", messages=HELLO).message.content


def test_a_copy_shares_an_injected_http_client() -> None:
    import copy

    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: ok()))
    client = AsyncDeepSeekClient(api_key=API_KEY, base_url=BASE_URL, http_client=http)
    assert copy.deepcopy(client)._http is http
