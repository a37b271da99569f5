"""list_models, client lifetimes, reply validation, and the framework-neutral conversions."""

from __future__ import annotations

import asyncio
import json
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field

from deepseekapi_core import (
    AsyncDeepSeekClient,
    ChatCompletion,
    DeepSeekClient,
    InvalidRequestError,
    NotFoundError,
    ToolSpec,
    Usage,
)
from deepseekapi_core.http import APIResponseValidationError
from deepseekapi_core.tools._calls import parse_tool_arguments
from deepseekapi_core.tools._specs import tool_spec_from
from deepseekapi_core.wire._convert import join_text_parts, usage_summary

from .helpers import API_KEY, BASE_URL, HELLO, Driver, Script, completion, ok, status

MODELS = {
    "object": "list",
    "data": [
        {"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
        {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek", "context": 1048576},
    ],
}


# --------------------------------------------------------------------------------------------
# list_models


def test_list_models(mode: str) -> None:
    script = Script([status(502), httpx.Response(200, json=MODELS)])
    driver = Driver(mode, script)
    models = driver.list_models()
    assert [(m.id, m.object, m.owned_by) for m in models] == [
        ("deepseek-chat", "model", "deepseek"),
        ("deepseek-reasoner", "model", "deepseek"),
    ]
    assert models[1].model_extra == {"context": 1048576}
    request = script.requests[-1]
    assert request.method == "GET"
    assert str(request.url) == f"{BASE_URL}/models"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert len(script.requests) == 2 and len(driver.waits) == 1


def test_list_models_error(mode: str) -> None:
    driver = Driver(mode, Script([status(404, '{"error":{"message":"Not Found"}}')]))
    with pytest.raises(NotFoundError, match="Not Found"):
        driver.list_models()


def test_list_models_bad_body(mode: str) -> None:
    driver = Driver(mode, Script([httpx.Response(200, json={"object": "list"})]))
    with pytest.raises(APIResponseValidationError, match="ModelList"):
        driver.list_models()


# --------------------------------------------------------------------------------------------
# Replies that break the wire format, and replies with more than we know


def test_non_json_reply_is_a_validation_error(mode: str) -> None:
    response = httpx.Response(
        200, content=b"<html>maintenance</html>", headers={"X-Ds-Trace-Id": "t1"}
    )
    driver = Driver(mode, Script([response]))
    with pytest.raises(APIResponseValidationError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert "ChatCompletion" in str(caught.value)
    assert "<html>maintenance</html>" in str(caught.value)
    assert caught.value.status_code == 200 and caught.value.request_id == "t1"
    assert caught.value.body == "<html>maintenance</html>"


def test_reply_without_choices_is_a_validation_error(mode: str) -> None:
    driver = Driver(mode, Script([ok(completion(choices=[]))]))
    with pytest.raises(APIResponseValidationError):
        driver.chat(model="deepseek-chat", messages=HELLO)


def test_reply_after_keepalive_blank_lines(mode: str) -> None:
    """Non-streaming replies may be preceded by blank keep-alive lines (documented)."""
    body = b"\n\n\n" + json.dumps(completion("late")).encode()
    driver = Driver(mode, Script([httpx.Response(200, content=body)]))
    assert driver.chat(model="deepseek-chat", messages=HELLO).message.content == "late"


def test_unknown_reply_fields_are_kept(mode: str) -> None:
    body = completion(service_tier="default")
    body["choices"][0]["message"]["annotations"] = [{"type": "url"}]
    body["usage"]["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
    reply = Driver(mode, Script([ok(body)])).chat(model="deepseek-chat", messages=HELLO)
    assert reply.model_extra == {"service_tier": "default"}
    assert reply.message.model_extra == {"annotations": [{"type": "url"}]}
    assert reply.usage.prompt_tokens_details.model_extra == {"audio_tokens": 0}
    assert reply.model_dump(mode="json", exclude_unset=True) == body


# --------------------------------------------------------------------------------------------
# Lifetimes


class _ClosingTransport(httpx.MockTransport):
    def __init__(self) -> None:
        super().__init__(lambda request: httpx.Response(200, json=completion()))
        self.closed = False

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def test_context_manager_closes_its_own_pool() -> None:
    transport = _ClosingTransport()
    with DeepSeekClient(api_key=API_KEY, transport=transport) as client:
        client.chat(model="deepseek-chat", messages=HELLO)
        assert not transport.closed
    assert transport.closed


def test_context_manager_leaves_injected_client_open() -> None:
    transport = _ClosingTransport()
    http = httpx.Client(transport=transport)
    with DeepSeekClient(api_key=API_KEY, http_client=http) as client:
        assert client.chat(model="deepseek-chat", messages=HELLO).message.content == "Hi there"
    assert not transport.closed and not http.is_closed
    client.close()
    assert not http.is_closed
    http.close()
    assert transport.closed


def test_async_context_manager_closes_its_own_pool() -> None:
    transport = _ClosingTransport()

    async def run() -> None:
        async with AsyncDeepSeekClient(api_key=API_KEY, transport=transport) as client:
            await client.chat(model="deepseek-chat", messages=HELLO)
            assert not transport.closed
        assert transport.closed

    asyncio.run(run())


def test_async_context_manager_leaves_injected_client_open() -> None:
    transport = _ClosingTransport()

    async def run() -> None:
        http = httpx.AsyncClient(transport=transport)
        async with AsyncDeepSeekClient(api_key=API_KEY, http_client=http) as client:
            await client.chat(model="deepseek-chat", messages=HELLO)
        assert not http.is_closed and not transport.closed
        await http.aclose()

    asyncio.run(run())


def test_one_pool_per_client() -> None:
    """Requests reuse the client's pool (the same transport), not one per call."""
    transport = _ClosingTransport()
    client = DeepSeekClient(api_key=API_KEY, transport=transport)
    for _ in range(3):
        client.chat(model="deepseek-chat", messages=HELLO)
    assert not transport.closed
    client.close()
    assert transport.closed


# --------------------------------------------------------------------------------------------
# tool_spec_from

WEATHER = {
    "name": "weather",
    "description": "Current weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def test_tool_spec_from_openai_dict() -> None:
    spec = tool_spec_from({"type": "function", "function": WEATHER})
    assert isinstance(spec, ToolSpec)
    assert spec.model_dump(exclude_none=True) == {"type": "function", "function": WEATHER}


def test_tool_spec_from_bare_function_dict() -> None:
    spec = tool_spec_from(WEATHER)
    assert spec.function.name == "weather"
    assert spec.function.parameters == WEATHER["parameters"]
    assert tool_spec_from(spec) is spec


def test_tool_spec_from_pydantic_model() -> None:
    class GetWeather(BaseModel):
        """Get the current weather in a city."""

        city: str = Field(description="The city")
        unit: Literal["c", "f"] = "c"

    spec = tool_spec_from(GetWeather)
    assert spec.function.name == "GetWeather"
    assert spec.function.description == "Get the current weather in a city."
    params = spec.function.parameters
    assert params["type"] == "object"
    assert params["required"] == ["city"]
    assert params["properties"]["city"]["description"] == "The city"
    assert params["properties"]["unit"]["enum"] == ["c", "f"]
    assert "title" not in params


def test_tool_spec_from_typed_function() -> None:
    def add_numbers(
        a: int, b: float = 1.5, *args: int, label: str | None = None, **kwargs: int
    ) -> float:
        """Add two numbers.

        Returns the sum.
        """
        return a + b

    spec = tool_spec_from(add_numbers)
    assert spec.function.name == "add_numbers"
    assert spec.function.description == "Add two numbers.\n\nReturns the sum."
    params = spec.function.parameters
    assert params["required"] == ["a"]
    assert params["properties"]["a"] == {"type": "integer"}
    assert params["properties"]["b"] == {"type": "number", "default": 1.5}
    assert set(params["properties"]) == {"a", "b", "label"}  # *args / **kwargs left out
    assert all("title" not in prop for prop in params["properties"].values())


def test_tool_spec_from_undocumented_function() -> None:
    def ping() -> str:
        return "pong"

    spec = tool_spec_from(ping)
    assert spec.function.description is None
    assert spec.function.parameters["properties"] == {}


@pytest.mark.parametrize(
    ("tool", "phrase"),
    [
        ({"type": "retrieval"}, "only function tools"),
        ({"name": "has space"}, "1-64 characters"),
        ({"name": "f", "parameters": {"type": "string"}}, "type 'object'"),
        ({"name": "f", "parameters": {"type": "object", "required": "x"}}, "required"),
        ({"name": "f", "parameters": {"type": "object", "properties": {"a": 1}}}, "properties"),
        (42, "cannot make a tool from int"),
    ],
)
def test_tool_spec_from_invalid(tool: object, phrase: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        tool_spec_from(tool)  # type: ignore[arg-type]
    assert phrase in str(caught.value)
    assert caught.value.param == "tools"


# --------------------------------------------------------------------------------------------
# parse_tool_arguments, join_text_parts


def test_parse_tool_arguments() -> None:
    assert parse_tool_arguments('{"city": "Berlin", "n": 2}') == {"city": "Berlin", "n": 2}
    assert parse_tool_arguments("") == {}
    assert parse_tool_arguments(None) == {}
    assert parse_tool_arguments("   ") == {}


@pytest.mark.parametrize(
    ("arguments", "phrase"),
    [
        ('{"city": "Ber', "not valid JSON"),
        ("{'city': 'Berlin'}", "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('"text"', "must be a JSON object, got str"),
    ],
)
def test_parse_tool_arguments_errors(arguments: str, phrase: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_tool_arguments(arguments)
    assert phrase in str(caught.value)
    if "JSON object" not in phrase:
        assert arguments[:10] in str(caught.value)  # the model's text is quoted


def test_join_text_parts() -> None:
    parts = ["Hello ", {"type": "text", "text": "world"}, {"type": "reasoning", "text": "x"}]
    assert join_text_parts(parts) == "Hello world"
    assert join_text_parts([]) == ""


@pytest.mark.parametrize(
    ("part", "kind"),
    [
        ({"type": "image_url", "image_url": {"url": "data:"}}, "'image_url'"),
        ({"type": "input_audio"}, "'input_audio'"),
        (b"bytes", "'bytes'"),
    ],
)
def test_join_text_parts_refuses_non_text(part: object, kind: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        join_text_parts(["look: ", part], where="messages[2]")
    assert f"messages[2] part 1 is {kind}" in str(caught.value)
    assert "text only" in str(caught.value)
    assert caught.value.param == "messages"


# --------------------------------------------------------------------------------------------
# Usage


def test_usage_properties_deepseek_fields() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 976,
            "completion_tokens": 61,
            "total_tokens": 1037,
            "prompt_cache_hit_tokens": 896,
            "prompt_cache_miss_tokens": 80,
            "prompt_tokens_details": {"cached_tokens": 896},
            "completion_tokens_details": {"reasoning_tokens": 25},
        }
    )
    assert (usage.cache_hit_tokens, usage.cache_miss_tokens, usage.reasoning_tokens) == (
        896,
        80,
        25,
    )


def test_usage_properties_openai_fields_only() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 100,
            "completion_tokens": 5,
            "total_tokens": 105,
            "prompt_tokens_details": {"cached_tokens": 64},
        }
    )
    assert usage.cache_hit_tokens == 64
    assert usage.cache_miss_tokens == 36
    assert usage.reasoning_tokens == 0


def test_usage_properties_bare() -> None:
    usage = Usage(prompt_tokens=10, completion_tokens=2, total_tokens=12)
    assert (usage.cache_hit_tokens, usage.cache_miss_tokens, usage.reasoning_tokens) == (0, 10, 0)
    nulls = Usage.model_validate(
        {
            "prompt_tokens": 3,
            "prompt_tokens_details": {"cached_tokens": None},
            "completion_tokens_details": {"reasoning_tokens": None},
        }
    )
    assert (nulls.cache_hit_tokens, nulls.cache_miss_tokens, nulls.reasoning_tokens) == (0, 3, 0)


def test_usage_summary() -> None:
    assert usage_summary(None) == {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "prompt_cache_hit_tokens": 0,
        "prompt_cache_miss_tokens": 0,
        "reasoning_tokens": 0,
    }
    usage = Usage(
        prompt_tokens=12,
        completion_tokens=789,
        total_tokens=801,
        prompt_cache_hit_tokens=0,
        prompt_cache_miss_tokens=12,
    )
    assert usage_summary(usage)["prompt_cache_miss_tokens"] == 12


def test_completion_convenience_properties() -> None:
    reply = ChatCompletion.model_validate(completion("Yes"))
    assert reply.message.content == "Yes" and reply.finish_reason == "stop"


def test_user_agent_names_the_installed_version() -> None:
    from importlib import metadata

    from deepseekapi_core._version import __version__

    assert __version__ == metadata.version("deepseekapi-integrations")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    with DeepSeekClient(api_key="sk-test", transport=httpx.MockTransport(handler)) as client:
        client.list_models()
    assert seen[0].headers["user-agent"] == f"deepseekapi-integrations/{__version__}"
