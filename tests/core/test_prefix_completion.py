"""Chat prefix completion (beta): the last message is an assistant message with ``prefix:
true`` and the model continues it. Checked end to end against the emulator (sync, async and
streamed), plus the request's own rules, the reasoning rules and the emulator's."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import httpx
import pytest

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient, InvalidRequestError
from deepseekapi_core.testing import Emulator
from deepseekapi_core.wire import ChatMessage, ChatRequest, Era, IgnoredParameterWarning
from deepseekapi_core.wire._prepare import build_request_body

KEY = "sk-test-prefix"
BASE = "https://emulator.test/v1"
ASK = {"role": "user", "content": "Please write quick sort code"}
FENCE = "```python\n"
CONTINUE = {"role": "assistant", "content": FENCE, "prefix": True}


def run(mode: str, emulator: Emulator, *, stream: bool = False, **params: Any) -> tuple[str, str]:
    """The reply's content and reasoning, through the sync or the async client."""
    kwargs: dict[str, Any] = {"api_key": KEY, "base_url": BASE, "era": emulator.era}
    if mode == "sync":
        with DeepSeekClient(transport=emulator.transport(), **kwargs) as client:
            if stream:
                chunks = list(client.stream_chat(**params))
                return _joined(chunks)
            message = client.chat(**params).message
            return message.content or "", message.reasoning_content or ""

    async def go() -> tuple[str, str]:
        async with AsyncDeepSeekClient(transport=emulator.transport(), **kwargs) as client:
            if stream:
                return _joined([chunk async for chunk in client.stream_chat(**params)])
            message = (await client.chat(**params)).message
            return message.content or "", message.reasoning_content or ""

    return asyncio.run(go())


def _joined(chunks: list[Any]) -> tuple[str, str]:
    content = "".join((c.delta.content or "") if c.delta else "" for c in chunks)
    reasoning = "".join((c.delta.reasoning_content or "") if c.delta else "" for c in chunks)
    return content, reasoning


def sent(emulator: Emulator) -> tuple[str, dict[str, Any]]:
    request = emulator.last_request
    assert request is not None
    return request.path, request.json


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --------------------------------------------------------------------------------------------
# The request goes to /beta, carries the prefix exactly, and the reply continues it


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_the_docs_example_goes_to_beta_and_the_reply_continues_the_prefix(
    mode: str, stream: bool
) -> None:
    emulator = Emulator(api_key=KEY)
    content, _ = run(
        mode,
        emulator,
        stream=stream,
        model="deepseek-chat",
        messages=[ASK, CONTINUE],
        stop=["```"],
    )
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"] == [ASK, CONTINUE]
    assert body["stop"] == ["```"]
    assert "prefix" not in body  # the request field is applied to the messages, never sent
    # The continuation only: no prefix repeated, cut at the stop sequence.
    assert content == "# [emulated deepseek-flash] code for: Please write quick sort code\n"
    assert "```" not in content and not content.startswith(FENCE)


def test_prefix_text_appends_the_assistant_message(mode: str) -> None:
    emulator = Emulator(api_key=KEY)
    content, _ = run(mode, emulator, model="deepseek-chat", messages=[ASK], prefix="Sure: here")
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"] == [ASK, {"role": "assistant", "content": "Sure: here", "prefix": True}]
    assert "...continuing 'Sure: here'" in content


def test_prefix_true_marks_the_last_assistant_message_without_changing_the_callers() -> None:
    mine = ChatMessage(role="assistant", content="Argentina")
    request = ChatRequest(model="deepseek-chat", messages=[ChatMessage(**ASK), mine], prefix=True)
    assert request.messages[-1].prefix is True
    assert mine.prefix is None
    assert request.beta_features == ("chat prefix completion",)
    body = build_request_body(request)
    assert body["messages"][-1] == {"role": "assistant", "content": "Argentina", "prefix": True}
    assert "prefix" not in body


def test_applying_prefix_text_twice_changes_nothing() -> None:
    request = ChatRequest(model="deepseek-chat", messages=[ASK], prefix="Once")
    again = ChatRequest.model_validate(request.model_dump())
    assert [m.content for m in again.messages] == [ASK["content"], "Once"]
    assert again.messages == request.messages


def test_prefix_false_sends_to_the_plain_url() -> None:
    request = ChatRequest(model="deepseek-chat", messages=[ASK], prefix=False)
    assert request.beta_features == ()
    assert len(request.messages) == 1


# --------------------------------------------------------------------------------------------
# Bad requests fail before sending, naming the message


@pytest.mark.parametrize(
    ("params", "param", "words"),
    [
        (
            {"messages": [{**CONTINUE}, ASK]},
            "messages",
            ["messages[0] has prefix=True but is not the last message"],
        ),
        (
            {"messages": [{**ASK, "prefix": True}]},
            "messages.0",
            ["prefix=True is only allowed on an assistant message", "not on a user message"],
        ),
        ({"messages": [ASK], "prefix": True}, "prefix", ["messages[0] is a user message"]),
        ({"messages": [ASK], "prefix": ""}, "prefix", ["the prefix text is empty"]),
        (
            {"messages": [ASK, CONTINUE], "prefix": "other"},
            "prefix",
            ["messages[1] already is one"],
        ),
    ],
)
def test_a_prefix_the_model_cannot_continue_fails_before_sending(
    params: dict[str, Any], param: str, words: list[str]
) -> None:
    emulator = Emulator(api_key=KEY)
    with (
        DeepSeekClient(api_key=KEY, base_url=BASE, transport=emulator.transport()) as client,
        pytest.raises(InvalidRequestError) as caught,
    ):
        client.chat(model="deepseek-chat", **params)
    assert caught.value.param == param
    for word in words:
        assert word in str(caught.value)
    assert emulator.request_count == 0


# --------------------------------------------------------------------------------------------
# Thinking mode: reasoning_content on the prefix message is the CoT prefix


COT = "First pick a pivot, then"


@pytest.mark.parametrize(
    ("era", "model", "extra"),
    [
        (Era.V4_1, "deepseek-flash", {"thinking": True}),
        (Era.V4, "deepseek-reasoner", {}),
        # R1 refused reasoning_content in input, except on the prefix message (API reference).
        (Era.R1, "deepseek-reasoner", {}),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_thinking_mode_sends_the_cot_prefix_and_the_reasoning_continues_it(
    mode: str, stream: bool, era: Era, model: str, extra: dict[str, Any]
) -> None:
    emulator = Emulator(api_key=KEY, era=era)
    prefix = {**CONTINUE, "reasoning_content": COT}
    content, reasoning = run(
        mode, emulator, stream=stream, model=model, messages=[ASK, prefix], **extra
    )
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"][-1] == prefix
    assert "...continuing 'First pick a pivot, then'" in reasoning
    assert content.startswith("# [emulated")


def test_the_cot_prefix_is_kept_whatever_the_replay_setting_and_never_filled() -> None:
    tool = {"type": "function", "function": {"name": "sort", "parameters": {"type": "object"}}}
    with_cot = ChatRequest(
        model="deepseek-flash",
        messages=[ASK, {**CONTINUE, "reasoning_content": COT}],
        thinking=True,
        tools=[tool],
    )
    for replay in ("auto", "never"):
        body = build_request_body(with_cot, era=Era.V4_1, reasoning_replay=replay)
        assert body["messages"][-1]["reasoning_content"] == COT
    # Tool requests in thinking mode fill missing reasoning with "": not on the prefix message,
    # where "" would be an (empty) chain of thought to continue.
    without = ChatRequest(
        model="deepseek-flash", messages=[ASK, CONTINUE], thinking=True, tools=[tool]
    )
    assert "reasoning_content" not in build_request_body(without, era=Era.V4_1)["messages"][-1]


def test_without_thinking_the_cot_prefix_is_dropped_with_a_warning() -> None:
    request = ChatRequest(
        model="deepseek-chat", messages=[ASK, {**CONTINUE, "reasoning_content": COT}]
    )
    with pytest.warns(IgnoredParameterWarning, match="only thinking mode has"):
        body = build_request_body(request, era=Era.V4_1)
    assert body["messages"][-1] == CONTINUE
    plain = ChatRequest(model="deepseek-chat", messages=[ASK, CONTINUE])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_request_body(plain, era=Era.V4_1)


# --------------------------------------------------------------------------------------------
# The emulator


def _post(emulator: Emulator, path: str, messages: list[dict[str, Any]]) -> httpx.Response:
    with httpx.Client(transport=emulator.transport()) as http:
        return http.post(
            f"https://emulator.test{path}",
            headers={"Authorization": f"Bearer {KEY}"},
            json={"model": "deepseek-chat", "messages": messages},
        )


@pytest.mark.parametrize(
    ("messages", "words"),
    [
        ([CONTINUE, ASK], "message index 0 has `prefix: true` but is not the last message"),
        ([{**ASK, "prefix": True}], "its role is user; only an assistant message"),
    ],
)
def test_the_emulator_refuses_a_prefix_it_cannot_continue(
    messages: list[dict[str, Any]], words: str
) -> None:
    response = _post(Emulator(api_key=KEY), "/beta/chat/completions", messages)
    assert response.status_code == 400
    assert words in response.json()["error"]["message"]


def test_outside_beta_the_emulator_ignores_prefix() -> None:
    response = _post(Emulator(api_key=KEY), "/v1/chat/completions", [ASK, CONTINUE])
    assert response.status_code == 200
    content = response.json()["choices"][0]["message"]["content"]
    assert "You said:" in content and "continuing" not in content


def test_scripted_replies_still_answer_a_prefix_completion(mode: str) -> None:
    emulator = Emulator(api_key=KEY)
    emulator.script.reply_text("def quick_sort(xs): ...\n")
    content, _ = run(mode, emulator, model="deepseek-chat", messages=[ASK, CONTINUE])
    assert content == "def quick_sort(xs): ...\n"
    assert sent(emulator)[0] == "/beta/chat/completions"
