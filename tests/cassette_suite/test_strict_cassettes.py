"""Strict function calling (beta) against cassettes, per layer: the request goes to
``/beta/chat/completions`` with the tool's schema closed (every property required, the optional
one nullable, ``additionalProperties: false``, ``"strict": true``), and the call comes back
parsed as recorded."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from deepseekapi_core.tools import tool_specs_from

from . import _scenarios as sc
from ._support import emulated, reply, sent
from .conftest import Backend, UseCassette
from .test_core import check_completion, client
from .test_langchain import check_message, model
from .test_langchain import prompt as langchain_prompt
from .test_llama_index import check_response, llm
from .test_llama_index import prompt as llama_index_prompt

WEATHER_PROMPT = "What is the weather in Paris?"
CALL = {"city": "Paris", "unit": None}


class GetWeather(BaseModel):
    """Get the current weather in a city."""

    city: str = Field(description="The city.")
    unit: str | None = Field(default=None, description="celsius or fahrenheit.")


CLOSED_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "The city."},
        "unit": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "celsius or fahrenheit.",
        },
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}


def script_call(backend: Backend) -> None:
    if backend.emulator is not None:
        backend.emulator.script.reply_tool_call("GetWeather", CALL)


def check_strict_request(cass: Any) -> dict[str, Any]:
    assert cass.requests[0].path == "/beta/chat/completions"
    body = sent(cass, 0)
    (tool,) = body["tools"]
    assert tool["function"]["name"] == "GetWeather"
    assert tool["function"]["strict"] is True
    assert tool["function"]["parameters"] == CLOSED_PARAMETERS
    return body


def recorded_arguments(cass: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = json.loads(reply(cass, 0).tool_calls[0]["arguments"])
    if emulated(cass):
        assert arguments == CALL
    assert set(arguments) == {"city", "unit"}  # strict: every key present
    return arguments


def test_core_strict_tool_call(backend: Backend, cassette: UseCassette) -> None:
    script_call(backend)
    (spec,) = tool_specs_from([GetWeather], strict=True)
    with cassette("core-strict-tools") as cass, client(backend) as api:
        completion = api.chat(
            model="deepseek-chat",
            messages=sc.user_turn(WEATHER_PROMPT),
            tools=[spec],
            tool_choice="required",
        )
    body = check_strict_request(cass)
    assert body["tool_choice"] == "required"
    check_completion(completion, cass, 0)
    calls = completion.message.tool_calls or []
    assert json.loads(calls[0].function.arguments) == recorded_arguments(cass)


def test_langchain_bind_tools_strict(backend: Backend, cassette: UseCassette) -> None:
    script_call(backend)
    with cassette("langchain-strict-tools") as cass:
        message = (
            model(backend)
            .bind_tools([GetWeather], strict=True, tool_choice="any")
            .invoke(langchain_prompt(WEATHER_PROMPT))
        )
    check_strict_request(cass)
    assert isinstance(message, AIMessage)
    check_message(message, cass, 0)
    assert message.tool_calls[0]["args"] == recorded_arguments(cass)


def test_llama_index_strict_chat_with_tools(backend: Backend, cassette: UseCassette) -> None:
    script_call(backend)
    with cassette("llama-index-strict-tools") as cass:
        deepseek = llm(backend, strict=True)
        response = deepseek.chat_with_tools(
            [GetWeather],  # type: ignore[list-item]
            chat_history=llama_index_prompt(WEATHER_PROMPT),
            tool_required=True,
        )
    check_strict_request(cass)
    check_response(response, cass, 0)
    (selection,) = deepseek.get_tool_calls_from_response(response)
    assert selection.tool_kwargs == recorded_arguments(cass)
