"""chat/achat/stream_chat/astream_chat and the completion methods, against the emulator.

Reasoning, usage, raw chunks, instrumentation and callback events, and core errors surfacing
unchanged.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ThinkingBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.llms import ChatMessage, ChatResponse, CompletionResponse

from deepseekapi_core import (
    AuthenticationError,
    BadRequestError,
    ChatCompletion,
    ChatCompletionChunk,
    DeepSeekAPIError,
    InsufficientCreditsError,
    InvalidRequestError,
    RateLimitError,
    StreamInterruptedError,
)
from deepseekapi_core.http import UnsupportedParameterError
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import API_KEY

USER = [ChatMessage(role="user", content="What is the capital of France?")]
USAGE_KEYS = {
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_cache_hit_tokens",
    "prompt_cache_miss_tokens",
    "reasoning_tokens",
}


def _stream(llm: DeepSeekAPI, mode: str, method: str, arg: Any) -> list[Any]:
    if mode == "sync":
        return list(getattr(llm, method)(arg))

    import asyncio

    async def collect() -> list[Any]:
        stream: AsyncIterator[Any] = await getattr(llm, "a" + method)(arg)
        return [item async for item in stream]

    return asyncio.run(collect())


def _call(llm: DeepSeekAPI, mode: str, method: str, arg: Any) -> Any:
    if mode == "sync":
        return getattr(llm, method)(arg)
    import asyncio

    return asyncio.run(getattr(llm, "a" + method)(arg))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ---------------------------------------------------------------------------------------------
# Plain replies


def test_chat_returns_text_usage_and_raw(make_llm: Callable[..., DeepSeekAPI], mode: str) -> None:
    response = _call(make_llm(), mode, "chat", USER)
    assert isinstance(response, ChatResponse)
    assert response.message.role == "assistant"
    assert response.message.content == (
        '[emulated deepseek-flash] You said: "What is the capital of France?"'
    )
    assert isinstance(response.raw, ChatCompletion)
    usage = response.raw.usage
    assert usage is not None
    assert {k: response.additional_kwargs[k] for k in USAGE_KEYS} == usage.as_dict()
    assert response.additional_kwargs["total_tokens"] == (
        usage.prompt_tokens + usage.completion_tokens
    )
    assert response.additional_kwargs["finish_reason"] == "stop"
    assert not any(isinstance(b, ThinkingBlock) for b in response.message.blocks)
    assert "reasoning_content" not in response.message.additional_kwargs


def test_reasoner_reply_has_thinking_block_and_reasoning_content(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, mode: str
) -> None:
    emulator.script.reply_text("Paris.", reasoning="France's capital is Paris.")
    response = _call(make_llm(model="deepseek-reasoner"), mode, "chat", USER)
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert [b.content for b in thinking] == ["France's capital is Paris."]
    assert thinking[0].num_tokens == response.additional_kwargs["reasoning_tokens"] > 0
    assert response.message.additional_kwargs["reasoning_content"] == "France's capital is Paris."
    assert response.message.content == "Paris."  # the answer, without the reasoning


def test_stream_chat_is_cumulative_with_deltas(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, mode: str
) -> None:
    emulator.script.reply_text("Paris is the capital of France.")
    responses = _stream(make_llm(), mode, "stream_chat", USER)
    assert len(responses) > 3
    text = ""
    for response in responses:
        assert isinstance(response, ChatResponse)
        assert isinstance(response.raw, ChatCompletionChunk)
        text += response.delta or ""
        assert response.message.content == text  # cumulative, exactly the deltas so far
    assert text == "Paris is the capital of France."
    last = responses[-1]
    assert last.additional_kwargs["finish_reason"] == "stop"
    assert set(last.additional_kwargs) >= USAGE_KEYS
    assert last.raw.usage is not None
    assert last.additional_kwargs["completion_tokens"] == last.raw.usage.completion_tokens
    # Usage only at the end.
    assert all("total_tokens" not in r.additional_kwargs for r in responses[:-1])


def test_stream_chat_streams_reasoning_as_it_arrives(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, mode: str
) -> None:
    emulator.script.reply_text("Paris.", reasoning="The capital of France is Paris, of course.")
    responses = _stream(make_llm(model="deepseek-reasoner"), mode, "stream_chat", USER)
    deltas = [r.additional_kwargs.get("thinking_delta") for r in responses]
    pieces = [d for d in deltas if d]
    assert len(pieces) > 1  # several pieces, not one at the end
    assert "".join(pieces) == "The capital of France is Paris, of course."
    # Reasoning arrives before the answer, and each message holds the reasoning so far.
    first_answer = next(i for i, r in enumerate(responses) if r.delta)
    assert all(not d for d in deltas[first_answer:])
    so_far = ""
    for response, delta in zip(responses, deltas, strict=True):
        so_far += delta or ""
        if so_far:
            assert response.message.additional_kwargs["reasoning_content"] == so_far
            blocks = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
            assert [b.content for b in blocks] == [so_far]
    assert responses[-1].message.content == "Paris."
    assert responses[-1].additional_kwargs["reasoning_tokens"] > 0
    [final_thinking] = [b for b in responses[-1].message.blocks if isinstance(b, ThinkingBlock)]
    assert final_thinking.num_tokens == responses[-1].additional_kwargs["reasoning_tokens"]


def test_complete_and_stream_complete(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, mode: str
) -> None:
    llm = make_llm(model="deepseek-reasoner")
    emulator.script.reply_text("Four.", reasoning="2+2=4")
    completion = _call(llm, mode, "complete", "What is 2+2?")
    assert isinstance(completion, CompletionResponse)
    assert completion.text == "Four."
    assert completion.additional_kwargs["reasoning_content"] == "2+2=4"
    assert set(completion.additional_kwargs) >= USAGE_KEYS
    assert isinstance(completion.raw, ChatCompletion)
    sent = emulator.last_request
    assert sent is not None and sent.json["messages"] == [
        {"role": "user", "content": "What is 2+2?"}
    ]

    emulator.script.reply_text("Four, definitely.", reasoning="2+2=4")
    streamed = _stream(llm, mode, "stream_complete", "What is 2+2?")
    assert all(isinstance(c, CompletionResponse) for c in streamed)
    assert "".join(c.delta or "" for c in streamed) == "Four, definitely."
    assert [c.text for c in streamed][-1] == "Four, definitely."
    assert streamed[-1].additional_kwargs["reasoning_content"] == "2+2=4"
    assert "".join(c.additional_kwargs.get("thinking_delta", "") for c in streamed) == "2+2=4"
    assert streamed[-1].additional_kwargs["total_tokens"] > 0


def test_reasoning_is_not_sent_back_without_tools(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-reasoner")
    first = llm.chat(USER)
    assert first.message.additional_kwargs["reasoning_content"]
    llm.chat([*USER, first.message, ChatMessage(role="user", content="And Germany?")])
    sent = emulator.last_request
    assert sent is not None
    assistant = sent.json["messages"][1]
    assert assistant["role"] == "assistant" and "reasoning_content" not in assistant
    assert assistant["content"] == first.message.content


def test_r1_era_reasoner_history_survives_strict_emulator() -> None:
    """The R1-era service answers 400 to any reasoning in the input: the core strips it."""
    emulator = Emulator(era="r1")
    llm = DeepSeekAPI(
        model="deepseek-reasoner", era="r1", api_key=API_KEY, transport=emulator.transport()
    )
    first = llm.chat(USER)
    assert first.message.additional_kwargs["reasoning_content"]
    second = llm.chat([*USER, first.message, ChatMessage(role="user", content="Sure?")])
    assert second.message.content


# ---------------------------------------------------------------------------------------------
# Events


class _Collector(BaseEventHandler):
    events: list[BaseEvent]

    @classmethod
    def class_name(cls) -> str:
        return "Collector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def collected() -> Iterator[list[BaseEvent]]:
    handler = _Collector(events=[])
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    yield handler.events
    dispatcher.event_handlers.remove(handler)


def _names(events: list[BaseEvent]) -> list[str]:
    return [e.class_name() for e in events if e.class_name().startswith("LLM")]


def test_instrumentation_events_for_chat_and_stream(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, collected: list[BaseEvent], mode: str
) -> None:
    llm = make_llm()
    _call(llm, mode, "chat", USER)
    assert _names(collected) == ["LLMChatStartEvent", "LLMChatEndEvent"]
    collected.clear()
    emulator.script.reply_text("one two three")
    responses = _stream(llm, mode, "stream_chat", USER)
    names = _names(collected)
    assert names[0] == "LLMChatStartEvent" and names[-1] == "LLMChatEndEvent"
    assert names[1:-1] == ["LLMChatInProgressEvent"] * len(responses)
    end = collected[-1]
    assert end.response is not None  # type: ignore[attr-defined]
    assert end.response.message.content == "one two three"  # type: ignore[attr-defined]


def test_instrumentation_events_for_completion(
    make_llm: Callable[..., DeepSeekAPI], collected: list[BaseEvent], mode: str
) -> None:
    llm = make_llm()
    _call(llm, mode, "complete", "hi")
    assert _names(collected) == ["LLMCompletionStartEvent", "LLMCompletionEndEvent"]
    collected.clear()
    responses = _stream(llm, mode, "stream_complete", "hi")
    names = _names(collected)
    assert names == [
        "LLMCompletionStartEvent",
        *["LLMCompletionInProgressEvent"] * len(responses),
        "LLMCompletionEndEvent",
    ]
    # Events never carry the key.
    assert all(API_KEY not in repr(e) for e in collected)


def test_token_counting_callback_reads_the_service_usage(emulator: Emulator, mode: str) -> None:
    counter = TokenCountingHandler(tokenizer=lambda text: text.split())
    llm = DeepSeekAPI(
        api_key=API_KEY,
        transport=emulator.transport(),
        callback_manager=CallbackManager([counter]),
    )
    response = _call(llm, mode, "chat", USER)
    usage = response.raw.usage
    assert counter.prompt_llm_token_count == usage.prompt_tokens
    assert counter.completion_llm_token_count == usage.completion_tokens


# ---------------------------------------------------------------------------------------------
# Errors: the core's classes, unchanged


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequestError), (401, AuthenticationError), (402, InsufficientCreditsError)],
)
def test_service_errors_surface_as_core_classes(
    make_llm: Callable[..., DeepSeekAPI],
    emulator: Emulator,
    mode: str,
    status: int,
    error: type[DeepSeekAPIError],
) -> None:
    emulator.script.reply_error(status)
    with pytest.raises(error) as caught:
        _call(make_llm(), mode, "chat", USER)
    assert caught.value.status_code == status


def test_rate_limit_is_retried_by_the_core(emulator: Emulator, mode: str) -> None:
    emulator.faults.status(429, retry_after=0, times=1)
    waits: list[float] = []

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    llm = DeepSeekAPI(api_key=API_KEY, transport=emulator.transport())
    llm.clients.sleep = waits.append
    llm.clients.async_sleep = async_sleep
    response = _call(llm, mode, "chat", USER)
    assert response.message.content and waits == [0.0]
    assert emulator.request_count == 2


def test_rate_limit_without_retries_raises(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=0, times=1)
    llm = DeepSeekAPI(api_key=API_KEY, transport=emulator.transport(), max_retries=0)
    with pytest.raises(RateLimitError):
        llm.chat(USER)


def test_broken_stream_raises_stream_interrupted(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, mode: str
) -> None:
    emulator.script.reply_text("one two three four five six seven")
    emulator.faults.cut_stream(after_events=3, times=1)
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError) as caught:
        if mode == "sync":
            for response in make_llm().stream_chat(USER):
                seen.append(response.delta or "")
        else:
            import asyncio

            async def run() -> None:
                async for response in await make_llm().astream_chat(USER):
                    seen.append(response.delta or "")

            asyncio.run(run())
    assert caught.value.partial_content == "".join(seen)
    assert emulator.request_count == 1  # never replayed after data was seen


def test_request_errors_come_before_anything_is_sent(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm()
    with pytest.raises(InvalidRequestError, match="temperature"):
        llm.chat(USER, temperature=9)
    with pytest.raises(InvalidRequestError, match="no_such_parameter"):
        llm.stream_chat(USER, no_such_parameter=1)
    with pytest.raises(UnsupportedParameterError, match="logprobs"):
        make_llm(model="deepseek-reasoner").chat(USER, logprobs=True)
    assert emulator.request_count == 0


def test_reasoner_ignores_temperature_with_a_warning(make_llm: Callable[..., DeepSeekAPI]) -> None:
    from deepseekapi_core import IgnoredParameterWarning

    with pytest.warns(IgnoredParameterWarning, match="temperature"):
        make_llm(model="deepseek-reasoner", temperature=0.2).complete("hi")


def test_images_are_refused_by_name(make_llm: Callable[..., DeepSeekAPI]) -> None:
    from llama_index.core.base.llms.types import ImageBlock, TextBlock

    message = ChatMessage(
        role="user", blocks=[TextBlock(text="look"), ImageBlock(url="https://example.com/a.png")]
    )
    with pytest.raises(InvalidRequestError, match="image"):
        make_llm().chat([message])


# ---------------------------------------------------------------------------------------------
# Real recordings


def test_realwire_thinking_stream_and_plain_reply_parse() -> None:
    from tests.realwire_loader import all_interactions, expected_stream_result, replay_transport

    for interaction in all_interactions():
        if interaction.response.status != 200:
            continue
        request = interaction.request
        messages = [
            ChatMessage(role="user", content="replayed")
        ]  # the recorded request body is not what is checked here
        llm = DeepSeekAPI(
            model=request.body.get("model", "deepseek-chat"),
            api_key=API_KEY,
            transport=replay_transport([interaction], piece_size=7),
        )
        if interaction.response.is_event_stream:
            expected = expected_stream_result(interaction.response.body)
            responses = list(llm.stream_chat(messages))
            last = responses[-1]
            assert last.message.content == expected["content"], interaction.id
            reasoning = last.message.additional_kwargs.get("reasoning_content", "")
            assert reasoning == expected["reasoning_content"], interaction.id
            calls = llm.get_tool_calls_from_response(last, error_on_no_tool_call=False)
            assert [(c.tool_name, json.dumps(c.tool_kwargs)) for c in calls] == [
                (call["name"], json.dumps(json.loads(call["arguments"] or "{}")))
                for call in expected["tool_calls"]
            ], interaction.id
            if expected["usage"]:
                assert last.additional_kwargs["total_tokens"] == expected["usage"]["total_tokens"]
        else:
            body = interaction.response.json()
            response = llm.chat(messages)
            message = body["choices"][0]["message"]
            assert response.message.content == (message.get("content") or ""), interaction.id
            ours = response.message.additional_kwargs.get("reasoning_content")
            assert (ours or None) == (message.get("reasoning_content") or None), interaction.id
            calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
            assert [(c.tool_id, c.tool_name) for c in calls] == [
                (call["id"], call["function"]["name"]) for call in message.get("tool_calls") or []
            ], interaction.id
            assert response.additional_kwargs["total_tokens"] == body["usage"]["total_tokens"]
            assert response.additional_kwargs["prompt_cache_hit_tokens"] == body["usage"].get(
                "prompt_cache_hit_tokens", 0
            )


def test_realwire_auth_error_surfaces_unchanged() -> None:
    from tests.realwire_loader import all_interactions, replay_transport

    interaction = next(i for i in all_interactions() if i.response.status == 401)
    llm = DeepSeekAPI(api_key=API_KEY, transport=replay_transport([interaction]))
    with pytest.raises(AuthenticationError, match="Authentication Fails"):
        llm.chat(USER)
