"""ChatDeepSeekAPI's token counting (offline, exact) and cost (metadata and a callback block)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import warnings
from typing import Any

import httpx
import pytest
from langchain_core.language_models import base as lc_base
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages

from deepseekapi_core.accounting import _tokenizer as core_tokenizer
from deepseekapi_core.accounting._tokenizer import count_prompt_tokens, get_tokenizer
from langchain_deepseekapi import ChatDeepSeekAPI, get_deepseek_callback
from tests.realwire_loader import load_recording, recording_names
from tests.tokens.figures import CACHE_HIT_COST, CACHE_HIT_USAGE

from .conftest import KEY, ModelFactory
from .helpers import Recorder, completion, delta_event, sse


def _mock(*replies: Any, **options: Any) -> ChatDeepSeekAPI:
    return ChatDeepSeekAPI(
        api_key=KEY, transport=httpx.MockTransport(Recorder(*replies)), **options
    )


# ----------------------------------------------------------------------------------------------
# Counting


def test_text_counts_are_the_deepseek_tokenizers() -> None:
    llm = ChatDeepSeekAPI(api_key=KEY)
    text = "深度求索 DeepSeek: def f(x): return x ** 2"
    assert llm.get_token_ids(text) == get_tokenizer().encode(text)
    assert llm.get_num_tokens(text) == get_tokenizer().count(text)


def test_message_counts_include_the_chat_template() -> None:
    llm = ChatDeepSeekAPI(api_key=KEY)
    messages = [SystemMessage("Be brief."), HumanMessage("Count from 1 to 3")]
    tokenizer = get_tokenizer()
    expected = 1 + tokenizer.count("Be brief.") + 1 + tokenizer.count("Count from 1 to 3") + 2
    assert llm.get_num_tokens_from_messages(messages) == expected


def test_message_counts_match_a_real_recordings_prompt_tokens() -> None:
    # ruby_llm's recorded request #0 (2026-06, deepseek-chat with one tool): 348 prompt tokens.
    weather = {
        "type": "function",
        "function": {
            "name": "weather",
            "description": "Gets current weather for a location",
            "parameters": {
                "type": "object",
                "properties": {
                    "latitude": {
                        "type": "string",
                        "description": "Latitude (e.g., 52.5200)",
                    },
                    "longitude": {
                        "type": "string",
                        "description": "Longitude (e.g., 13.4050)",
                    },
                },
                "required": ["latitude", "longitude"],
                "additionalProperties": False,
                "strict": True,
            },
        },
    }
    name = next(n for n in recording_names() if "multi-turn_streaming" in n)
    recorded = load_recording(name)[0].request.body
    assert recorded["tools"] == [weather]
    llm = ChatDeepSeekAPI(api_key=KEY)
    messages = [HumanMessage(recorded["messages"][0]["content"])]
    assert llm.get_num_tokens_from_messages(messages, tools=[weather]) == 348


def test_thinking_models_count_in_thinking_mode() -> None:
    history = [
        HumanMessage("2+2?"),
        AIMessage("4", additional_kwargs={"reasoning_content": "adding " * 30}),
        HumanMessage("3+3?"),
    ]
    chat = ChatDeepSeekAPI(api_key=KEY, model="deepseek-chat")
    reasoner = ChatDeepSeekAPI(api_key=KEY, model="deepseek-reasoner")
    # Earlier reasoning is dropped either way; the modes differ in the reply's opening only.
    assert chat.get_num_tokens_from_messages(history) == reasoner.get_num_tokens_from_messages(
        history
    )
    wire = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "3+3?"},
    ]
    assert reasoner.get_num_tokens_from_messages(history) == count_prompt_tokens(
        wire, thinking=True
    )


def test_trim_messages_with_the_model_as_counter_works_offline() -> None:
    llm = ChatDeepSeekAPI(api_key=KEY)  # no network is touched: counting is local
    history = [SystemMessage("You are a helpful assistant.")]
    for turn in range(12):
        history.append(HumanMessage(f"问题 {turn}: what is {turn} squared?"))
        history.append(AIMessage(f"{turn} squared is {turn * turn}."))
    history.append(HumanMessage("And 13?"))
    budget = 80
    trimmed = trim_messages(
        history,
        max_tokens=budget,
        token_counter=llm,
        strategy="last",
        include_system=True,
        start_on="human",
    )
    assert trimmed[0] == history[0] and trimmed[-1] == history[-1]
    assert 3 <= len(trimmed) < len(history)
    assert llm.get_num_tokens_from_messages(trimmed) <= budget
    one_more = [trimmed[0], *history[len(history) - len(trimmed) - 1 :]]
    assert llm.get_num_tokens_from_messages(one_more) > budget


def test_without_the_tokenizer_it_says_how_to_get_exact_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core_tokenizer, "tokenizer_available", lambda: False)
    monkeypatch.setattr(core_tokenizer, "_FALLBACKS_WARNED", set())
    # Today's behaviour is LangChain's default counter (a GPT-2 tokenizer from transformers,
    # downloaded at first use); stood in for here so the test stays offline.
    monkeypatch.setattr(lc_base, "_get_token_ids_default_method", lambda text: list(text))
    llm = ChatDeepSeekAPI(api_key=KEY)
    with pytest.warns(UserWarning, match=r"deepseekapi-integrations\[tokenizer\]"):
        assert llm.get_num_tokens("abc") == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not on every count
        assert llm.get_num_tokens_from_messages([HumanMessage("abcd")]) > 0


def test_a_custom_counter_wins_over_the_tokenizer() -> None:
    llm = ChatDeepSeekAPI(api_key=KEY, custom_get_token_ids=lambda text: [0] * 7)
    assert llm.get_num_tokens("anything") == 7


# ----------------------------------------------------------------------------------------------
# Cost


def test_the_cost_of_a_cache_hit_call_is_in_response_metadata() -> None:
    llm = _mock(completion("hi", usage=CACHE_HIT_USAGE), model="deepseek-reasoner")
    cost = llm.invoke("hello").response_metadata["cost"]
    assert cost["total_cost"] == pytest.approx(CACHE_HIT_COST, abs=1e-15)
    assert cost["input_cache_hit_tokens"] == 896 and cost["reasoning_tokens"] == 200
    assert cost["currency"] == "USD" and cost["model"] == "deepseek-reasoner"


def test_a_streamed_call_carries_its_cost_once() -> None:
    body = sse(
        [
            delta_event(content="Hel"),
            delta_event(content="lo", finish_reason="stop", usage=CACHE_HIT_USAGE),
        ]
    )
    llm = _mock(httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    chunks = list(llm.stream("hello"))
    assert [c for c in chunks if "cost" in c.response_metadata] == [chunks[-1]]
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    assert merged.response_metadata["cost"]["total_cost"] == pytest.approx(CACHE_HIT_COST)


def test_the_proxys_own_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = completion("hi", usage=CACHE_HIT_USAGE)
    by_argument = _mock(reply, prices={"deepseek-chat": [1, 2, 3]}).invoke("x")
    assert by_argument.response_metadata["cost"]["total_cost"] == pytest.approx(
        (896 * 1 + 104 * 2 + 300 * 3) / 1e6
    )
    monkeypatch.setenv("DEEPSEEKAPI_PRICES", '{"deepseek-chat": [0, 0, 10]}')
    by_env = _mock(reply).invoke("x")
    assert by_env.response_metadata["cost"]["total_cost"] == pytest.approx(300 * 10 / 1e6)
    unpriced = _mock(reply, model="proxy-only-model").invoke("x")
    assert "cost" not in unpriced.response_metadata


def test_the_callback_totals_sync_async_streamed_and_threaded_calls(make_llm: ModelFactory) -> None:
    llm = make_llm()
    seen: list[AIMessage] = []
    with get_deepseek_callback() as cb:
        seen.append(llm.invoke("one"))
        merged = None
        for chunk in llm.stream("two"):
            merged = chunk if merged is None else merged + chunk
        assert merged is not None
        seen.append(merged)
        seen.append(asyncio.run(llm.ainvoke("three")))
        seen.extend(llm.batch(["four", "five"], config={"max_concurrency": 2}))
        # Threads started by hand see the block when they run in a copy of its context (as
        # with get_openai_callback); LangChain's own batch threads do that already.
        threads = [
            threading.Thread(
                target=contextvars.copy_context().run,
                args=(lambda: seen.append(llm.invoke("six")),),
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    after = llm.invoke("not counted")
    assert cb.successful_requests == len(seen) == 9
    usages = [m.usage_metadata for m in seen]
    assert all(usages)
    assert cb.prompt_tokens == sum(u["input_tokens"] for u in usages if u)
    assert cb.completion_tokens == sum(u["output_tokens"] for u in usages if u)
    assert cb.total_tokens == sum(u["total_tokens"] for u in usages if u)
    costs = [m.response_metadata["cost"]["total_cost"] for m in seen]
    assert cb.total_cost == pytest.approx(sum(costs)) and cb.total_cost > 0
    assert "cost" in after.response_metadata and "Total Cost (USD)" in repr(cb)


async def test_the_callback_in_async_streams_and_tasks(make_llm: ModelFactory) -> None:
    llm = make_llm(model="deepseek-reasoner")
    with get_deepseek_callback() as cb:
        async for _ in llm.astream("one"):
            pass
        results = await asyncio.gather(*(llm.ainvoke(f"q{i}") for i in range(5)))
    assert cb.successful_requests == 6
    assert cb.reasoning_tokens > 0
    assert cb.total_cost >= sum(r.response_metadata["cost"]["total_cost"] for r in results)


def test_a_cache_hit_call_in_the_callback() -> None:
    llm = _mock(completion("hi", usage=CACHE_HIT_USAGE))
    with get_deepseek_callback() as cb:
        llm.invoke("a")
        llm.invoke("b")
    assert cb.prompt_cache_hit_tokens == 2 * 896 and cb.reasoning_tokens == 2 * 200
    assert cb.total_cost == pytest.approx(2 * CACHE_HIT_COST, abs=1e-15)


def test_bad_prices_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="the price of 'deepseek-chat' must be"):
        ChatDeepSeekAPI(api_key=KEY, prices={"deepseek-chat": [1, 2]})
