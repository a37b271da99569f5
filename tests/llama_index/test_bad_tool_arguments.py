"""A tool call whose arguments do not parse is answered, not fatal: ``get_tool_calls_from_response``
returns it with ``{}`` (as llama-index's own LLMs do) and the reply keeps the raw arguments, so
the tool's error goes back to the model and an agent run finishes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.core.tools import FunctionTool

from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


WEATHER = FunctionTool.from_defaults(fn=get_weather)
BAD_ARGUMENTS = ['{"city": Paris}', '{"city": "Paris"} and more', '["Paris"]']
DEEP = '{"city": ' + "[" * 1000 + "]" * 1000 + "}"


@pytest.mark.parametrize("arguments", [*BAD_ARGUMENTS, DEEP])
@pytest.mark.parametrize("stream", [False, True])
def test_bad_arguments_give_the_call_with_no_arguments_and_keep_the_raw_text(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, arguments: str, stream: bool
) -> None:
    llm = make_llm()
    emulator.script.reply_tool_call("get_weather", arguments)
    if stream:
        responses = list(llm.stream_chat_with_tools([WEATHER], user_msg="weather?"))
        # FunctionAgent reads every streamed response this way.
        for response in responses:
            llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        response = responses[-1]
    else:
        response = llm.chat_with_tools([WEATHER], user_msg="weather?")
    for strict in (False, True):
        (selection,) = llm.get_tool_calls_from_response(response, error_on_no_tool_call=strict)
        assert (selection.tool_name, selection.tool_kwargs) == ("get_weather", {})
    (block,) = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert block.tool_kwargs == arguments
    (listed,) = response.message.additional_kwargs["tool_calls"]
    assert listed["function"]["arguments"] == arguments


@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_answers_a_bad_call_and_finishes(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, streaming: bool
) -> None:
    llm = make_llm()
    emulator.script.reply_tool_call("get_weather", '{"city": Paris}')
    emulator.script.reply_tool_call("get_weather", {"city": "Paris"})
    emulator.script.reply_text("It is sunny in Paris.")
    handler = FunctionAgent(tools=[WEATHER], llm=llm, streaming=streaming).run("Weather in Paris?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    output = await handler
    assert str(output) == "It is sunny in Paris."
    assert [(r.tool_kwargs, r.tool_output.is_error) for r in results] == [
        ({}, True),
        ({"city": "Paris"}, False),
    ]
    # The model saw its bad call, exactly as it made it, and the tool's error.
    second = emulator.chat_requests[1].json["messages"]
    assert second[-2]["tool_calls"][0]["function"]["arguments"] == '{"city": Paris}'
    assert "city" in second[-1]["content"]
