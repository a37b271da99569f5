"""Strict function calling with ``ChatDeepSeekAPI``: ``bind_tools(strict=True)`` and
``with_structured_output(strict=True)`` send a closed schema to the beta URL, or fail before
sending naming the part that cannot be strict (langchain-ai/langchain 40029, 40030, 40031:
``strict=True`` never reached the beta endpoint)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import httpx
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRequest, ModelResponse, wrap_model_call
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from deepseekapi_core.http import BetaEndpointNotFoundError, InvalidRequestError, StrictSchemaError
from deepseekapi_core.testing import Emulator

from .conftest import KEY, ModelFactory


class Forecast(BaseModel):
    """A weather forecast."""

    city: str = Field(description="The city.")
    days: int = Field(default=3, description="How many days.")
    unit: str | None = Field(default=None, description="celsius or fahrenheit.")


class Place(TypedDict):
    """A place."""

    name: str
    country: str


@tool
def get_weather(city: str, unit: str | None = None) -> str:
    """Get the current weather for a city."""
    return f"It is sunny and 22C in {city}."


def sent_tools(emulator: Emulator) -> list[dict[str, Any]]:
    request = emulator.last_request
    assert request is not None
    assert request.path == "/beta/chat/completions"
    tools: list[dict[str, Any]] = request.json["tools"]
    return tools


def assert_closed(parameters: dict[str, Any]) -> None:
    assert parameters["additionalProperties"] is False
    assert parameters["required"] == list(parameters["properties"])


@pytest.mark.parametrize("tool_like", [Forecast, Place, get_weather])
def test_bind_tools_strict_sends_a_closed_schema_to_beta(
    tool_like: Any, make_llm: ModelFactory, emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-chat")
    reply = llm.bind_tools([tool_like], strict=True, tool_choice="any").invoke("Paris, France")
    assert isinstance(reply, AIMessage) and reply.tool_calls
    (sent,) = sent_tools(emulator)
    assert sent["function"]["strict"] is True
    assert_closed(sent["function"]["parameters"])
    # The composed call fills every key the closed schema requires.
    assert set(reply.tool_calls[0]["args"]) == set(sent["function"]["parameters"]["properties"])


async def test_bind_tools_strict_async(make_llm: ModelFactory, emulator: Emulator) -> None:
    llm = make_llm(model="deepseek-chat")
    reply = await llm.bind_tools([get_weather], strict=True).ainvoke("Weather in Paris?")
    assert isinstance(reply, AIMessage)
    assert sent_tools(emulator)[0]["function"]["strict"] is True


def test_an_optional_field_is_sent_nullable(make_llm: ModelFactory, emulator: Emulator) -> None:
    make_llm().bind_tools([Forecast], strict=True).invoke("Forecast for Paris")
    properties = sent_tools(emulator)[0]["function"]["parameters"]["properties"]
    assert properties["unit"]["anyOf"][-1] == {"type": "null"}
    assert properties["days"] == {"type": "integer", "default": 3, "description": "How many days."}


def test_without_strict_the_request_stays_on_the_plain_url(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    make_llm().bind_tools([get_weather]).invoke("Weather in Paris?")
    assert emulator.last_request is not None
    assert emulator.last_request.path == "/v1/chat/completions"
    assert "strict" not in emulator.last_request.json["tools"][0]["function"]


def test_a_schema_that_cannot_be_strict_fails_at_bind_time(make_llm: ModelFactory) -> None:
    class Tally(BaseModel):
        """Count things."""

        counts: dict[str, int]

    with pytest.raises(StrictSchemaError) as caught:
        make_llm().bind_tools([Tally], strict=True)
    assert caught.value.tool == "Tally"
    assert caught.value.path == "$.properties.counts"
    assert isinstance(caught.value, ValueError)  # what ChatOpenAI's callers catch


def strict_tools_middleware() -> Any:
    @wrap_model_call  # type: ignore[arg-type]
    def strict_tools(
        request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        settings = {**request.model_settings, "strict": True}
        return handler(request.override(model_settings=settings))

    return strict_tools


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
def test_create_agent_with_strict_tools_runs_its_loop_on_beta(
    model: str, make_llm: ModelFactory, emulator: Emulator
) -> None:
    agent = create_agent(
        make_llm(model=model), [get_weather], middleware=[strict_tools_middleware()]
    )
    result = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    messages = result["messages"]
    assert any(isinstance(m, ToolMessage) and "sunny" in str(m.content) for m in messages)
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls and "sunny" in str(final.content)
    assert len(emulator.chat_requests) >= 2
    for request in emulator.chat_requests:
        assert request.path == "/beta/chat/completions"
        assert request.json["tools"][0]["function"]["strict"] is True


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
def test_with_structured_output_strict(
    method: Any, model: str, make_llm: ModelFactory, emulator: Emulator
) -> None:
    structured = make_llm(model=model).with_structured_output(Forecast, method=method, strict=True)
    result = structured.invoke("Forecast for 'Paris' please")
    assert isinstance(result, Forecast)
    (sent,) = sent_tools(emulator)
    assert sent["function"]["name"] == "Forecast" and sent["function"]["strict"] is True
    assert_closed(sent["function"]["parameters"])


def test_with_structured_output_strict_refuses_json_mode(make_llm: ModelFactory) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        make_llm().with_structured_output(Forecast, method="json_mode", strict=True)
    assert caught.value.param == "strict"
    assert "json_mode" in str(caught.value)


def test_with_structured_output_strict_refuses_an_unclosable_schema(
    make_llm: ModelFactory,
) -> None:
    schema = {
        "title": "Tags",
        "description": "Tag counts.",
        "type": "object",
        "properties": {"tags": {"type": "object", "additionalProperties": {"type": "integer"}}},
        "required": ["tags"],
    }
    with pytest.raises(StrictSchemaError, match=r"'Tags'.*\$\.properties\.tags"):
        make_llm().with_structured_output(schema, strict=True)


def test_a_404_from_beta_is_the_beta_error() -> None:
    from langchain_deepseekapi import ChatDeepSeekAPI

    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"message": "Not Found"}})

    llm = ChatDeepSeekAPI(api_key=KEY, transport=httpx.MockTransport(not_found), max_retries=0)
    with pytest.raises(BetaEndpointNotFoundError) as caught:
        llm.bind_tools([get_weather], strict=True).invoke("Weather in Paris?")
    assert caught.value.features == ("strict tools",)
    assert "/beta/chat/completions" in str(caught.value)


def test_a_streamed_strict_call_goes_to_beta(make_llm: ModelFactory, emulator: Emulator) -> None:
    chunks = list(make_llm().bind_tools([get_weather], strict=True).stream("Weather in Paris?"))
    assert chunks
    assert sent_tools(emulator)[0]["function"]["strict"] is True
    assert emulator.last_request is not None and emulator.last_request.json["stream"] is True
