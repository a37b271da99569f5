"""Message translation between llama-index and the core, unit by unit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    DocumentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from pydantic import BaseModel

from deepseekapi_core import InvalidRequestError
from deepseekapi_core.tools._specs import resolve_tool_choice
from llama_index_deepseekapi._messages import (
    _new_chat_response,
    _new_completion_response,
    _new_message,
    _new_text_block,
    _new_thinking_block,
    to_core_messages,
    tool_selections,
)
from tests.core.test_construct import model_slots


def wire(message: ChatMessage) -> dict[str, object]:
    return to_core_messages([message])[0].to_wire()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (MessageRole.SYSTEM, "system"),
        (MessageRole.DEVELOPER, "system"),
        (MessageRole.USER, "user"),
        (MessageRole.ASSISTANT, "assistant"),
        (MessageRole.CHATBOT, "assistant"),
        (MessageRole.MODEL, "assistant"),
    ],
)
def test_roles(role: MessageRole, expected: str) -> None:
    assert wire(ChatMessage(role=role, content="x")) == {"role": expected, "content": "x"}


def test_several_text_blocks_join_and_cache_markers_are_skipped() -> None:
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Hello, "),
            CachePoint(cache_control=CacheControl(type="ephemeral")),
            TextBlock(text="world"),
        ],
    )
    assert wire(message) == {"role": "user", "content": "Hello, world"}


def test_documents_are_refused_naming_the_message() -> None:
    message = ChatMessage(
        role="user", blocks=[TextBlock(text="read"), DocumentBlock(data=b"%PDF-1.4 x")]
    )
    with pytest.raises(InvalidRequestError, match=r"messages\[0\] part 1 is 'document'"):
        to_core_messages([message])


def test_reasoning_from_thinking_blocks_wins_over_kwargs() -> None:
    message = ChatMessage(
        role="assistant",
        blocks=[ThinkingBlock(content="a"), ThinkingBlock(content="b"), TextBlock(text="ok")],
        additional_kwargs={"reasoning_content": "stale"},
    )
    assert wire(message)["reasoning_content"] == "ab"
    message = ChatMessage(
        role="assistant", content="ok", additional_kwargs={"reasoning_content": "kw"}
    )
    assert wire(message)["reasoning_content"] == "kw"


def test_openai_style_tool_calls_keep_their_exact_argument_text() -> None:
    arguments = '{"city":  "Paris"}'  # odd spacing kept: the prompt prefix stays cacheable
    message = ChatMessage(
        role="assistant",
        blocks=[
            TextBlock(text=""),
            ToolCallBlock(tool_call_id="c1", tool_name="w", tool_kwargs={"city": "Paris"}),
        ],
        additional_kwargs={
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "w", "arguments": arguments}}
            ]
        },
    )
    sent = wire(message)
    assert sent["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "w", "arguments": arguments}}
    ]


@pytest.mark.parametrize("listed", [1.0, True, "call_1", {"id": "c1"}])
def test_tool_calls_kwarg_that_is_not_a_list_is_refused_naming_it(listed: object) -> None:
    # Found by the fuzzer: a float raised a bare TypeError, a string iterated as characters.
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": listed})
    with pytest.raises(
        InvalidRequestError, match=r"additional_kwargs\['tool_calls'\] must be a list"
    ):
        to_core_messages([message])


def test_tool_result_needs_its_call_id() -> None:
    with pytest.raises(InvalidRequestError, match="tool_call_id"):
        to_core_messages([ChatMessage(role="tool", content="5")])
    message = ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "c1"})
    assert wire(message) == {"role": "tool", "content": "5", "tool_call_id": "c1"}


def test_assistant_tool_call_id_from_return_direct_is_ignored() -> None:
    # FunctionAgent tags a return_direct answer with the tool_call_id on an assistant message.
    message = ChatMessage(role="assistant", content="42", additional_kwargs={"tool_call_id": "c"})
    assert wire(message) == {"role": "assistant", "content": "42"}


@pytest.mark.parametrize(
    ("choice", "required", "forcing_allowed", "expected"),
    [
        (None, False, True, None),
        (None, True, True, "required"),
        (None, True, False, "auto"),
        ("none", True, True, "none"),
        (False, False, True, "none"),
        ("any", False, True, "required"),
        (True, False, True, "required"),  # several tools: any of them
        ("required", False, False, "required"),  # explicit choices are sent as given
    ],
)
def test_tool_choice(
    choice: str | bool | None, required: bool, forcing_allowed: bool, expected: str | None
) -> None:
    resolved = resolve_tool_choice(
        choice, ["add", "mul"], tool_required=required, forcing_allowed=forcing_allowed
    )
    assert resolved == expected


def test_named_tool_choice_forms() -> None:
    for choice in ("add", {"type": "function", "function": {"name": "add"}}, {"name": "add"}):
        named = resolve_tool_choice(choice, ["add", "mul"])
        assert not isinstance(named, str) and named is not None and named.function.name == "add"
    only = resolve_tool_choice(True, ["add"])  # True with one tool forces that tool
    assert not isinstance(only, str) and only is not None and only.function.name == "add"


@pytest.mark.parametrize("choice", ["sub", {"name": "sub"}, {"function": {}}, 3])
def test_tool_choice_naming_no_offered_tool_is_refused(choice: object) -> None:
    with pytest.raises(InvalidRequestError, match="tool_choice"):
        resolve_tool_choice(choice, ["add"])  # type: ignore[arg-type]


def test_tool_selections_from_openai_style_kwargs_only() -> None:
    message = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [{"id": "c1", "function": {"name": "add", "arguments": '{"a": 1}'}}]
        },
    )
    [selection] = tool_selections(ChatResponse(message=message), error_on_no_tool_call=True)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "c1",
        "add",
        {"a": 1},
    )


def test_partial_arguments_read_as_llama_index_reads_them() -> None:
    """The core's reading of streamed arguments agrees with llama-index's parse_partial_json
    (which ``OpenAI`` uses) on every prefix of a tool call's arguments."""
    from llama_index.core.llms.utils import parse_partial_json

    from deepseekapi_core.tools._calls import parse_partial_arguments

    arguments = '{"city": "Paris: FR", "days": [1, 2, {"unit": "C"}], "note": "a\\"b\nc", "x": 1}'
    for end in range(len(arguments) + 1):
        prefix = arguments[:end]
        try:
            expected = parse_partial_json(prefix)
        except ValueError:
            expected = {}
        if not isinstance(expected, dict):
            expected = {}
        assert parse_partial_arguments(prefix) == expected, prefix


# The stream folder builds its llama-index models with the core's model_builder.


@pytest.mark.parametrize(
    ("construct", "cls", "values"),
    [
        (_new_text_block, TextBlock, {"block_type": "text", "text": "so far"}),
        (
            _new_thinking_block,
            ThinkingBlock,
            {
                "block_type": "thinking",
                "content": "hmm",
                "num_tokens": 7,
                "additional_information": {},
            },
        ),
        (
            _new_message,
            ChatMessage,
            {
                "role": MessageRole.ASSISTANT,
                "additional_kwargs": {"reasoning_content": "hmm"},
                "blocks": [TextBlock(text="so far")],
            },
        ),
        (
            _new_chat_response,
            ChatResponse,
            {
                "message": ChatMessage(role="assistant", content="so far"),
                "raw": None,
                "delta": "far",
                "logprobs": None,
                "additional_kwargs": {},
            },
        ),
        (
            _new_completion_response,
            CompletionResponse,
            {
                "text": "so far",
                "additional_kwargs": {},
                "raw": None,
                "logprobs": None,
                "delta": "far",
            },
        ),
    ],
)
def test_stream_constructors_build_what_model_construct_builds(
    construct: Callable[[dict[str, Any]], BaseModel], cls: type[BaseModel], values: dict[str, Any]
) -> None:
    built = construct(dict(values))
    assert model_slots(built) == model_slots(cls.model_construct(**values))
    assert built == cls.model_construct(**values)
    built.model_fields_set.add("probe")  # each model has a field set of its own
    assert "probe" not in construct(dict(values)).model_fields_set
