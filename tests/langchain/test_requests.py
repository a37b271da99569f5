"""The JSON bodies ChatDeepSeekAPI sends: parameters, overrides, tools, tool_choice, reasoning."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from deepseekapi_core import IgnoredParameterWarning, InvalidRequestError
from deepseekapi_core.http import UnsupportedParameterError
from langchain_deepseekapi import ChatDeepSeekAPI

from .conftest import KEY
from .helpers import Recorder, completion, delta_event, sse


def sent(recorder: Recorder, **options: Any) -> tuple[ChatDeepSeekAPI, Recorder]:
    return ChatDeepSeekAPI(api_key=KEY, transport=recorder.transport(), **options), recorder


def one_body(options: dict[str, Any], *args: Any, **call: Any) -> dict[str, Any]:
    llm, recorder = sent(Recorder(completion()), **options)
    llm.invoke(args[0] if args else "hi", **call)
    assert len(recorder.bodies) == 1
    return recorder.bodies[0]


def test_sampling_parameters() -> None:
    body = one_body(
        {
            "temperature": 0.2,
            "top_p": 0.9,
            "max_tokens": 64,
            "stop": ["END"],
            "user_id": "user-1",
            "logprobs": True,
            "top_logprobs": 3,
        }
    )
    assert body == {
        "model": "deepseek-chat",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["END"],
        "user_id": "user-1",
        "logprobs": True,
        "top_logprobs": 3,
        # V4.1 answers deepseek-chat as deepseek-flash (thinking by default): plain chat is asked.
        "thinking": {"type": "disabled"},
    }


def test_call_options_override_constructor_values() -> None:
    body = one_body({"temperature": 0.2, "stop": ["A"]}, "hi", temperature=1.5, stop=["B"])
    assert body["temperature"] == 1.5
    assert body["stop"] == ["B"]
    body = one_body({"stop": ["A"]}, "hi", stop=[])  # an empty stop list means none
    assert "stop" not in body


def test_model_override_per_call() -> None:
    assert one_body({}, "hi", model="deepseek-v4-pro")["model"] == "deepseek-v4-pro"


def test_penalties_sent_to_models_that_use_them_and_dropped_with_a_warning_on_v4() -> None:
    body = one_body({"presence_penalty": 0.5, "frequency_penalty": 0.1, "era": "v3.2"})
    assert (body["presence_penalty"], body["frequency_penalty"]) == (0.5, 0.1)
    with pytest.warns(IgnoredParameterWarning, match="frequency_penalty, presence_penalty"):
        body = one_body({"presence_penalty": 0.5, "frequency_penalty": 0.1})
    assert "presence_penalty" not in body


def test_model_kwargs_and_extra_body() -> None:
    body = one_body(
        {"model_kwargs": {"temperature": 0.7, "new_field": 1}, "extra_body": {"other": "x"}},
        "hi",
        extra_body={"per_call": True},
    )
    assert body["temperature"] == 0.7
    assert body["new_field"] == 1
    assert body["other"] == "x"
    assert body["per_call"] is True


def test_unknown_call_option_is_refused_before_sending() -> None:
    # The service ignores unknown fields, so a misspelt option would be lost without a word.
    llm, recorder = sent(Recorder(completion()))
    with pytest.raises(InvalidRequestError, match="unknown call option 'temprature'") as caught:
        llm.invoke("hi", temprature=0.2)
    assert caught.value.param == "temprature"
    assert "extra_body" in str(caught.value)
    assert recorder.bodies == []


def test_thinking_switch_and_effort() -> None:
    body = one_body({"model": "deepseek-v4-flash", "thinking": True, "reasoning_effort": "max"})
    assert body["thinking"] == {"type": "enabled"}
    assert body["reasoning_effort"] == "max"
    body = one_body({"model": "deepseek-v4-flash", "thinking": False})
    assert body["thinking"] == {"type": "disabled"}


def test_reasoner_rejects_logprobs_before_sending() -> None:
    llm, recorder = sent(Recorder(completion()), model="deepseek-reasoner", logprobs=True)
    with pytest.raises(UnsupportedParameterError, match="logprobs"):
        llm.invoke("hi")
    assert recorder.bodies == []


def test_reasoner_drops_sampling_parameters_with_a_warning() -> None:
    with pytest.warns(IgnoredParameterWarning, match="temperature"):
        body = one_body({"model": "deepseek-reasoner", "temperature": 0.1})
    assert "temperature" not in body


def test_out_of_range_value_names_the_field() -> None:
    llm, recorder = sent(Recorder(completion()), temperature=3.0)
    with pytest.raises(InvalidRequestError, match="temperature"):
        llm.invoke("hi")
    assert recorder.bodies == []


def test_reasoning_not_sent_back_without_tools() -> None:
    history = [
        HumanMessage("Why?"),
        AIMessage("Because.", additional_kwargs={"reasoning_content": "long thought"}),
        HumanMessage("And then?"),
    ]
    body = one_body({"model": "deepseek-reasoner"}, history)
    assert body["messages"][1] == {"role": "assistant", "content": "Because."}


def test_reasoning_sent_back_in_thinking_tool_turns() -> None:
    history = [
        SystemMessage("Use tools."),
        HumanMessage("Weather in Paris?"),
        AIMessage(
            "",
            tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "c1"}],
            additional_kwargs={"reasoning_content": "I need the weather tool."},
        ),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    body = one_body({"model": "deepseek-reasoner"}, history)
    assert body["messages"][2]["reasoning_content"] == "I need the weather tool."
    # a turn whose reasoning was lost gets an empty one, which the service accepts
    history[2] = AIMessage("", tool_calls=[{"name": "weather", "args": {}, "id": "c1"}])
    body = one_body({"model": "deepseek-reasoner"}, history)
    assert body["messages"][2]["reasoning_content"] == ""
    # the chat model (no thinking) never gets it
    history[2] = AIMessage(
        "",
        tool_calls=[{"name": "weather", "args": {}, "id": "c1"}],
        additional_kwargs={"reasoning_content": "x"},
    )
    assert "reasoning_content" not in one_body({}, history)["messages"][2]
    # unless asked to
    assert (
        one_body({"reasoning_replay": "always"}, history)["messages"][2]["reasoning_content"] == "x"
    )


# --------------------------------------------------------------------------------------------
# Tools


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"Sunny in {city}"


class Calculator(BaseModel):
    """Add two numbers."""

    a: int = Field(description="first")
    b: int = Field(description="second")


class Lookup(TypedDict):
    """Look a word up."""

    word: str


def multiply(x: float, y: float) -> float:
    """Multiply two numbers."""
    return x * y


RAW_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
        },
    },
}


def test_bind_tools_every_kind() -> None:
    llm, recorder = sent(Recorder(completion()))
    llm.bind_tools([get_weather, Calculator, Lookup, multiply, RAW_TOOL]).invoke("hi")
    tools = recorder.bodies[0]["tools"]
    assert [t["function"]["name"] for t in tools] == [
        "get_weather",
        "Calculator",
        "Lookup",
        "multiply",
        "search",
    ]
    assert all(t["type"] == "function" for t in tools)
    weather = tools[0]["function"]
    assert weather["description"] == "Get the weather for a city."
    assert weather["parameters"]["properties"]["city"]["type"] == "string"
    assert tools[1]["function"]["parameters"]["required"] == ["a", "b"]
    assert tools[3]["function"]["parameters"]["properties"]["x"]["type"] == "number"
    assert tools[4] == RAW_TOOL
    assert "tool_choice" not in recorder.bodies[0]


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_tool_choice(choice: Any, wire: Any) -> None:
    llm, recorder = sent(Recorder(completion()))
    llm.bind_tools([get_weather, Calculator], tool_choice=choice).invoke("hi")
    assert recorder.bodies[0]["tool_choice"] == wire


def test_tool_choice_true() -> None:
    llm, recorder = sent(Recorder(completion()))
    llm.bind_tools([get_weather], tool_choice=True).invoke("hi")
    llm.bind_tools([get_weather, Calculator], tool_choice=True).invoke("hi")
    assert recorder.bodies[0]["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }
    assert recorder.bodies[1]["tool_choice"] == "required"


def test_tool_choice_unknown_name_is_a_clear_error() -> None:
    llm, _ = sent(Recorder(completion()))
    with pytest.raises(InvalidRequestError, match=r"'nope'.*get_weather"):
        llm.bind_tools([get_weather], tool_choice="nope")


def test_invalid_tool_is_refused_at_bind_time_naming_it() -> None:
    llm, _ = sent(Recorder(completion()))
    bad = {"type": "function", "function": {"name": "has space", "parameters": {"type": "object"}}}
    with pytest.raises(InvalidRequestError, match="has space"):
        llm.bind_tools([bad])
    with pytest.raises(InvalidRequestError, match="only function tools"):
        llm.bind_tools([{"type": "web_search"}])


def test_strict_and_parallel_tool_calls() -> None:
    llm, recorder = sent(Recorder(completion()))
    llm.bind_tools([Calculator], strict=True).invoke("hi")
    assert recorder.bodies[0]["tools"][0]["function"]["strict"] is True
    with pytest.warns(UserWarning, match="parallel_tool_calls"):
        bound = llm.bind_tools([Calculator], parallel_tool_calls=False)
    bound.invoke("hi")
    assert "parallel_tool_calls" not in recorder.bodies[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm.bind_tools([Calculator], parallel_tool_calls=True)


def test_stream_with_tools_sends_the_same_tools() -> None:
    llm, recorder = sent(Recorder(sse([delta_event(content="ok", finish_reason="stop")])))
    list(llm.bind_tools([get_weather], tool_choice="any").stream("hi"))
    body = recorder.bodies[0]
    assert body["stream"] is True
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert body["tool_choice"] == "required"


@pytest.mark.parametrize("choice", ["any", "required", "get_weather", True])
def test_reasoner_sends_a_forced_tool_choice_as_auto(choice: Any) -> None:
    # Thinking mode answers 400 to a forced choice; the core offers the tools with "auto".
    llm, recorder = sent(Recorder(completion()), model="deepseek-reasoner")
    bound = llm.bind_tools([get_weather], tool_choice=choice)
    with pytest.warns(IgnoredParameterWarning, match="cannot force a tool"):
        bound.invoke("hi")
    assert recorder.bodies[0]["tool_choice"] == "auto"
    assert recorder.bodies[0]["tools"][0]["function"]["name"] == "get_weather"
