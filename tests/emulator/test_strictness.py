"""The emulator rejects what the service rejects, era by era, with the service's bodies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from deepseekapi_core.testing import Emulator, Era

from .conftest import AUTH, chat_body

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
CALL = {
    "id": "call_00_abc",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
}


def post(body: Any, *, era: Era = Era.V4, headers: dict[str, str] | None = None) -> httpx.Response:
    emulator = Emulator(era=era)
    with httpx.Client(
        transport=emulator.transport(), headers={**AUTH, **(headers or {})}
    ) as client:
        if isinstance(body, bytes):
            return client.post(
                "https://x/v1/chat/completions",
                content=body,
                headers={"content-type": "application/json"},
            )
        return client.post("https://x/v1/chat/completions", json=body)


def assert_400(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_request_error",
        }
    }


def tool_turn(
    *, reasoning: str | None, model: str = "deepseek-reasoner", extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    assistant: dict[str, Any] = {"role": "assistant", "content": "", "tool_calls": [CALL]}
    if reasoning is not None:
        assistant["reasoning_content"] = reasoning
    return {
        "model": model,
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            assistant,
            {"role": "tool", "tool_call_id": "call_00_abc", "content": "sunny"},
        ],
        "tools": [TOOL],
        **(extra or {}),
    }


# -- reasoning_content history rules -----------------------------------------------------------


@pytest.mark.parametrize("era", [Era.V3_2, Era.V4])
def test_missing_reasoning_in_thinking_tool_turn_is_400(era: Era) -> None:
    response = post(tool_turn(reasoning=None), era=era)
    assert_400(
        response, "Missing `reasoning_content` field in the assistant message at message index 1"
    )


@pytest.mark.parametrize("era", [Era.V3_2, Era.V4])
def test_reasoning_sent_back_is_accepted_and_empty_string_counts(era: Era) -> None:
    assert post(tool_turn(reasoning="I looked it up."), era=era).status_code == 200
    assert post(tool_turn(reasoning=""), era=era).status_code == 200


def test_missing_reasoning_is_fine_outside_thinking_mode() -> None:
    assert post(tool_turn(reasoning=None, model="deepseek-chat")).status_code == 200
    disabled = tool_turn(
        reasoning=None, model="deepseek-v4-flash", extra={"thinking": {"type": "disabled"}}
    )
    assert post(disabled).status_code == 200
    enabled = tool_turn(
        reasoning=None, model="deepseek-chat", extra={"thinking": {"type": "enabled"}}
    )
    assert post(enabled).status_code == 400


def test_reasoning_rule_reports_the_right_index() -> None:
    body = tool_turn(reasoning="ok")
    body["messages"] += [
        {"role": "assistant", "content": "Sunny."},
        {"role": "user", "content": "And Rome?"},
        {"role": "assistant", "content": "", "tool_calls": [{**CALL, "id": "call_00_two"}]},
        {"role": "tool", "tool_call_id": "call_00_two", "content": "rain"},
    ]
    assert_400(
        post(body), "Missing `reasoning_content` field in the assistant message at message index 5"
    )


@pytest.mark.parametrize("era", [Era.R1, Era.V3_1])
def test_old_eras_reject_any_reasoning_in_input(era: Era) -> None:
    body = {
        "model": "deepseek-reasoner",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "reasoning_content": "thinking"},
            {"role": "user", "content": "Again"},
        ],
    }
    response = post(body, era=era)
    assert response.status_code == 400
    assert "reasoning_content" in response.json()["error"]["message"]
    assert "message index 1" in response.json()["error"]["message"]
    body["messages"][1].pop("reasoning_content")
    assert post(body, era=era).status_code == 200


def test_r1_reasoner_rejects_tools_and_json_mode() -> None:
    tools = post(chat_body(model="deepseek-reasoner", tools=[TOOL]), era=Era.R1)
    assert_400(tools, "deepseek-reasoner does not support Function Calling")
    json_mode = post(
        chat_body(model="deepseek-reasoner", response_format={"type": "json_object"}), era=Era.R1
    )
    assert_400(json_mode, "deepseek-reasoner does not support Json Output")


def test_v3_1_reasoner_with_tools_is_served_by_the_chat_model() -> None:
    body = post(
        chat_body("Weather in Paris?", model="deepseek-reasoner", tools=[TOOL]), era=Era.V3_1
    ).json()
    assert body["model"] == "deepseek-chat"
    assert "reasoning_content" not in body["choices"][0]["message"]
    assert body["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("param", [{"logprobs": True}, {"logprobs": True, "top_logprobs": 3}])
def test_logprobs_rejected_in_thinking_mode(param: dict[str, Any]) -> None:
    response = post(chat_body(model="deepseek-reasoner", **param))
    assert response.status_code == 400
    assert "does not support the parameter `logprobs`" in response.json()["error"]["message"]
    assert post(chat_body(model="deepseek-chat", **param)).status_code == 200
    old = post(chat_body(model="deepseek-reasoner", **param), era=Era.R1)
    assert (
        old.json()["error"]["message"]
        == "deepseek-reasoner does not support the parameter `logprobs`"
    )


FORCED_CHOICES = ["required", {"type": "function", "function": {"name": "get_weather"}}]


@pytest.mark.parametrize("choice", FORCED_CHOICES)
def test_forced_tool_choice_rejected_in_thinking_mode(choice: Any) -> None:
    body = chat_body(model="deepseek-reasoner", tools=[TOOL], tool_choice=choice)
    response = post(body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Thinking mode does not support this tool_choice"
    assert post({**body, "tool_choice": "auto"}).status_code == 200
    assert post({**body, "model": "deepseek-chat"}).status_code == 200
    thinking_off = {**body, "model": "deepseek-v4-flash", "thinking": {"type": "disabled"}}
    assert post(thinking_off).status_code == 200


# -- request validation ----------------------------------------------------------------------


def test_unknown_model() -> None:
    assert_400(post(chat_body(model="gpt-4o")), "Model Not Exist")
    assert_400(post(chat_body(model="deepseek-v4-flash"), era=Era.R1), "Model Not Exist")
    emulator = Emulator(extra_models=["proxy-model"])
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        assert (
            client.post(
                "https://x/chat/completions", json=chat_body(model="proxy-model")
            ).status_code
            == 200
        )


def test_empty_messages() -> None:
    assert_400(post({"model": "deepseek-chat", "messages": []}), "Empty input messages")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "temperature",
            2.5,
            "Invalid temperature value, the valid range of temperature is [0, 2.0]",
        ),
        (
            "temperature",
            -0.1,
            "Invalid temperature value, the valid range of temperature is [0, 2.0]",
        ),
        ("top_p", 0, "Invalid top_p value, the valid range of top_p is (0, 1.0]"),
        ("top_p", 1.5, "Invalid top_p value, the valid range of top_p is (0, 1.0]"),
        (
            "presence_penalty",
            3,
            "Invalid presence_penalty value, the valid range of presence_penalty is [-2.0, 2.0]",
        ),
        (
            "frequency_penalty",
            -3,
            "Invalid frequency_penalty value, the valid range of frequency_penalty is [-2.0, 2.0]",
        ),
        ("max_tokens", 0, "Invalid max_tokens value, the valid range of max_tokens is [1, 393216]"),
        (
            "top_logprobs",
            21,
            "Invalid top_logprobs value, the valid range of top_logprobs is [0, 20]",
        ),
    ],
)
def test_parameter_ranges(field: str, value: float, message: str) -> None:
    assert_400(
        post(
            chat_body(
                **{field: value, "logprobs": True} if field == "top_logprobs" else {field: value}
            )
        ),
        message,
    )


def test_parameter_edges_are_accepted() -> None:
    assert (
        post(
            chat_body(temperature=0, top_p=1, presence_penalty=-2, frequency_penalty=2)
        ).status_code
        == 200
    )
    assert post(chat_body(temperature=2.0)).status_code == 200


def test_max_tokens_limit_follows_the_era() -> None:
    assert_400(
        post(chat_body(max_tokens=9000), era=Era.R1),
        "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]",
    )


def test_top_logprobs_needs_logprobs_and_stop_limit() -> None:
    assert_400(
        post(chat_body(top_logprobs=2)), "logprobs must be set to true if top_logprobs is used"
    )
    assert post(chat_body(stop=[str(i) for i in range(17)])).status_code == 400


def test_tool_message_without_matching_call() -> None:
    body = {
        "model": "deepseek-chat",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "tool", "tool_call_id": "call_x", "content": "r"},
        ],
    }
    assert_400(
        post(body),
        "Messages with role 'tool' must be a response to a preceding message with 'tool_calls'",
    )
    wrong_id = tool_turn(reasoning="r", model="deepseek-chat")
    wrong_id["messages"][2]["tool_call_id"] = "call_00_other"
    assert_400(
        post(wrong_id),
        "Messages with role 'tool' must be a response to a preceding message with 'tool_calls'",
    )


def test_tool_calls_without_their_tool_messages() -> None:
    body = tool_turn(reasoning="r", model="deepseek-chat")
    body["messages"] = [*body["messages"][:2], {"role": "user", "content": "well?"}]
    assert_400(
        post(body),
        "An assistant message with 'tool_calls' must be followed by tool messages responding to "
        "each 'tool_call_id'. (insufficient tool messages following tool_calls message)",
    )


def test_tool_checks() -> None:
    bad_name = {**TOOL, "function": {**TOOL["function"], "name": "has space"}}
    assert post(chat_body(tools=[bad_name])).status_code == 400
    assert_400(
        post(chat_body(tool_choice="auto")), "tool_choice is only allowed when tools are specified"
    )
    missing = post(
        chat_body(tools=[TOOL], tool_choice={"type": "function", "function": {"name": "other"}})
    )
    assert missing.status_code == 400 and "other" in missing.json()["error"]["message"]
    assert post(chat_body(tools=[TOOL] * 129)).status_code == 400


def test_context_length_error_is_served_as_octet_stream() -> None:
    huge = "word " * 70_000
    response = post(chat_body(huge), era=Era.R1)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.json()["error"]["message"].startswith("This model's maximum context length is ")


# -- body shape errors (plain text, as the service's body parser sends them) ------------------


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, 422, "missing field `model`"),
        ({"model": "deepseek-chat"}, 422, "missing field `messages`"),
        (
            {"model": "deepseek-chat", "messages": [{"role": "robot", "content": "x"}]},
            422,
            "unknown variant `robot`",
        ),
        (
            {
                "model": "deepseek-chat",
                "messages": [{"role": "user", "content": {"type": "text", "wrong": "format"}}],
            },
            422,
            "messages[0]: data did not match any variant of untagged enum "
            "ChatCompletionRequestContent",
        ),
        (
            {
                "model": "deepseek-chat",
                "messages": [{"role": "user", "content": [{"type": "image_url"}]}],
            },
            422,
            "unknown variant `image_url`, expected `text`",
        ),
        (
            {
                "model": "deepseek-chat",
                "messages": [{"role": "user", "content": "x"}],
                "temperature": "1.3",
            },
            422,
            'temperature: invalid type: string "1.3", expected f32',
        ),
        (
            {
                "model": "deepseek-chat",
                "messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_schema"},
            },
            422,
            "unknown variant `json_schema`",
        ),
        (
            {"model": "deepseek-chat", "messages": [{"role": "tool", "content": "x"}]},
            422,
            "missing field `tool_call_id`",
        ),
        (
            {"model": "deepseek-chat", "messages": [{"role": "user"}]},
            422,
            "missing field `content`",
        ),
    ],
)
def test_shape_errors_are_plain_text(body: dict[str, Any], status: int, fragment: str) -> None:
    response = post(body)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("Failed to deserialize the JSON body into the target type: ")
    assert fragment in response.text
    assert " at line 1 column " in response.text


def test_text_parts_are_accepted() -> None:
    body = {
        "model": "deepseek-chat",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "parts work"}]}],
    }
    response = post(body)
    assert (
        response.status_code == 200
        and "parts work" in response.json()["choices"][0]["message"]["content"]
    )


def test_invalid_json_and_content_type() -> None:
    broken = post(b'{"model": ')
    assert broken.status_code == 400
    assert broken.text.startswith("Failed to parse the request body as JSON")
    emulator = Emulator()
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        form = client.post(
            "https://x/v1/chat/completions",
            content=b"model=x",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert form.status_code == 415


def test_unknown_fields_are_ignored_like_the_service() -> None:
    assert post(chat_body(n=1, user="someone")).status_code == 200


def test_thinking_parameter_is_validated_from_v3_2_on() -> None:
    assert post(chat_body(thinking={"type": "maybe"})).status_code == 422
    assert post(chat_body(thinking={"type": "maybe"}), era=Era.R1).status_code == 200
    assert post(chat_body(model="deepseek-v4-pro", reasoning_effort="turbo")).status_code == 422
    assert post(chat_body(model="deepseek-v4-pro", reasoning_effort="max")).status_code == 200
