"""The per-call options policy and per-request HTTP options of the core clients."""

from __future__ import annotations

import asyncio
import dataclasses
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
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core._adapters._options_policy import classify_options
from deepseekapi_core.http import ClientOptions, UnsupportedParameterError
from deepseekapi_core.http._client import _OUR_HEADERS
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


# ------------------------------------------------------------------------------------------
# ClientOptions: the one list of client options


@dataclasses.dataclass(frozen=True)
class _WithNewOption(ClientOptions):
    """ClientOptions as it would be with one more field, and no other edit anywhere."""

    brand_new_option: int = 7


def test_a_new_client_option_reaches_both_clients_and_the_holder() -> None:
    emulator = Emulator()
    options = _WithNewOption(api_key="sk-test", transport=emulator.transport())
    assert DeepSeekClient(options).options.brand_new_option == 7
    assert DeepSeekClient(options, brand_new_option=9).options.brand_new_option == 9
    assert AsyncDeepSeekClient(options, brand_new_option=3).options.brand_new_option == 3
    holder = ClientHolder(options)
    assert holder.client.options.brand_new_option == 7
    assert asyncio.run(_async_option(holder)) == 7
    reply = DeepSeekClient(options).chat(model="deepseek-chat", messages=MESSAGES)
    assert reply.message.content


async def _async_option(holder: ClientHolder) -> int:
    value: int = holder.async_client.options.brand_new_option  # type: ignore[attr-defined]
    await holder.aclose()
    return value


def test_client_keywords_are_the_options_fields_on_top_of_an_options_object() -> None:
    base = ClientOptions(api_key="sk-test", max_retries=1, deadline=30)
    client = DeepSeekClient(base, base_url="http://localhost:9/v1", max_retries=4)
    assert client.options.base_url == "http://localhost:9/v1"
    assert client.retry_policy.max_retries == 4 and client.deadline == 30.0
    assert base.max_retries == 1  # the caller's object is left as it was


@pytest.mark.parametrize("client_class", [DeepSeekClient, AsyncDeepSeekClient])
def test_an_unknown_client_keyword_names_the_closest_option(client_class: type) -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'max_retries'") as caught:
        client_class(api_key="sk-test", max_retry=3)
    assert caught.value.param == "max_retry"
    assert client_class.__name__ in str(caught.value)
    with pytest.raises(InvalidRequestError, match="deadline must be a positive number"):
        client_class(api_key="sk-test", deadline=-1)


def test_the_async_client_takes_an_async_http_client_under_either_name() -> None:
    async def check() -> None:
        async with httpx.AsyncClient(transport=Emulator().transport()) as http:
            for client in (
                AsyncDeepSeekClient(api_key="sk-test", http_client=http),
                AsyncDeepSeekClient(api_key="sk-test", async_http_client=http),
            ):
                assert client._http is http and client.options.async_http_client is http
                assert (await client.chat(model="deepseek-chat", messages=MESSAGES)).message

    asyncio.run(check())


def test_a_plain_request_is_what_httpx_would_build_and_cookies_still_go_back() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200, json={"object": "list", "data": []}, headers={"set-cookie": "lb=node-2; Path=/"}
        )

    client = DeepSeekClient(api_key="sk-test", transport=httpx.MockTransport(handler))
    expected = client._http.build_request(
        "GET",
        client._models_url,
        headers={**_OUR_HEADERS, "Authorization": "Bearer sk-test"},
    )
    client.list_models()
    assert sent[0].headers.raw == expected.headers.raw
    assert sent[0].extensions["timeout"] == expected.extensions["timeout"]
    client.list_models()  # the service set a cookie: it is sent back, as httpx would
    assert sent[1].headers["cookie"] == "lb=node-2"


def test_a_plain_call_reads_no_clock_in_the_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """No deadline, no contention: the deadline machinery is never consulted."""
    import sys
    import time

    readers: list[str] = []
    real = time.monotonic

    def monotonic() -> float:
        readers.append(sys._getframe(1).f_globals.get("__name__", "?"))
        return real()

    emulator = Emulator()
    client = DeepSeekClient(api_key="sk-test", transport=emulator.transport())
    monkeypatch.setattr(time, "monotonic", monotonic)
    client.chat(model="deepseek-chat", messages=MESSAGES)
    list(client.stream_chat(model="deepseek-chat", messages=MESSAGES))
    assert not [name for name in readers if name.startswith("deepseekapi_core.http")]
