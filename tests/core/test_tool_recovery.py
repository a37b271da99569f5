"""Tool calls leaked into ``content``: recovered in each shape, conservatively, and nowhere else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseekapi_core.tools._recovery import recover_tool_calls, schema_problems
from deepseekapi_core.tools._specs import tool_spec_from

from .helpers import HELLO, Driver, Script, chunk, completion, ok, sse, stream_response, text_of

WEATHER = tool_spec_from(
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer", "minimum": 1, "maximum": 14},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }
)
TIME = tool_spec_from({"name": "get_time", "parameters": {"type": "object", "properties": {}}})
TOOLS = [WEATHER, TIME]
BAR = "\uff5c"

DSML = (
    f"<{BAR}DSML{BAR}tool_calls>\n"
    f'<{BAR}DSML{BAR}invoke name="get_weather">\n'
    f'<{BAR}DSML{BAR}parameter name="city" string="true">Paris</{BAR}DSML{BAR}parameter>\n'
    f'<{BAR}DSML{BAR}parameter name="days" string="false">3</{BAR}DSML{BAR}parameter>\n'
    f"</{BAR}DSML{BAR}invoke>\n"
    f"</{BAR}DSML{BAR}tool_calls>"
)
CALL = {"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}
TAG = f"<tool_call>{json.dumps(CALL)}</tool_call>"
FENCE = f"```json\n{json.dumps(CALL, indent=2)}\n```"
BARE = json.dumps(CALL)

LEAKS = {"dsml": DSML, "tool_call_tag": TAG, "fenced_json": FENCE, "bare_json": BARE}


def _calls(recovered: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(c.function.name, json.loads(c.function.arguments)) for c in recovered.calls]


@pytest.mark.parametrize("shape", LEAKS)
def test_each_shape_is_recovered(shape: str) -> None:
    recovered = recover_tool_calls(LEAKS[shape], TOOLS)
    assert recovered is not None
    assert recovered.shape == shape
    assert _calls(recovered) == [("get_weather", {"city": "Paris", "days": 3})]
    assert recovered.text == ""
    assert recovered.calls[0].id.startswith("call_00_")


@pytest.mark.parametrize("shape", ["dsml", "tool_call_tag", "fenced_json"])
def test_prose_before_the_markup_is_kept_as_the_text(shape: str) -> None:
    recovered = recover_tool_calls("Let me look that up.\n\n" + LEAKS[shape], TOOLS)
    assert recovered is not None
    assert recovered.text == "Let me look that up."


def test_the_v32_function_calls_block_and_json_invoke_bodies() -> None:
    content = (
        f"<{BAR}DSML{BAR}function_calls>"
        f'<{BAR}DSML{BAR}invoke name="get_weather">{{"city": "Rome", "unit": "celsius"}}'
        f"</{BAR}DSML{BAR}invoke>"
        f'<{BAR}DSML{BAR}invoke name="get_time"></{BAR}DSML{BAR}invoke>'
        f"</{BAR}DSML{BAR}function_calls>"
    )
    recovered = recover_tool_calls(content, TOOLS)
    assert recovered is not None
    assert _calls(recovered) == [
        ("get_weather", {"city": "Rome", "unit": "celsius"}),
        ("get_time", {}),
    ]
    assert len({call.id for call in recovered.calls}) == 2


def test_several_tool_call_tags_and_string_arguments() -> None:
    content = (
        '<tool_call>{"name": "get_time", "arguments": "{}"}</tool_call>\n'
        '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}</tool_call>'
    )
    recovered = recover_tool_calls(content, TOOLS)
    assert recovered is not None
    assert _calls(recovered) == [("get_time", {}), ("get_weather", {"city": "Oslo"})]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (BARE.replace("get_weather", "launch_rockets"), "a name that was not offered"),
        (BARE.replace('"Paris"', "42"), "arguments that break the schema (type)"),
        (BARE.replace('"days": 3', '"days": 30'), "arguments that break the schema (maximum)"),
        (json.dumps({"name": "get_weather", "arguments": {}}), "a required argument missing"),
        (
            json.dumps({"name": "get_weather", "arguments": {"city": "X", "colour": "red"}}),
            "an argument the schema forbids",
        ),
        (DSML.replace('string="false">3', 'string="false">three'), "a JSON flag on non-JSON"),
        ('<tool_call>{"name": "get_weather", "arguments": {"city": </tool_call>', "broken JSON"),
        (TAG + "\nThen I will tell you.", "prose after the markup"),
        (FENCE + "\nThat is the format.", "prose after the fence"),
        (
            json.dumps({"name": "get_weather", "arguments": {"city": "P"}, "note": "x"}),
            "an object with other keys (more likely an answer)",
        ),
        ('```json\n{"city": "Paris", "days": 3}\n```', "a JSON answer, not a call"),
        ("The weather in Paris is sunny.", "plain prose"),
        ('{"name": "Alice", "age": 30}', "a JSON answer that has a name"),
        ("", "nothing"),
    ],
)
def test_anything_less_than_a_clean_call_is_left_alone(content: str, why: str) -> None:
    assert recover_tool_calls(content, TOOLS) is None, why


@pytest.mark.parametrize("shape", LEAKS)
def test_without_tools_nothing_is_recovered(shape: str) -> None:
    assert recover_tool_calls(LEAKS[shape], None) is None
    assert recover_tool_calls(LEAKS[shape], []) is None


def test_a_pydantic_tool_schema_with_refs_is_checked() -> None:
    from pydantic import BaseModel

    class Address(BaseModel):
        street: str
        zip_code: int

    class Ship(BaseModel):
        """Ship a parcel."""

        to: Address
        express: bool = False

    spec = tool_spec_from(Ship)
    good = {"name": "Ship", "arguments": {"to": {"street": "Main", "zip_code": 1}}}
    bad = {"name": "Ship", "arguments": {"to": {"street": "Main", "zip_code": "x"}}}
    assert recover_tool_calls(json.dumps(good), [spec]) is not None
    assert recover_tool_calls(json.dumps(bad), [spec]) is None


@pytest.mark.parametrize(
    ("value", "schema", "ok_"),
    [
        (True, {"type": "integer"}, False),
        (1, {"type": "boolean"}, False),
        (2.0, {"type": "integer"}, True),
        (None, {"type": ["string", "null"]}, True),
        ("b", {"anyOf": [{"type": "integer"}, {"enum": ["a", "b"]}]}, True),
        (5, {"oneOf": [{"type": "integer"}, {"type": "number"}]}, False),
        ([1, "x"], {"type": "array", "items": {"type": "integer"}}, False),
        ([], {"type": "array", "minItems": 1}, False),
        ("abc", {"type": "string", "pattern": "^a"}, True),
        ("abc", {"type": "string", "maxLength": 2}, False),
        (1, {"const": True}, False),
        ({"a": 1}, {"type": "object", "additionalProperties": {"type": "string"}}, False),
    ],
)
def test_the_schema_subset(value: Any, schema: dict[str, Any], ok_: bool) -> None:
    assert (schema_problems(value, schema) == []) is ok_


# --------------------------------------------------------------------------------------------
# Through the clients


def _reply(content: str) -> Any:
    return ok(completion(content))


@pytest.mark.parametrize("shape", LEAKS)
def test_a_plain_reply_with_a_leaked_call_becomes_a_tool_call_reply(mode: str, shape: str) -> None:
    script = Script([_reply("Checking.\n" + LEAKS[shape] if shape != "bare_json" else BARE)])
    reply = Driver(mode, script).chat(model="deepseek-chat", messages=HELLO, tools=TOOLS)
    assert reply.finish_reason == "tool_calls"
    assert reply.tool_calls_recovered == shape
    assert reply.message.tool_calls is not None
    assert reply.message.tool_calls[0].function.name == "get_weather"
    assert reply.message.content == ("" if shape == "bare_json" else "Checking.")


def test_recovery_can_be_switched_off(mode: str) -> None:
    script = Script([_reply(DSML)])
    driver = Driver(mode, script, recover_tool_calls=False)
    reply = driver.chat(model="deepseek-chat", messages=HELLO, tools=TOOLS)
    assert reply.finish_reason == "stop"
    assert reply.message.content == DSML
    assert reply.message.tool_calls is None
    assert reply.tool_calls_recovered is None


def test_without_tools_in_the_request_the_text_stays(mode: str) -> None:
    reply = Driver(mode, Script([_reply(BARE)])).chat(model="deepseek-chat", messages=HELLO)
    assert reply.message.content == BARE
    assert reply.tool_calls_recovered is None


@pytest.mark.parametrize("shape", LEAKS)
def test_a_stream_with_a_leaked_call_ends_with_the_tool_call_chunk(mode: str, shape: str) -> None:
    leak = LEAKS[shape]
    pieces = [leak[i : i + 7] for i in range(0, len(leak), 7)]
    body = sse(
        chunk(role="assistant", content=""),
        *(chunk(content=piece) for piece in pieces),
        chunk(content="", finish_reason="stop"),
    )
    script = Script([stream_response(body)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO, tools=TOOLS)
    assert outcome.error is None
    # What was streamed stays streamed; the calls come on the last chunk.
    assert text_of(outcome.chunks) == leak
    last = outcome.chunks[-1]
    assert last.finish_reason == "tool_calls"
    assert last.tool_calls_recovered == shape
    assert last.delta is not None and last.delta.tool_calls is not None
    fragment = last.delta.tool_calls[0]
    assert fragment.function is not None and fragment.function.name == "get_weather"
    assert json.loads(fragment.function.arguments or "") == {"city": "Paris", "days": 3}
    assert all(c.tool_calls_recovered is None for c in outcome.chunks[:-1])


def test_a_stream_with_real_tool_calls_is_untouched(mode: str) -> None:
    call = {"index": 0, "id": "call_0", "type": "function"}
    body = sse(
        chunk(content=BARE),
        chunk(tool_calls=[{**call, "function": {"name": "get_time", "arguments": "{}"}}]),
        chunk(content="", finish_reason="tool_calls"),
    )
    outcome = Driver(mode, Script([stream_response(body)])).stream(
        model="deepseek-chat", messages=HELLO, tools=TOOLS
    )
    assert outcome.chunks[-1].tool_calls_recovered is None
    assert outcome.chunks[-1].finish_reason == "tool_calls"


# --------------------------------------------------------------------------------------------
# Never a crash, never a call that was not offered or does not validate


_FRAGMENTS = st.sampled_from(
    [
        "<tool_call>",
        "</tool_call>",
        "```json\n",
        "\n```",
        f"<{BAR}DSML{BAR}tool_calls>",
        f"</{BAR}DSML{BAR}tool_calls>",
        f'<{BAR}DSML{BAR}invoke name="get_weather">',
        f"</{BAR}DSML{BAR}invoke>",
        f'<{BAR}DSML{BAR}parameter name="city" string="true">',
        f'<{BAR}DSML{BAR}parameter name="days" string="false">',
        f"</{BAR}DSML{BAR}parameter>",
        '{"name": "get_weather", "arguments": ',
        '{"city": "Paris"}',
        '{"city": 3}',
        '"days": 99',
        "}",
        "{",
        "Paris",
        " ",
        "\n",
        "get_time",
        '"',
    ]
)


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(_FRAGMENTS | st.text(max_size=8), max_size=14).map("".join))
def test_any_text_recovers_only_offered_valid_calls(content: str) -> None:
    recovered = recover_tool_calls(content, TOOLS)
    if recovered is None:
        return
    offered = {tool.function.name: tool for tool in TOOLS}
    for call in recovered.calls:
        assert call.function.name in offered
        arguments = json.loads(call.function.arguments)
        schema = offered[call.function.name].function.parameters
        assert schema is not None and schema_problems(arguments, schema) == []
    assert recovered.text in content


@pytest.mark.parametrize("shape", ["dsml", "tool_call_tag", "fenced_json", "bare_json"])
def test_parallel_calls_in_each_shape(shape: str) -> None:
    """Two calls, written the way the emulator's leak fault writes them."""
    from deepseekapi_core.testing._leaks import leaked_text

    content = leaked_text(shape, [("get_weather", '{"city": "Oslo"}'), ("get_time", "{}")])
    recovered = recover_tool_calls(content, TOOLS)
    assert recovered is not None, content
    assert _calls(recovered) == [("get_weather", {"city": "Oslo"}), ("get_time", {})]


def test_deeply_nested_json_in_the_text_is_left_alone_not_a_recursion_error() -> None:
    deep = "[" * 1000 + "]" * 1000
    for text in (
        f'{{"name": "get_weather", "arguments": {{"city": {deep}}}}}',
        f'```json\n{{"name": "get_weather", "arguments": {{"city": {deep}}}}}\n```',
        f'<tool_call>{{"name": "get_weather", "arguments": {{"city": {deep}}}}}</tool_call>',
    ):
        assert recover_tool_calls(text, TOOLS) is None


def _dsml_block(body: str, tag: str = "tool_calls") -> str:
    return f"<{BAR}DSML{BAR}{tag}>\n{body}\n</{BAR}DSML{BAR}{tag}>"


def test_a_dsml_block_holding_one_json_call_is_recovered() -> None:
    recovered = recover_tool_calls("Checking.\n" + _dsml_block(json.dumps(CALL)), TOOLS)
    assert recovered is not None
    assert recovered.shape == "dsml"
    assert _calls(recovered) == [("get_weather", {"city": "Paris", "days": 3})]
    assert recovered.text == "Checking."


def test_a_dsml_block_holding_an_array_of_json_calls_is_recovered() -> None:
    body = json.dumps(
        [
            {"name": "get_weather", "arguments": {"city": "Oslo"}},
            {"name": "get_time", "arguments": "{}"},
        ],
        indent=2,
    )
    recovered = recover_tool_calls(_dsml_block(body, "function_calls"), TOOLS)
    assert recovered is not None and recovered.shape == "dsml"
    assert _calls(recovered) == [("get_weather", {"city": "Oslo"}), ("get_time", {})]
    assert len({call.id for call in recovered.calls}) == 2


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (json.dumps({**CALL, "name": "launch_rockets"}), "a name that was not offered"),
        (json.dumps({"name": "get_weather", "arguments": {"days": 3}}), "schema: city missing"),
        (json.dumps({**CALL, "note": "x"}), "an object with other keys"),
        (json.dumps({"city": "Paris"}), "JSON that is not a call"),
        ("[]", "no call at all"),
        ('{"name": "get_weather", "arguments": {"city": ', "broken JSON"),
        (json.dumps(CALL) + "\nand some prose", "text beside the JSON"),
        (
            json.dumps(CALL) + f'\n<{BAR}DSML{BAR}invoke name="get_time"></{BAR}DSML{BAR}invoke>',
            "JSON beside invoke markup",
        ),
    ],
)
def test_a_dsml_block_holding_anything_less_than_clean_json_calls_is_left_alone(
    body: str, why: str
) -> None:
    assert recover_tool_calls(_dsml_block(body), TOOLS) is None, why


def test_a_json_dsml_block_with_prose_after_it_is_left_alone() -> None:
    content = _dsml_block(json.dumps(CALL)) + "\nThat is how I would call it."
    assert recover_tool_calls(content, TOOLS) is None
