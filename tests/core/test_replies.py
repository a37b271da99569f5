"""What both adapters make of a reply: metadata summary, parsed tool calls, partial arguments,
block numbering, assistant content, tool specs and the tool-calling texts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from deepseekapi_core import (
    ChatCompletion,
    ChatCompletionChunk,
    InvalidRequestError,
    ToolCall,
    ToolSpec,
)
from deepseekapi_core.tools._calls import (
    keep_first_tool_call,
    parse_partial_arguments,
    parse_tool_calls,
    tool_call_arguments,
    tool_calls_from,
)
from deepseekapi_core.tools._recovery import TOOL_CALLS_RECOVERED
from deepseekapi_core.tools._specs import tool_specs_from
from deepseekapi_core.tools._structured import (
    corrective_turn_text,
    json_object_in_text,
    missing_tool_call_error,
    no_structured_call_message,
)
from deepseekapi_core.wire import FunctionCall
from deepseekapi_core.wire._convert import (
    SKIPPED_BLOCK_TYPES,
    join_text_parts,
    reasoning_block_texts,
    reasoning_from,
)
from deepseekapi_core.wire._images import image_part_from_source
from deepseekapi_core.wire._replies import BlockNumbering, ReplySummary
from deepseekapi_core.wire._stream import StreamAccumulator

from .helpers import USAGE, chunk

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _call(name: str, arguments: str, call_id: str = "call_1") -> ToolCall:
    return ToolCall(id=call_id, function=FunctionCall(name=name, arguments=arguments))


# --------------------------------------------------------------------------------------------
# ReplySummary


def _completion(**extra: Any) -> ChatCompletion:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "created": 1,
        "model": "deepseek-v4-flash",
        "system_fingerprint": "fp_1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hi"},
                "finish_reason": "stop",
            }
        ],
        **extra,
    }
    return ChatCompletion.model_validate(body)


def test_summary_of_a_completion_holds_its_metadata_and_flat_counts() -> None:
    usage = {**USAGE, "completion_tokens_details": {"reasoning_tokens": 5}}
    summary = ReplySummary.of(_completion(usage=usage, tool_calls_recovered="dsml"))
    assert (summary.id, summary.model, summary.system_fingerprint) == (
        "chatcmpl-1",
        "deepseek-v4-flash",
        "fp_1",
    )
    assert summary.finish_reason == "stop"
    assert summary.reasoning_tokens == 5
    counts = summary.counts()
    assert counts["prompt_tokens"] == 11
    assert counts["total_tokens"] == 19
    assert counts["reasoning_tokens"] == 5
    assert counts["finish_reason"] == "stop"
    assert counts[TOOL_CALLS_RECOVERED] == "dsml"


def test_summary_without_usage_or_recovery_has_only_the_finish_reason() -> None:
    summary = ReplySummary.of(_completion())
    assert summary.counts() == {"finish_reason": "stop"}
    assert summary.reasoning_tokens is None


def test_a_folded_stream_summarises_like_the_completion_it_becomes() -> None:
    reply = StreamAccumulator()
    for payload in (
        chunk(role="assistant", content=""),
        chunk(content="Hi"),
        chunk(content="", finish_reason="stop"),
        chunk(choices=False, usage=USAGE),
    ):
        reply.add(ChatCompletionChunk.model_validate(payload))
    summary = reply.summary()
    assert summary == ReplySummary.of(reply.to_completion())
    assert summary.finish_reason == "stop"
    assert summary.usage is not None and summary.usage.total_tokens == 19
    assert summary.counts()["completion_tokens"] == 8


def test_a_stream_still_running_has_no_finish_reason_in_its_counts() -> None:
    reply = StreamAccumulator()
    reply.add(ChatCompletionChunk.model_validate(chunk(content="Hi")))
    assert reply.summary().counts() == {}


def test_builders_in_index_order_give_openai_style_dicts() -> None:
    reply = StreamAccumulator()
    fragments = [
        {"index": 1, "id": "b", "function": {"name": "second", "arguments": ""}},
        {"index": 0, "id": "a", "function": {"name": "fir", "arguments": '{"x"'}},
        {"index": 0, "function": {"name": "st", "arguments": ": 1}"}},
    ]
    for fragment in fragments:
        reply.add(ChatCompletionChunk.model_validate(chunk(tool_calls=[fragment])))
    calls = reply.tool_calls_so_far()
    assert [call.as_wire() for call in calls] == [
        {"id": "a", "type": "function", "function": {"name": "first", "arguments": '{"x": 1}'}},
        {"id": "b", "type": "function", "function": {"name": "second", "arguments": ""}},
    ]
    # the finished calls, parsed, give the same dicts
    parsed = parse_tool_calls(reply.completed_tool_calls())
    assert [call.as_wire() for call in parsed] == [call.as_wire() for call in calls]


# --------------------------------------------------------------------------------------------
# Tool calls


def test_parse_tool_calls_keeps_order_and_the_error_of_invalid_arguments() -> None:
    valid, empty, broken, array = parse_tool_calls(
        [
            _call("a", '{"q": "x"}', "1"),
            _call("b", "", "2"),
            _call("c", '{"q": ', "3"),
            _call("d", "[1]", "4"),
        ]
    )
    assert (valid.id, valid.name, valid.args, valid.valid) == ("1", "a", {"q": "x"}, True)
    assert empty.args == {} and empty.error is None
    assert broken.args is None and not broken.valid
    assert broken.arguments == '{"q": '
    assert broken.error is not None and "not valid JSON" in broken.error
    assert array.error == "tool arguments must be a JSON object, got list"


def test_tool_call_arguments_finished_read_as_empty_when_unusable() -> None:
    """As llama-index's own LLMs read them: the call is answered (the tool's error goes back to
    the model) instead of failing the run; the raw text stays on the reply."""
    assert tool_call_arguments('{"a": 1}') == {"a": 1}
    for unusable in ('{"a": ', '{"a": b}', '{"a": 1} more', "[1]", DEEP):
        assert tool_call_arguments(unusable) == {}


DEEP = '{"a": ' + "[" * 1000 + "]" * 1000 + "}"


def test_deeply_nested_arguments_are_an_invalid_call_not_a_recursion_error() -> None:
    (call,) = parse_tool_calls([_call("a", DEEP, "1")])
    assert not call.valid and call.arguments == DEEP
    assert call.error is not None and "nested too deeply" in call.error
    assert parse_partial_arguments(DEEP) == {}
    assert parse_partial_arguments(DEEP[:-1]) == {}
    assert json_object_in_text(DEEP) is None


def test_tool_call_arguments_in_progress_reads_what_has_arrived() -> None:
    assert tool_call_arguments('{"a": 1, "b": [2', partial=True) == {"a": 1, "b": [2]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        ("{", {}),
        ('{"a', {}),  # a key still arriving is dropped
        ('{"a":', {"a": None}),
        ('{"a": 1,', {"a": 1}),
        # An open string without a colon after its quote is dropped, key or value alike
        # (as llama-index's parse_partial_json does); one with a colon is closed.
        ('{"a": "x', {"a": None}),
        ('{"a": "x:y', {"a": "x:y"}),
        ('{"a": "x:\nyz', {"a": "x:\nyz"}),
        ('{"a": "say \\"hi', {}),
        ('{"a": [1, {"b": 2', {"a": [1, {"b": 2}]}),
        ('{"a": [1, 2}', {}),  # a mismatched closing bracket is malformed
        ("[1, 2", {}),  # not an object
        ('"text"', {}),
        ('{"a": tru', {}),  # an unfinished literal cannot be completed
    ],
)
def test_partial_arguments(text: str, expected: dict[str, Any]) -> None:
    assert parse_partial_arguments(text) == expected


def test_keep_first_tool_call_drops_later_calls_only() -> None:
    items = ["text", "call1", "more", "call2", "call3", "end"]
    kept = keep_first_tool_call(items, lambda item: item.startswith("call"))
    assert kept == ["text", "call1", "more", "end"]
    assert keep_first_tool_call(["a", "b"], lambda item: False) == ["a", "b"]


def test_missing_tool_call_error_quotes_the_answer() -> None:
    error = missing_tool_call_error("x" * 300)
    assert isinstance(error, ValueError)
    assert str(error).startswith("Expected at least one tool call")
    assert "x" * 200 + "'" in str(error) and "x" * 201 not in str(error)
    assert str(missing_tool_call_error(None)).endswith("answered: ''")


def test_tool_calls_from_gives_default_ids_and_refuses_non_lists() -> None:
    calls = tool_calls_from(
        [{"name": "a", "args": {"x": 1}}, {"id": "given", "name": "b", "args": {}}],
        id_prefix="call_3_",
    )
    assert [call.id for call in calls] == ["call_3_0", "given"]
    assert calls[0].function.arguments == '{"x": 1}'
    assert tool_calls_from([{"name": "a", "args": {}}])[0].id == ""
    for wrong in ("calls", {"id": "x"}, 42):
        with pytest.raises(InvalidRequestError, match=r"extra\['tool_calls'\] must be a list"):
            tool_calls_from(wrong, where="extra['tool_calls']")


# --------------------------------------------------------------------------------------------
# Structured output


def test_json_object_in_text_plain_or_fenced() -> None:
    assert json_object_in_text(' {"a": 1} ') == {"a": 1}
    assert json_object_in_text('```json\n{"a": 1}\n```') == {"a": 1}
    assert json_object_in_text("[1, 2]") is None
    assert json_object_in_text("no json") is None


def test_structured_output_texts_name_the_tool() -> None:
    message = no_structured_call_message("Person", "y" * 300)
    assert "'Person' tool" in message and "y" * 201 not in message
    assert corrective_turn_text("Person").startswith("Now call the Person tool")


# --------------------------------------------------------------------------------------------
# Block numbering


def test_block_numbering_numbers_kinds_and_each_tool_call_apart() -> None:
    numbering = BlockNumbering()
    assert [numbering.block("reasoning"), numbering.block("reasoning")] == [0, 0]
    assert numbering.block("text") == 1
    assert numbering.tool_call(0) == 2
    assert numbering.tool_call(1) == 3
    assert numbering.tool_call(0) == 2  # a later fragment of the first call
    assert numbering.block("text") == 4  # text after a tool call is a new block
    assert numbering.tool_call(1) == 3


def test_block_numbering_after_tool_calls_reasoning_is_new() -> None:
    numbering = BlockNumbering()
    assert numbering.tool_call(None) == 0
    assert numbering.block("reasoning") == 1
    assert numbering.tool_call(None) == 0


# --------------------------------------------------------------------------------------------
# Assistant content


def test_assistant_text_skips_reasoning_tool_and_cache_blocks() -> None:
    parts: list[object] = [
        {"type": "thinking", "thinking": "hm"},
        "Hello ",
        {"type": "tool_use", "id": "x"},
        {"type": "cache", "ttl": 5},
        {"type": "text", "text": "world"},
    ]
    assert join_text_parts(parts, skip=SKIPPED_BLOCK_TYPES) == "Hello world"
    with pytest.raises(InvalidRequestError, match=r"messages\[1\] part 2 is 'tool_use'"):
        join_text_parts(parts, where="messages[1]")


def test_reasoning_from_blocks_else_the_field() -> None:
    blocks = [
        {"type": "reasoning", "reasoning": "a"},
        {"type": "text", "text": "answer"},
        {"type": "thinking", "thinking": "b"},
    ]
    assert reasoning_block_texts(blocks) == ["a", "b"]
    assert reasoning_from(reasoning_block_texts(blocks), "field") == "ab"
    assert reasoning_from([], "field") == "field"
    assert reasoning_from([None], "field") == "field"
    assert reasoning_from([""], "field") == "field"  # an empty block hides nothing
    assert reasoning_from([""], None) is None
    assert reasoning_from([], 42) is None


# --------------------------------------------------------------------------------------------
# Tool specs


class Weather(BaseModel):
    """The weather in a city."""

    city: str


def test_tool_specs_from_mixed_tools_and_strict_copies() -> None:
    given = ToolSpec.model_validate({"type": "function", "function": {"name": "given"}})
    specs = tool_specs_from([Weather, given], strict=True)
    assert [spec.function.name for spec in specs] == ["Weather", "given"]
    assert all(spec.function.strict for spec in specs)
    assert given.function.strict is None  # the caller's spec is not changed


def test_tool_specs_from_applies_the_framework_conversion() -> None:
    def convert(tool: Any) -> Any:
        if tool == "bad":
            raise ValueError("no schema")
        return {"type": "function", "function": {"name": tool}}

    assert [spec.function.name for spec in tool_specs_from(["a"], convert=convert)] == ["a"]
    with pytest.raises(InvalidRequestError, match="cannot make a tool from 'bad': no schema"):
        tool_specs_from(["bad"], convert=convert)


def test_tool_specs_from_refuses_a_single_tool_and_bad_specs() -> None:
    with pytest.raises(InvalidRequestError, match="tools must be a list of tools, not dict"):
        tool_specs_from({"type": "function", "function": {"name": "x"}})
    with pytest.raises(InvalidRequestError, match="tool 'bad name!' is invalid"):
        tool_specs_from([{"name": "bad name!"}])


# --------------------------------------------------------------------------------------------
# Images from a framework's block


def test_image_part_from_source_prefers_data_then_path_then_url(tmp_path: Any) -> None:
    part = image_part_from_source(where="m", data=PNG_1X1, url="https://example.com/a.png")
    assert part.image_url.url.startswith("data:image/png;base64,")
    path = tmp_path / "a.png"
    path.write_bytes(PNG_1X1)
    assert image_part_from_source(where="m", path=path).image_url.url.startswith("data:")
    remote = image_part_from_source(where="m", url="https://example.com/a.png", detail="low")
    assert (remote.image_url.url, remote.image_url.detail) == ("https://example.com/a.png", "low")


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ({}, "is an image block without an image, path or url"),
        ({"data": b"not an image"}, "messages\\[0\\] part 1: "),
        ({"path": "/nonexistent/x.png"}, "messages\\[0\\] part 1: .*No such file"),
        ({"url": "https://example.com/a.png", "detail": "huge"}, "messages\\[0\\] part 1: "),
    ],
)
def test_image_part_from_source_errors_name_the_part(source: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidRequestError, match=problem) as caught:
        image_part_from_source(where="messages[0] part 1", **source)
    assert caught.value.param == "messages"


def test_partial_arguments_agree_with_json_for_complete_objects() -> None:
    value = {"a": [1, {"b": "c\nd"}], "e": None, "f": 1.5}
    assert parse_partial_arguments(json.dumps(value)) == value


def test_string_content_passes_through_as_it_is() -> None:
    from deepseekapi_core.wire._images import content_from_blocks

    assert join_text_parts("plain {text}", skip=SKIPPED_BLOCK_TYPES) == "plain {text}"
    assert content_from_blocks("plain text", where="messages[0]") == "plain text"
    assert content_from_blocks("", where="messages[0]") == ""


def test_json_schema_format_from_a_tool_spec() -> None:
    from deepseekapi_core import ChatRequest
    from deepseekapi_core.tools._specs import json_schema_format

    [spec] = tool_specs_from([Weather])
    response_format = json_schema_format(spec)
    assert response_format == {
        "type": "json_schema",
        "json_schema": {
            "name": "Weather",
            "schema": spec.function.parameters,
            "description": "The weather in a city.",
        },
    }
    assert response_format["json_schema"]["schema"]["required"] == ["city"]
    bare = ToolSpec.model_validate({"type": "function", "function": {"name": "bare"}})
    assert json_schema_format(bare)["json_schema"] == {"name": "bare", "schema": {}}
    # the core's request model accepts what it builds
    ChatRequest(
        model="deepseek-chat",
        messages=[{"role": "user", "content": "json"}],
        response_format=response_format,
    )
