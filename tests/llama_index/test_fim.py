"""``DeepSeekAPI.complete(prompt, suffix=...)``: fill-in-the-middle completion (beta) in
LlamaIndex, sync, streamed and async; without ``suffix`` (or ``fim=True``) ``complete`` stays a
chat request, as before."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

from deepseekapi_core.http import InvalidRequestError, UnsupportedParameterError
from deepseekapi_core.testing import Emulator
from deepseekapi_core.wire import FIMChunk, FIMCompletion
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import API_KEY

PROMPT = "def fib(a):\n"
SUFFIX = "    return fib(a-1) + fib(a-2)\n"
MIDDLE = "    if a < 2:\n        return a\n"


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(api_key=API_KEY)


def make(emulator: Emulator, **options: Any) -> DeepSeekAPI:
    return DeepSeekAPI(**{"api_key": API_KEY, "transport": emulator.transport(), **options})


def test_complete_with_suffix_fills_the_middle(emulator: Emulator) -> None:
    emulator.script.reply_text(MIDDLE)
    response = make(emulator, temperature=0.0).complete(PROMPT, suffix=SUFFIX, max_tokens=128)
    assert response.text == MIDDLE
    assert isinstance(response.raw, FIMCompletion)
    assert response.additional_kwargs["finish_reason"] == "stop"
    assert response.additional_kwargs["completion_tokens"] > 0
    request = emulator.last_request
    assert request is not None and request.path == "/beta/completions"
    assert request.json == {
        "model": "deepseek-chat",
        "prompt": PROMPT,
        "suffix": SUFFIX,
        "temperature": 0.0,
        "max_tokens": 128,
        "stream": False,
    }


def test_complete_without_suffix_is_still_chat(emulator: Emulator) -> None:
    response = make(emulator).complete("Say hello")
    request = emulator.last_request
    assert request is not None and request.path == "/v1/chat/completions"
    assert request.json is not None
    assert request.json["messages"] == [{"role": "user", "content": "Say hello"}]
    assert response.text and emulator.fim_requests == []


def test_fim_true_asks_for_a_completion_without_a_suffix(emulator: Emulator) -> None:
    emulator.script.reply_text(" happily ever after")
    assert make(emulator).complete("Once upon a time", fim=True).text == " happily ever after"
    request = emulator.last_request
    assert request is not None and request.json is not None
    assert request.path == "/beta/completions" and "suffix" not in request.json


def test_stream_complete_with_suffix_streams_the_middle(emulator: Emulator) -> None:
    emulator.script.reply_text(MIDDLE)
    responses = list(make(emulator).stream_complete(PROMPT, suffix=SUFFIX))
    assert len(responses) > 2
    assert "".join(r.delta or "" for r in responses) == MIDDLE
    assert responses[-1].text == MIDDLE
    assert isinstance(responses[-1].raw, FIMChunk)
    assert responses[-1].additional_kwargs["finish_reason"] == "stop"
    assert responses[-1].additional_kwargs["total_tokens"] > 0


def test_acomplete_and_astream_complete_with_suffix(emulator: Emulator) -> None:
    llm = make(emulator)

    async def run() -> tuple[str, str]:
        emulator.script.reply_text(MIDDLE)
        whole = (await llm.acomplete(PROMPT, suffix=SUFFIX)).text
        emulator.script.reply_text(MIDDLE)
        stream = await llm.astream_complete(PROMPT, suffix=SUFFIX)
        last = ""
        async for response in stream:
            last = response.text
        return whole, last

    assert asyncio.run(run()) == (MIDDLE, MIDDLE)
    assert [r.path for r in emulator.requests] == ["/beta/completions"] * 2


def test_async_complete_without_suffix_is_still_chat(emulator: Emulator) -> None:
    asyncio.run(make(emulator).acomplete("Say hello"))
    assert emulator.last_request is not None
    assert emulator.last_request.path == "/v1/chat/completions"


class _Collector(BaseEventHandler):
    events: list[BaseEvent]

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


def test_the_completion_events_and_token_counts_cover_the_fim_call(emulator: Emulator) -> None:
    counter = TokenCountingHandler(tokenizer=lambda text: text.split())
    llm = make(emulator, callback_manager=CallbackManager([counter]))
    collector = _Collector(events=[])
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(collector)
    try:
        emulator.script.reply_text(MIDDLE)
        response = llm.complete(PROMPT, suffix=SUFFIX)
        emulator.script.reply_text(MIDDLE)
        streamed = list(llm.stream_complete(PROMPT, suffix=SUFFIX))
    finally:
        dispatcher.event_handlers.remove(collector)
    names = [e.class_name() for e in collector.events if e.class_name().startswith("LLM")]
    assert names == [
        "LLMCompletionStartEvent",
        "LLMCompletionEndEvent",
        "LLMCompletionStartEvent",
        *["LLMCompletionInProgressEvent"] * len(streamed),
        "LLMCompletionEndEvent",
    ]
    assert collector.events[-1].response.text == MIDDLE  # type: ignore[attr-defined]
    assert response.raw.usage is not None
    assert counter.completion_llm_token_count >= response.raw.usage.completion_tokens


def test_a_thinking_only_model_is_refused_before_sending(emulator: Emulator) -> None:
    with pytest.raises(UnsupportedParameterError, match="deepseek-reasoner"):
        make(emulator, model="deepseek-reasoner").complete(PROMPT, suffix=SUFFIX)
    assert emulator.request_count == 0


def test_max_tokens_over_4k_and_images_are_refused_before_sending(emulator: Emulator) -> None:
    llm = make(emulator)
    with pytest.raises(InvalidRequestError, match="4K"):
        llm.complete(PROMPT, suffix=SUFFIX, max_tokens=4097)
    with pytest.raises(InvalidRequestError, match="text only"):
        llm.complete(PROMPT, image_documents=[object()], suffix=SUFFIX)
    assert emulator.request_count == 0


def test_additional_kwargs_that_are_fim_fields_are_sent(emulator: Emulator) -> None:
    llm = make(emulator, additional_kwargs={"top_p": 0.5, "thinking": False})
    llm.complete(PROMPT, suffix=SUFFIX)
    request = emulator.last_request
    assert request is not None and request.json is not None
    assert request.json["top_p"] == 0.5 and "thinking" not in request.json
