"""Strict function calling with ``DeepSeekAPI``: ``strict=True`` on the LLM or per call (as
llama-index's OpenAI LLM has them) sends closed schemas to the beta URL, through
``chat_with_tools``, ``structured_predict``/``as_structured_llm`` and a ``FunctionAgent``; a
schema strict mode cannot take fails before sending, naming the tool and the part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, Field

from deepseekapi_core.http import BetaEndpointNotFoundError, StrictSchemaError
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import API_KEY

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:Skipping serialization of known unserializable key"),
]


def get_weather(city: str, unit: str | None = None) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


WEATHER = FunctionTool.from_defaults(fn=get_weather)


class Song(BaseModel):
    """A song."""

    title: str = Field(description="The title.")
    year: int | None = Field(default=None, description="The year it came out.")


def last_tools(emulator: Emulator) -> list[dict[str, Any]]:
    request = emulator.last_request
    assert request is not None
    assert request.path == "/beta/chat/completions"
    tools: list[dict[str, Any]] = request.json["tools"]
    return tools


def assert_closed(function: dict[str, Any]) -> None:
    assert function["strict"] is True
    parameters = function["parameters"]
    assert parameters["additionalProperties"] is False
    assert parameters["required"] == list(parameters["properties"])


def test_strict_on_the_llm_sends_closed_tools_to_beta(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-chat", strict=True)
    response = llm.chat_with_tools([WEATHER], user_msg="Weather in Paris?", tool_required=True)
    (function,) = [tool["function"] for tool in last_tools(emulator)]
    assert_closed(function)
    assert function["parameters"]["properties"]["unit"]["anyOf"][-1] == {"type": "null"}
    (selection,) = llm.get_tool_calls_from_response(response)
    assert set(selection.tool_kwargs) == {"city", "unit"}


async def test_strict_per_call(make_llm: Callable[..., DeepSeekAPI], emulator: Emulator) -> None:
    llm = make_llm(model="deepseek-chat")
    await llm.achat_with_tools([WEATHER], user_msg="Weather in Paris?", strict=True)
    assert_closed(last_tools(emulator)[0]["function"])


def test_a_calls_strict_false_wins_over_the_llms_strict(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-chat", strict=True)
    llm.chat_with_tools([WEATHER], user_msg="Weather in Paris?", strict=False)
    request = emulator.last_request
    assert request is not None and request.path == "/v1/chat/completions"
    assert request.json["tools"][0]["function"]["strict"] is False


def test_without_strict_tools_stay_on_the_plain_url(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    make_llm().chat_with_tools([WEATHER], user_msg="Weather in Paris?")
    request = emulator.last_request
    assert request is not None and request.path == "/v1/chat/completions"
    assert "strict" not in request.json["tools"][0]["function"]


@pytest.mark.parametrize("where", ["llm", "call"])
def test_structured_predict_strict(
    where: str, make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-chat", strict=where == "llm")
    llm_kwargs = {"strict": True} if where == "call" else {}
    song = llm.structured_predict(
        Song, PromptTemplate("Name a song by {artist}"), llm_kwargs=llm_kwargs, artist="'Queen'"
    )
    assert isinstance(song, Song)
    (tool,) = last_tools(emulator)
    assert tool["function"]["name"] == "Song"
    assert_closed(tool["function"])


def test_as_structured_llm_with_a_strict_llm(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    structured = make_llm(model="deepseek-chat", strict=True).as_structured_llm(Song)
    response = structured.chat([ChatMessage(role="user", content="Name a song by 'Queen'")])
    assert isinstance(response.raw, Song)
    assert_closed(last_tools(emulator)[0]["function"])


def test_a_schema_that_cannot_be_strict_fails_before_sending(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    def tally(counts: dict[str, int]) -> int:
        """Add the counts up."""
        return sum(counts.values())

    llm = make_llm(strict=True)
    with pytest.raises(StrictSchemaError) as caught:
        llm.chat_with_tools([FunctionTool.from_defaults(fn=tally)], user_msg="Tally a=1")
    assert caught.value.tool == "tally"
    assert caught.value.path == "$.properties.counts"
    assert emulator.chat_requests == []


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
async def test_function_agent_loop_with_a_strict_llm(
    model: str, make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    agent = FunctionAgent(tools=[multiply], llm=make_llm(model=model, strict=True))
    handler = agent.run("What is 6 times 7?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    output = await handler
    assert [(r.tool_name, r.tool_output.content) for r in results] == [("multiply", "42")]
    assert "42" in str(output)
    assert len(emulator.chat_requests) >= 2
    for request in emulator.chat_requests:
        assert request.path == "/beta/chat/completions"
        assert_closed(request.json["tools"][0]["function"])


def test_a_404_from_beta_is_the_beta_error() -> None:
    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"message": "Not Found"}})

    llm = DeepSeekAPI(
        api_key=API_KEY, transport=httpx.MockTransport(not_found), strict=True, max_retries=0
    )
    with pytest.raises(BetaEndpointNotFoundError) as caught:
        llm.chat_with_tools([WEATHER], user_msg="Weather in Paris?")
    assert caught.value.features == ("strict tools",)
    assert "/beta/chat/completions" in str(caught.value)


def test_a_streamed_strict_call_goes_to_beta(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-chat", strict=True)
    *_, last = llm.stream_chat_with_tools(
        [WEATHER], user_msg="Weather in Paris?", tool_required=True
    )
    (selection,) = llm.get_tool_calls_from_response(last)
    assert selection.tool_name == "get_weather" and set(selection.tool_kwargs) == {"city", "unit"}
    assert_closed(last_tools(emulator)[0]["function"])
    assert emulator.last_request is not None and emulator.last_request.json["stream"] is True
