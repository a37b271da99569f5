"""Tool calling: chat_with_tools (all four forms), tool_choice/tool_required, parallel calls,
get_tool_calls_from_response, and the reasoner's tool-call turns against the strict emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.llms import ChatMessage, ChatResponse
from llama_index.core.tools import FunctionTool

from deepseekapi_core import BadRequestError, InvalidRequestError
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


WEATHER = FunctionTool.from_defaults(fn=get_weather)
ADD = FunctionTool.from_defaults(fn=add)
TOOLS = [WEATHER, ADD]


@pytest.fixture(params=["chat", "achat", "stream", "astream"])
def way(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _with_tools(llm: DeepSeekAPI, way: str, *args: Any, **kwargs: Any) -> ChatResponse:
    """The final response of chat_with_tools in one of its four forms."""
    if way == "chat":
        return llm.chat_with_tools(*args, **kwargs)
    if way == "stream":
        *_, last = llm.stream_chat_with_tools(*args, **kwargs)
        return last

    async def run() -> ChatResponse:
        if way == "achat":
            return await llm.achat_with_tools(*args, **kwargs)
        stream = await llm.astream_chat_with_tools(*args, **kwargs)
        responses = [response async for response in stream]
        return responses[-1]

    return asyncio.run(run())


def test_chat_with_tools_sends_tools_and_reads_the_call(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, way: str
) -> None:
    llm = make_llm()
    response = _with_tools(llm, way, TOOLS, user_msg="What is the weather in Paris?")
    sent = emulator.last_request
    assert sent is not None
    names = [tool["function"]["name"] for tool in sent.json["tools"]]
    assert names == ["get_weather", "add"]
    assert sent.json["tools"][0]["function"]["parameters"]["required"] == ["city"]
    assert sent.json["tool_choice"] == "auto"
    calls = llm.get_tool_calls_from_response(response)
    assert len(calls) == 1
    assert calls[0].tool_name == "get_weather"
    assert calls[0].tool_kwargs == {"city": "Paris"}
    assert calls[0].tool_id.startswith("call_")
    assert response.additional_kwargs["finish_reason"] == "tool_calls"
    # The call is on the message twice: as a block, and OpenAI-style for older consumers.
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks] == [
        (calls[0].tool_id, "get_weather", {"city": "Paris"})
    ]
    wire_call = response.message.additional_kwargs["tool_calls"][0]
    assert wire_call["id"] == calls[0].tool_id
    assert json.loads(wire_call["function"]["arguments"]) == {"city": "Paris"}


def test_tool_required_and_tool_choice(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm()
    llm.chat_with_tools(TOOLS, user_msg="hello", tool_required=True)
    assert emulator.last_request is not None
    assert emulator.last_request.json["tool_choice"] == "required"
    response = llm.chat_with_tools(TOOLS, user_msg="hello", tool_choice="add")
    assert emulator.last_request.json["tool_choice"] == {
        "type": "function",
        "function": {"name": "add"},
    }
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "add"
    llm.chat_with_tools(
        TOOLS, user_msg="hello", tool_choice={"type": "function", "function": {"name": "add"}}
    )
    assert emulator.last_request.json["tool_choice"]["function"]["name"] == "add"
    response = llm.chat_with_tools(TOOLS, user_msg="What is the weather?", tool_choice="none")
    assert emulator.last_request.json["tool_choice"] == "none"
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []


def test_tool_required_in_thinking_mode_offers_auto(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    """Thinking mode refuses forced tool choices (400 on the real service): ask for "auto"."""
    llm = make_llm(model="deepseek-reasoner")
    response = llm.chat_with_tools(TOOLS, user_msg="Weather in Rome?", tool_required=True)
    assert emulator.last_request is not None
    assert emulator.last_request.json["tool_choice"] == "auto"
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"city": "Rome"}


@pytest.mark.parametrize("where", ["additional_kwargs", "call"])
def test_thinking_switched_off_through_extra_body_lets_a_tool_be_forced(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, where: str
) -> None:
    """The one thinking rule reads the request as sent: ``extra_body`` turning thinking off on
    a thinking-by-default model makes ``tool_required`` a forced "required", not "auto"."""
    extra_body = {"thinking": {"type": "disabled"}}
    if where == "additional_kwargs":
        llm = make_llm(model="deepseek-flash", additional_kwargs={"extra_body": extra_body})
        llm.chat_with_tools(TOOLS, user_msg="Weather in Rome?", tool_required=True)
    else:
        llm = make_llm(model="deepseek-flash")
        llm.chat_with_tools(
            TOOLS, user_msg="Weather in Rome?", tool_required=True, extra_body=extra_body
        )
    assert emulator.last_request is not None
    assert emulator.last_request.json["tool_choice"] == "required"
    assert emulator.last_request.json["thinking"] == {"type": "disabled"}


def test_no_tool_call_is_a_clear_error_unless_allowed(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm()
    emulator.script.reply_text("I know this one: 4.")
    response = llm.chat_with_tools(TOOLS, user_msg="2+2?")
    with pytest.raises(ValueError, match=r"made none.*I know this one"):
        llm.get_tool_calls_from_response(response)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []


def test_parallel_tool_calls_kept_only_when_allowed(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, way: str
) -> None:
    llm = make_llm()
    pair: list[tuple[str, dict[str, object]]] = [
        ("get_weather", {"city": "Paris"}),
        ("add", {"a": 1, "b": 2}),
    ]
    emulator.script.reply_tool_calls(pair)
    response = _with_tools(llm, way, TOOLS, user_msg="both", allow_parallel_tool_calls=True)
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == pair
    assert len({c.tool_id for c in calls}) == 2
    if way in ("chat", "achat"):  # llama-index does not validate streamed responses
        emulator.script.reply_tool_calls(pair)
        response = _with_tools(llm, way, TOOLS, user_msg="both")
        calls = llm.get_tool_calls_from_response(response)
        assert [c.tool_name for c in calls] == ["get_weather"]
        assert len(response.message.additional_kwargs["tool_calls"]) == 1


def test_streamed_tool_call_arguments_are_partial_until_the_end(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm()
    emulator.script.reply_tool_call("add", {"a": 12345, "b": 67890})
    responses = list(llm.stream_chat_with_tools(TOOLS, user_msg="add"))
    seen = [llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) for r in responses]
    with_calls = [s for s in seen if s]
    assert len(with_calls) >= 2
    assert with_calls[0][0].tool_kwargs == {}  # half an object reads as empty while streaming
    assert with_calls[-1][0].tool_kwargs == {"a": 12345, "b": 67890}
    assert len({s[0].tool_id for s in with_calls}) == 1


def test_invalid_arguments_in_a_finished_reply_read_as_empty(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    """As in llama-index's own LLMs (more in test_bad_tool_arguments.py)."""
    llm = make_llm()
    emulator.script.reply_tool_call("add", '{"a": 1, "b": ')
    response = llm.chat_with_tools(TOOLS, user_msg="add")
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("add", {})


def test_reasoner_tool_loop_sends_its_reasoning_back(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, way: str
) -> None:
    """The strict emulator 400s a thinking tool-call turn sent back without its reasoning."""
    llm = make_llm(model="deepseek-reasoner")
    emulator.script.reply_tool_call("add", {"a": 2, "b": 3}, reasoning="I must add 2 and 3.")
    history = [ChatMessage(role="user", content="What is 2 + 3?")]
    first = _with_tools(llm, way, TOOLS, chat_history=history)
    call = llm.get_tool_calls_from_response(first)[0]
    history += [
        first.message,
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": call.tool_id}),
    ]
    emulator.script.reply_tool_call("add", {"a": 5, "b": 10}, reasoning="Now add 10.")
    second = _with_tools(llm, way, TOOLS, chat_history=history)
    call = llm.get_tool_calls_from_response(second)[0]
    history += [
        second.message,
        ChatMessage(role="tool", content="15", additional_kwargs={"tool_call_id": call.tool_id}),
    ]
    final = _with_tools(llm, way, TOOLS, chat_history=history)
    assert final.message.content
    sent = emulator.last_request
    assert sent is not None
    assistants = [m for m in sent.json["messages"] if m["role"] == "assistant"]
    assert [m["reasoning_content"] for m in assistants] == ["I must add 2 and 3.", "Now add 10."]


def test_a_lost_reasoning_would_be_refused_by_the_strict_emulator(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    """Control: with reasoning_replay="never" the same loop dies with the service's 400."""
    llm = make_llm(model="deepseek-reasoner", reasoning_replay="never")
    history = [ChatMessage(role="user", content="What is 2 + 3?")]
    first = llm.chat_with_tools(TOOLS, chat_history=history)
    call = llm.get_tool_calls_from_response(first)[0]
    history += [
        first.message,
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": call.tool_id}),
    ]
    with pytest.raises(BadRequestError, match="Missing `reasoning_content`"):
        llm.chat_with_tools(TOOLS, chat_history=history)


def test_history_from_tool_call_blocks_only(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    """Messages built by other code (blocks, no OpenAI-style kwargs) translate too."""
    history = [
        ChatMessage(role="user", content="add"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="adding"),
                TextBlock(text=""),
                ToolCallBlock(tool_call_id="call_9", tool_name="add", tool_kwargs={"a": 1, "b": 1}),
            ],
        ),
        ChatMessage(role="tool", content="2", additional_kwargs={"tool_call_id": "call_9"}),
    ]
    make_llm(model="deepseek-reasoner").chat_with_tools(TOOLS, chat_history=history)
    sent = emulator.last_request
    assert sent is not None
    assert sent.json["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_9",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 1, "b": 1}'},
            }
        ],
        "reasoning_content": "adding",
    }
    assert sent.json["messages"][2] == {"role": "tool", "content": "2", "tool_call_id": "call_9"}


def test_predict_and_call_runs_the_tool(make_llm: Callable[..., DeepSeekAPI]) -> None:
    output = make_llm().predict_and_call(TOOLS, user_msg="What is the weather in Oslo?")
    assert output.response == "Sunny in Oslo"


async def test_apredict_and_call_runs_the_tool(make_llm: Callable[..., DeepSeekAPI]) -> None:
    output = await make_llm(model="deepseek-reasoner").apredict_and_call(
        TOOLS, user_msg="What is the weather in Oslo?"
    )
    assert output.response == "Sunny in Oslo"


@pytest.mark.parametrize("tools", [True, "get_weather", {"name": "get_weather"}, 3])
def test_tools_that_are_not_a_list_are_a_clear_error(tools: Any) -> None:
    # Found by the reliability fuzzer: tools=True used to fail with a bare TypeError.
    emulator = Emulator()
    llm = DeepSeekAPI(api_key="sk-test", transport=emulator.transport())
    with pytest.raises(InvalidRequestError, match="tools must be a list of tools") as caught:
        llm.chat([ChatMessage(role="user", content="Hi")], tools=tools)
    assert caught.value.param == "tools"
    assert emulator.request_count == 0
