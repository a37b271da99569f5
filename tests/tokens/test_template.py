"""The chat template's share of a prompt, checked against the service's real ``prompt_tokens``."""

from __future__ import annotations

from typing import Any

import pytest

from deepseekapi_core import ChatMessage
from deepseekapi_core.accounting._tokenizer import (
    JSON_MODE_TOKENS,
    TOOLS_PREAMBLE_TOKENS,
    DeepSeekTokenizer,
    count_prompt_tokens,
    render_prompt,
)
from deepseekapi_core.wire._registry import Era
from tests.realwire_loader import Interaction, all_interactions, sse_payloads


def _usage(interaction: Interaction) -> dict[str, Any]:
    if interaction.response.is_event_stream:
        payloads = sse_payloads(interaction.response.body)
        return [p for p in payloads if isinstance(p, dict) and p.get("usage")][-1]["usage"]
    usage: dict[str, Any] = interaction.response.json()["usage"]
    return usage


RECORDED = [i for i in all_interactions() if i.response.status == 200]


def test_every_successful_recording_is_checked() -> None:
    assert len(RECORDED) == 10


@pytest.mark.parametrize("interaction", RECORDED, ids=[i.id for i in RECORDED])
def test_counts_equal_the_services_prompt_tokens(
    interaction: Interaction, tokenizer: DeepSeekTokenizer
) -> None:
    body = interaction.request.body
    # The R1-era recording is from 2025-04; every other one from 2026-06 (V4 behind the aliases).
    era = Era.R1 if "model_thinking_part" in interaction.id else Era.V4
    counted = count_prompt_tokens(
        body["messages"],
        tools=body.get("tools"),
        response_format=body.get("response_format"),
        thinking=body["model"] == "deepseek-reasoner",
        era=era,
        tokenizer=tokenizer,
    )
    assert counted == _usage(interaction)["prompt_tokens"]


def test_a_user_message_costs_its_text_and_four_template_tokens(
    tokenizer: DeepSeekTokenizer,
) -> None:
    text = "什么是强化学习？Explain in one line."
    counted = count_prompt_tokens([{"role": "user", "content": text}], tokenizer=tokenizer)
    # begin-of-sentence, <｜User｜>, <｜Assistant｜>, </think>
    assert counted == tokenizer.count(text) + 4


def test_each_further_exchange_costs_its_texts_and_three_tokens(
    tokenizer: DeepSeekTokenizer,
) -> None:
    first = [ChatMessage(role="user", content="Hi")]
    longer = [
        *first,
        ChatMessage(role="assistant", content="Hello! How can I help?"),
        ChatMessage(role="user", content="Tell me a joke"),
    ]
    grown = count_prompt_tokens(longer, tokenizer=tokenizer) - count_prompt_tokens(
        first, tokenizer=tokenizer
    )
    # end-of-sentence after the reply, <｜User｜>, and the new <｜Assistant｜></think>.
    texts = tokenizer.count("Hello! How can I help?") + tokenizer.count("Tell me a joke")
    assert grown == texts + 1 + 1 + 2


def test_a_system_message_adds_only_its_text(tokenizer: DeepSeekTokenizer) -> None:
    user = {"role": "user", "content": "hi"}
    system = {"role": "system", "content": "You are terse."}
    with_system = count_prompt_tokens([system, user], tokenizer=tokenizer)
    assert with_system == count_prompt_tokens([user], tokenizer=tokenizer) + tokenizer.count(
        "You are terse."
    )


def test_thinking_mode_drops_earlier_reasoning_without_tools(tokenizer: DeepSeekTokenizer) -> None:
    history = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4", "reasoning_content": "two plus two " * 20},
        {"role": "user", "content": "and 3+3?"},
    ]
    without = [dict(m) for m in history]
    without[1].pop("reasoning_content")
    assert count_prompt_tokens(history, thinking=True, tokenizer=tokenizer) == count_prompt_tokens(
        without, thinking=True, tokenizer=tokenizer
    )
    tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    kept = count_prompt_tokens(history, tools=tools, thinking=True, tokenizer=tokenizer)
    dropped = count_prompt_tokens(without, tools=tools, thinking=True, tokenizer=tokenizer)
    assert kept - dropped == tokenizer.count("two plus two " * 20)


def test_tools_add_their_schemas_and_the_measured_preamble(tokenizer: DeepSeekTokenizer) -> None:
    messages = [{"role": "user", "content": "weather?"}]
    tool = {
        "type": "function",
        "function": {"name": "weather", "description": "Weather now", "parameters": {}},
    }
    rendered = render_prompt(messages, tools=[tool])
    assert rendered.fixed_tokens == TOOLS_PREAMBLE_TOKENS[False]
    assert '{"name": "weather", "description": "Weather now", "parameters": {}}' in rendered.text
    json_mode = render_prompt(messages, response_format={"type": "json_object"})
    assert json_mode.fixed_tokens == JSON_MODE_TOKENS
    assert render_prompt(messages, response_format={"type": "text"}).fixed_tokens == 0


def test_tool_results_are_merged_into_one_user_turn() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
    rendered = render_prompt(
        [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": "", "tool_calls": [call, {**call, "id": "c2"}]},
            {"role": "tool", "tool_call_id": "c1", "content": "one"},
            {"role": "tool", "tool_call_id": "c2", "content": "two"},
        ]
    ).text
    assert "<｜User｜><tool_result>one</tool_result>\n\n<tool_result>two</tool_result>" in rendered
    assert rendered.count('<｜DSML｜parameter name="x" string="false">1</｜DSML｜parameter>') == 2
    assert rendered.endswith("<｜Assistant｜></think>")


def test_image_parts_count_at_least_the_smallest_image() -> None:
    rendered = render_prompt(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            }
        ]
    )
    assert "What is this?" in rendered.text and "base64" not in rendered.text
    assert rendered.fixed_tokens == 184
