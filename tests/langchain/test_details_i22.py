"""LangChain details a peer's user relies on (issue 22 point 3, issue 23 point 11)."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from deepseekapi_core import IgnoredParameterWarning
from deepseekapi_core.http import EmptyJSONReplyError
from deepseekapi_core.testing import Emulator

from .conftest import ModelFactory
from .helpers import Recorder, completion, delta_event, sse, tool_call


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny and 22C in {city}."


# --------------------------------------------------------------------------------------------
# 1. thinking mode is read from the request as it will be sent


def test_extra_body_thinking_disabled_keeps_a_forced_tool(make_llm: ModelFactory) -> None:
    recorder = Recorder(completion(None, tool_calls=[tool_call("c1", "get_weather", "{}")]))
    llm = make_llm(
        model="deepseek-flash",
        transport=recorder.transport(),
        extra_body={"thinking": {"type": "disabled"}},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredParameterWarning)
        llm.bind_tools([get_weather], tool_choice="required").invoke("Weather in Paris?")
    assert recorder.bodies[0]["tool_choice"] == "required"
    assert recorder.bodies[0]["thinking"] == {"type": "disabled"}


def test_model_kwargs_extra_body_thinking_disabled_keeps_a_forced_tool(
    make_llm: ModelFactory,
) -> None:
    recorder = Recorder(completion(None, tool_calls=[tool_call("c1", "get_weather", "{}")]))
    llm = make_llm(model="deepseek-flash", transport=recorder.transport())
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredParameterWarning)
        llm.bind_tools([get_weather], tool_choice="get_weather").invoke(
            "Weather in Paris?", extra_body={"thinking": {"type": "disabled"}}
        )
    assert recorder.bodies[0]["tool_choice"]["function"]["name"] == "get_weather"


def test_extra_body_thinking_enabled_replays_reasoning_in_create_agent(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-chat", extra_body={"thinking": {"type": "enabled"}})
    agent = create_agent(llm, [get_weather], system_prompt="You are a helpful assistant.")
    result = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    messages = result["messages"]
    assert any(isinstance(m, ToolMessage) for m in messages)
    assert isinstance(messages[-1], AIMessage) and "sunny" in str(messages[-1].content)
    step2 = emulator.chat_requests[1].json["messages"]
    sent_back = next(m for m in step2 if m["role"] == "assistant")
    assert sent_back["reasoning_content"]


def test_extra_body_thinking_disabled_on_the_reasoner_like_flash_strips_reasoning(
    make_llm: ModelFactory,
) -> None:
    recorder = Recorder(completion("done"))
    llm = make_llm(
        model="deepseek-flash",
        transport=recorder.transport(),
        extra_body={"thinking": {"type": "disabled"}},
    )
    history: list[Any] = [
        HumanMessage("Weather?"),
        AIMessage(
            "",
            tool_calls=[{"name": "get_weather", "args": {"city": "P"}, "id": "c1"}],
            additional_kwargs={"reasoning_content": "think"},
        ),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    llm.bind_tools([get_weather]).invoke(history)
    assistant = next(m for m in recorder.bodies[0]["messages"] if m["role"] == "assistant")
    assert "reasoning_content" not in assistant


def test_structured_output_forces_its_tool_when_extra_body_turns_thinking_off(
    make_llm: ModelFactory,
) -> None:
    recorder = Recorder(
        completion(None, tool_calls=[tool_call("c1", "get_weather", '{"city": "Paris"}')])
    )
    llm = make_llm(
        model="deepseek-flash",
        transport=recorder.transport(),
        model_kwargs={"extra_body": {"thinking": {"type": "disabled"}}},
    )
    schema = {
        "name": "get_weather",
        "description": "Weather.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    assert llm.with_structured_output(schema).invoke("Paris?") == {"city": "Paris"}
    assert recorder.bodies[0]["tool_choice"]["function"]["name"] == "get_weather"
    assert llm.profile is not None and llm.profile.get("tool_choice") is True


# --------------------------------------------------------------------------------------------
# 2. tool_choice=False has no effect, as for ChatOpenAI and ChatDeepSeek


def test_tool_choice_false_has_no_effect(make_llm: ModelFactory) -> None:
    recorder = Recorder(completion(None, tool_calls=[tool_call("c1", "get_weather", "{}")]))
    llm = make_llm(model="deepseek-chat", transport=recorder.transport())
    reply = llm.bind_tools([get_weather], tool_choice=False).invoke("Weather in Paris?")
    assert "tool_choice" not in recorder.bodies[0]
    assert reply.tool_calls


# --------------------------------------------------------------------------------------------
# 3. invocation_params, max_retries=None, logprobs, streamed generation_info


class _Params(BaseCallbackHandler):
    def __init__(self) -> None:
        self.params: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.params.append(kwargs["invocation_params"])


def test_invocation_params_carry_model_and_stream(make_llm: ModelFactory) -> None:
    handler = _Params()
    llm = make_llm(model="deepseek-chat")
    llm.invoke("Hi", config={"callbacks": [handler]})
    make_llm(model="deepseek-reasoner", streaming=True).invoke(
        "Hi", config={"callbacks": [handler]}
    )
    assert handler.params[0]["model"] == "deepseek-chat"
    assert handler.params[0]["stream"] is False
    assert handler.params[1]["model"] == "deepseek-reasoner"
    assert handler.params[1]["stream"] is True


def test_max_retries_none_means_the_default(make_llm: ModelFactory) -> None:
    llm = make_llm(max_retries=None)
    assert llm.clients.options.max_retries == 2
    assert llm.invoke("Hi").content
    llm.max_retries = 0
    llm.max_retries = None
    assert llm.max_retries == 2 and llm.clients.options.max_retries == 2


def test_response_metadata_has_logprobs(make_llm: ModelFactory) -> None:
    assert make_llm().invoke("Hi").response_metadata["logprobs"] is None
    recorder = Recorder(completion("Hi"))
    recorder.replies[0]["choices"][0]["logprobs"] = {"content": []}
    reply = make_llm(transport=recorder.transport()).invoke("Hi")
    assert reply.response_metadata["logprobs"] == {"content": []}


def test_streamed_generation_info_has_model_and_fingerprint(make_llm: ModelFactory) -> None:
    recorder = Recorder(
        sse([delta_event(content="Hel"), delta_event(content="lo", finish_reason="stop")])
    )
    llm = make_llm(transport=recorder.transport())
    chunks = list(llm._stream([HumanMessage("Hi")]))
    info = chunks[-1].generation_info or {}
    assert info["model_name"] == "deepseek-v4-flash"
    assert info["system_fingerprint"] == "fp_stream"
    merged = None
    for chunk in llm.stream("Hi"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert merged.response_metadata["model_name"] == "deepseek-v4-flash"
    assert merged.response_metadata["system_fingerprint"] == "fp_stream"


# --------------------------------------------------------------------------------------------
# 4. content given as a list of text parts is not fused


def test_text_parts_are_not_fused(make_llm: ModelFactory) -> None:
    recorder = Recorder(completion("Bonjour"))
    llm = make_llm(transport=recorder.transport())
    llm.invoke(
        [
            SystemMessage(["You are terse.", "Answer in French."]),
            HumanMessage([{"type": "text", "text": "Hello."}, "How are you?"]),
            AIMessage("", tool_calls=[{"name": "get_weather", "args": {}, "id": "c1"}]),
            ToolMessage(["sunny", {"type": "text", "text": "22C"}], tool_call_id="c1"),
            HumanMessage(["Line one\n", "Line two"]),
        ]
    )
    sent = [message.get("content") for message in recorder.bodies[0]["messages"]]
    assert sent[0] == "You are terse.\nAnswer in French."
    assert sent[1] == "Hello.\nHow are you?"
    assert sent[3] == "sunny\n22C"
    assert sent[4] == "Line one\nLine two"  # a part that ends a line gets no second newline


# --------------------------------------------------------------------------------------------
# 5. JSON mode streams growing partial dicts


def test_json_mode_streams_growing_partial_dicts(make_llm: ModelFactory) -> None:
    pieces = ['{"name"', ': "Ana', ' Lopez"', ', "age": 3', "1}"]
    events = [delta_event(content=piece) for piece in pieces]
    events.append(delta_event(content="", finish_reason="stop"))
    recorder = Recorder(sse(events))
    structured = make_llm(transport=recorder.transport()).with_structured_output(
        None, method="json_mode"
    )
    parts = list(structured.stream("JSON please"))
    assert len(parts) >= 3
    assert parts[0] == {} or len(parts[0]) < len(parts[-1])
    assert parts[-1] == {"name": "Ana Lopez", "age": 31}


def test_json_mode_stream_of_whitespace_is_still_refused(make_llm: ModelFactory) -> None:
    events = [delta_event(content="  \n "), delta_event(content=" ", finish_reason="stop")]
    structured = make_llm(transport=Recorder(sse(events)).transport()).with_structured_output(
        None, method="json_mode"
    )
    with pytest.raises(EmptyJSONReplyError):
        list(structured.stream("JSON please"))
    whole = make_llm(transport=Recorder(completion("   ")).transport())
    with pytest.raises(EmptyJSONReplyError):
        whole.with_structured_output(None, method="json_mode").invoke("JSON please")


async def test_json_mode_astream_grows_and_refuses_whitespace(make_llm: ModelFactory) -> None:
    pieces = ['{"name"', ': "Ana"', ', "age"', ": 31}"]
    events = [delta_event(content=piece) for piece in pieces]
    events.append(delta_event(content="", finish_reason="stop"))
    structured = make_llm(transport=Recorder(sse(events)).transport()).with_structured_output(
        None, method="json_mode"
    )
    parts = [part async for part in structured.astream("JSON please")]
    assert len(parts) >= 2 and parts[-1] == {"name": "Ana", "age": 31}
    blank = [delta_event(content=" "), delta_event(content=" ", finish_reason="stop")]
    empty = make_llm(transport=Recorder(sse(blank)).transport()).with_structured_output(
        None, method="json_mode"
    )
    with pytest.raises(EmptyJSONReplyError):
        [part async for part in empty.astream("JSON please")]


# --------------------------------------------------------------------------------------------
# 6. (issue 23 point 11) default_headers are secret: sent, never serialised


class _Runs(BaseCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.seen.append(repr((serialized, kwargs)))


def test_default_headers_are_sent_but_never_serialised(make_llm: ModelFactory) -> None:
    secret = "gw-key-7f3a9c"
    recorder = Recorder(completion("Hi"))
    seen_headers: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_headers.append(request.headers.get("x-gateway-key", ""))
        return recorder(request)

    llm = make_llm(
        transport=httpx.MockTransport(handler),
        default_headers={"X-Gateway-Key": secret},
    )
    runs = _Runs()
    llm.invoke("Hi", config={"callbacks": [runs]})
    assert seen_headers == [secret]
    shown = [
        repr(dumpd(llm)),
        dumps(llm),
        repr(llm.model_dump()),
        llm.model_dump_json(),
        repr(llm),
        str(llm),
        *runs.seen,
    ]
    for text in shown:
        assert secret not in text
    assert llm.default_headers == {"X-Gateway-Key": secret}
