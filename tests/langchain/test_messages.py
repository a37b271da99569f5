"""LangChain messages to the core's wire messages, and back."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

from deepseekapi_core import InvalidRequestError
from langchain_deepseekapi import ChatDeepSeekAPI
from langchain_deepseekapi._messages import to_core_message, to_core_messages

from .conftest import KEY
from .helpers import Recorder, completion


def test_roles_and_fields() -> None:
    messages = to_core_messages(
        [
            SystemMessage("be brief"),
            HumanMessage("weather?", name="ana"),
            AIMessage(
                "",
                tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "c1"}],
                additional_kwargs={"reasoning_content": "I should look it up"},
            ),
            ToolMessage("sunny", tool_call_id="c1"),
            AIMessage("It is sunny."),
        ]
    )
    wire = [m.to_wire() for m in messages]
    assert wire[0] == {"role": "system", "content": "be brief"}
    assert wire[1] == {"role": "user", "content": "weather?", "name": "ana"}
    assert wire[2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
            }
        ],
        "reasoning_content": "I should look it up",
    }
    assert wire[3] == {"role": "tool", "content": "sunny", "tool_call_id": "c1"}
    assert wire[4] == {"role": "assistant", "content": "It is sunny."}


def test_unicode_arguments_are_not_escaped() -> None:
    message = to_core_message(
        AIMessage("", tool_calls=[{"name": "f", "args": {"q": "你好"}, "id": "1"}])
    )
    assert message.tool_calls is not None
    assert json.loads(message.tool_calls[0].function.arguments) == {"q": "你好"}
    assert "你好" in message.tool_calls[0].function.arguments


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("system", "system"),
        ("user", "user"),
        ("human", "user"),
        ("assistant", "assistant"),
        ("ai", "assistant"),
        ("developer", "system"),
    ],
)
def test_chat_message_roles(role: str, expected: str) -> None:
    assert to_core_message(ChatMessage(content="x", role=role)).role == expected


def test_chat_message_with_an_unknown_role_names_it() -> None:
    with pytest.raises(InvalidRequestError, match="'wizard'"):
        to_core_message(ChatMessage(content="x", role="wizard"))


def test_multi_part_text_is_joined() -> None:
    message = to_core_message(
        HumanMessage(
            content=[{"type": "text", "text": "Hello, "}, "world", {"type": "text", "text": "!"}]
        )
    )
    assert message.content == "Hello, world\n!"  # parts never fuse: a newline where they touch
    tool = to_core_message(ToolMessage(content=[{"type": "text", "text": "42"}], tool_call_id="c"))
    assert tool.content == "42"


def test_audio_is_a_clear_error() -> None:
    audio = HumanMessage(
        content=[
            {"type": "text", "text": "what is this?"},
            {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"},
        ]
    )
    with pytest.raises(
        InvalidRequestError, match=r"messages\[1\] \(HumanMessage\) part 1 is 'audio'"
    ):
        to_core_messages([SystemMessage("s"), audio])


def test_image_for_a_text_only_model_raised_before_anything_is_sent() -> None:
    recorder = Recorder(completion())
    llm = ChatDeepSeekAPI(api_key=KEY, transport=recorder.transport())  # deepseek-chat
    image = HumanMessage(content=[{"type": "image", "url": "https://example.com/x.png"}])
    with pytest.raises(InvalidRequestError, match=r"messages\[0\] part 0 is an image.*text only"):
        llm.invoke([image])
    assert recorder.bodies == []


@pytest.mark.parametrize(
    "message",
    [FunctionMessage(content="x", name="f"), RemoveMessage(id="m1")],
    ids=["FunctionMessage", "RemoveMessage"],
)
def test_unknown_message_type_names_it(message: object) -> None:
    name = type(message).__name__
    with pytest.raises(InvalidRequestError, match=name):
        to_core_messages([HumanMessage("hi"), message])  # type: ignore[list-item]


def test_reasoning_always_reaches_the_core() -> None:
    plain = to_core_message(AIMessage("answer", additional_kwargs={"reasoning_content": "why"}))
    assert plain.reasoning_content == "why"
    # output_version="v1" messages hold reasoning as content blocks
    v1 = to_core_message(
        AIMessage(
            content=[
                {"type": "reasoning", "reasoning": "because"},
                {"type": "text", "text": "answer"},
                {"type": "tool_call", "id": "c1", "name": "f", "args": {}},
            ],
            tool_calls=[{"name": "f", "args": {}, "id": "c1"}],
        )
    )
    assert v1.reasoning_content == "because"
    assert v1.content == "answer"
    assert v1.tool_calls is not None and v1.tool_calls[0].id == "c1"
    assert to_core_message(AIMessage("no reasoning")).reasoning_content is None


def test_invalid_tool_calls_are_sent_back_as_produced() -> None:
    message = to_core_message(
        AIMessage(
            "",
            invalid_tool_calls=[
                {
                    "type": "invalid_tool_call",
                    "name": "f",
                    "args": "{oops",
                    "id": "c9",
                    "error": "bad",
                }
            ],
        )
    )
    assert message.tool_calls is not None
    assert message.tool_calls[0].id == "c9"
    assert message.tool_calls[0].function.arguments == "{oops"


def test_tool_message_needs_its_call_id_in_the_history() -> None:
    recorder = Recorder(completion())
    llm = ChatDeepSeekAPI(api_key=KEY, transport=recorder.transport())
    with pytest.raises(InvalidRequestError, match="no earlier assistant message"):
        llm.invoke([HumanMessage("hi"), ToolMessage("result", tool_call_id="nope")])
    assert recorder.bodies == []


def test_an_empty_reasoning_block_does_not_hide_the_reasoning_content() -> None:
    """The reasoning is sent back on tool-call turns in thinking mode: an empty block (another
    provider's, or a hand-built message) must not replace the text in reasoning_content."""
    message = AIMessage(
        content=[{"type": "reasoning", "reasoning": ""}, {"type": "text", "text": "answer"}],
        additional_kwargs={"reasoning_content": "the real reasoning"},
    )
    assert to_core_message(message).reasoning_content == "the real reasoning"
