"""The per-call options policy and per-request HTTP options of the core clients."""

from __future__ import annotations

import asyncio
import json
import warnings

import httpx
import pytest

from deepseekapi_core import (
    AsyncDeepSeekClient,
    DeepSeekClient,
    IgnoredParameterWarning,
    InvalidRequestError,
    RequestOptions,
)
from deepseekapi_core._adapters._options_policy import classify_options
from deepseekapi_core.http import UnsupportedParameterError
from deepseekapi_core.testing import Emulator

MESSAGES = [{"role": "user", "content": "hi"}]


def test_request_fields_aliases_and_extra_body_are_sorted() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sorted_options = classify_options(
            {
                "temperature": 0.2,
                "max_completion_tokens": 9,
                "user": "end-user-7",
                "extra_body": {"new_field": 1},
                "n": 1,
                "parallel_tool_calls": True,
            }
        )
    assert sorted_options.params == {"temperature": 0.2, "max_tokens": 9, "user_id": "end-user-7"}
    assert sorted_options.extra_body == {"new_field": 1}
    assert not sorted_options.request_options


def test_transport_options_never_enter_the_body() -> None:
    sorted_options = classify_options(
        {"timeout": (1.0, 5.0), "extra_headers": {"X-A": "1"}, "extra_query": {"q": "2"}}
    )
    assert sorted_options.params == {} and sorted_options.extra_body == {}
    options = sorted_options.request_options
    assert options.timeout is not None and (options.timeout.connect, options.timeout.read) == (
        1.0,
        5.0,
    )
    assert dict(options.headers) == {"X-A": "1"} and dict(options.query) == {"q": "2"}


@pytest.mark.parametrize(
    "name", ["seed", "logit_bias", "service_tier", "store", "metadata", "parallel_tool_calls"]
)
def test_ignored_options_are_dropped_with_a_warning_naming_them(name: str) -> None:
    value: object = {
        "seed": 7,
        "logit_bias": {"1": 2},
        "service_tier": "auto",
        "store": True,
        "metadata": {"a": "b"},
        "parallel_tool_calls": False,
    }[name]
    with pytest.warns(IgnoredParameterWarning, match=name):
        sorted_options = classify_options({name: value})
    assert name not in sorted_options.params and name not in sorted_options.extra_body


def test_more_than_one_choice_is_refused() -> None:
    with pytest.raises(UnsupportedParameterError, match="one choice"):
        classify_options({"n": 2})


def test_a_misspelled_option_is_refused_with_the_closest_name() -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'temperature'") as info:
        classify_options({"temprature": 0.3})
    assert info.value.param == "temprature"
    assert info.value.message == (
        "unknown call option 'temprature'; did you mean 'temperature'? To send a field this "
        "package does not know, use extra_body={'temprature': ...}"
    )


def test_an_unknown_option_with_no_close_name_still_says_where_to_put_it() -> None:
    with pytest.raises(InvalidRequestError) as info:
        classify_options({"zzzz": 1})
    assert info.value.message == (
        "unknown call option 'zzzz'. To send a field this package does not know, "
        "use extra_body={'zzzz': ...}"
    )


def test_unknown_names_may_opt_in_to_the_body() -> None:
    assert classify_options({"brand_new": 1}, unknown_to_body=True).extra_body == {"brand_new": 1}


def test_an_alias_conflicting_with_its_field_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="same option"):
        classify_options({"max_tokens": 5, "max_completion_tokens": 6})


def test_per_request_options_reach_the_wire_sync_and_async() -> None:
    emulator = Emulator()
    options = RequestOptions(
        timeout=httpx.Timeout(3.0), headers={"X-Trace": "abc"}, query={"tenant": "t1"}
    )
    with DeepSeekClient(
        api_key="sk-test",
        transport=emulator.transport(),
        default_headers={"X-Default": "d"},
        default_query={"region": "eu"},
    ) as client:
        client.chat(model="deepseek-chat", messages=MESSAGES, options=options)
        list(client.stream_chat(model="deepseek-chat", messages=MESSAGES, options=options))
        client.chat(model="deepseek-chat", messages=MESSAGES)

    async def run() -> None:
        async with AsyncDeepSeekClient(api_key="sk-test", transport=emulator.transport()) as client:
            await client.chat(model="deepseek-chat", messages=MESSAGES, options=options)

    asyncio.run(run())
    first, streamed, plain, async_one = emulator.chat_requests  # query strings included
    for recorded in (first, streamed):
        assert recorded.headers["x-trace"] == "abc" and recorded.headers["x-default"] == "d"
        assert "tenant=t1" in recorded.path and "region=eu" in recorded.path
    assert "x-trace" not in plain.headers and "region=eu" in plain.path
    assert async_one.headers["x-trace"] == "abc" and "tenant=t1" in async_one.path
    assert "timeout" not in first.json and "extra_headers" not in first.json


def test_a_header_option_cannot_replace_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    with DeepSeekClient(
        api_key="sk-right",
        transport=httpx.MockTransport(handler),
        default_headers={"Authorization": "Bearer sk-wrong"},
    ) as client:
        client.list_models()
    assert seen[0].headers["authorization"] == "Bearer sk-right"


def test_a_timeout_given_with_an_injected_client_takes_effect() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    http = httpx.Client(transport=httpx.MockTransport(handler), timeout=99.0)
    DeepSeekClient(api_key="k", http_client=http, timeout=4.0).list_models()
    DeepSeekClient(api_key="k", http_client=http).list_models()
    assert seen[0].extensions["timeout"]["read"] == 4.0
    assert seen[1].extensions["timeout"]["read"] == 99.0


PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.mark.parametrize("system", [None, "Be brief."])
def test_a_json_schema_response_format_is_served_by_json_output(system: str | None) -> None:
    emulator = Emulator()
    messages = [{"role": "user", "content": "Ana is 31."}]
    if system:
        messages.insert(0, {"role": "system", "content": system})
    with DeepSeekClient(api_key="sk-test", transport=emulator.transport()) as client:
        reply = client.chat(
            model="deepseek-chat",
            messages=messages,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "Person", "schema": PERSON_SCHEMA, "strict": True},
            },
        )
    sent = emulator.chat_requests[-1].json
    assert sent["response_format"] == {"type": "json_object"}
    system_messages = [m for m in sent["messages"] if m["role"] == "system"]
    assert (
        len(system_messages) == 1 and '"required": ["name", "age"]' in system_messages[0]["content"]
    )
    if system:
        assert system_messages[0]["content"].startswith("Be brief.")
    parsed = json.loads(reply.message.content or "")
    assert isinstance(parsed["name"], str) and isinstance(parsed["age"], int)


def test_completions_and_chunks_carry_the_response_headers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if b'"stream":true' in request.content:
            body = (
                b'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}'
                b"\n\ndata: [DONE]\n\n"
            )
            return httpx.Response(200, content=body, headers={"x-ds-trace-id": "t-2"})
        reply = {"choices": [{"message": {"role": "assistant", "content": "hi"}}]}
        return httpx.Response(200, json=reply, headers={"x-ds-trace-id": "t-1"})

    with DeepSeekClient(api_key="k", transport=httpx.MockTransport(handler)) as client:
        completion = client.chat(model="deepseek-chat", messages=MESSAGES)
        chunks = list(client.stream_chat(model="deepseek-chat", messages=MESSAGES))
    assert completion.response_headers["x-ds-trace-id"] == "t-1"
    assert chunks and all(chunk.response_headers["x-ds-trace-id"] == "t-2" for chunk in chunks)
