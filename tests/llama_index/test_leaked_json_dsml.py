"""A DSML block holding JSON calls, leaked into the text, comes back as a tool call."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from llama_index.core.tools import FunctionTool

from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

BAR = "\uff5c"


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


@pytest.mark.parametrize("stream", [False, True])
def test_json_in_a_dsml_block_is_recovered(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, stream: bool
) -> None:
    llm = make_llm()
    call = json.dumps([{"name": "get_weather", "arguments": {"city": "Paris"}}])
    emulator.script.reply_text(f"<{BAR}DSML{BAR}tool_calls>{call}</{BAR}DSML{BAR}tool_calls>")
    tools = [FunctionTool.from_defaults(fn=get_weather)]
    if stream:
        *_, response = llm.stream_chat_with_tools(tools, user_msg="weather?")
    else:
        response = llm.chat_with_tools(tools, user_msg="weather?")
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("get_weather", {"city": "Paris"})
    assert response.additional_kwargs["tool_calls_recovered"] == "dsml"
