"""DeepSeekAPI's token counting and cost: tokenizer callable, response cost, instrumentation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from llama_index.core import Settings
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.node_parser import SentenceSplitter

from deepseekapi_core.accounting._tokenizer import count_prompt_tokens, get_tokenizer
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI, DeepSeekCostHandler, deepseek_tokenizer
from tests.tokens.figures import CACHE_HIT_COST, CACHE_HIT_USAGE, V4_ERA_CREATED

from .conftest import API_KEY

REPLY = {
    "id": "c1",
    "object": "chat.completion",
    "created": V4_ERA_CREATED,  # CACHE_HIT_COST is the V4 era's flat price
    "model": "deepseek-v4-flash",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
    "usage": CACHE_HIT_USAGE,
}


def _mocked(**kwargs: Any) -> DeepSeekAPI:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=REPLY))
    return DeepSeekAPI(api_key=API_KEY, transport=transport, **kwargs)


@pytest.fixture
def cost_handler() -> Iterator[DeepSeekCostHandler]:
    handler = DeepSeekCostHandler()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    yield handler
    dispatcher.event_handlers.remove(handler)


def test_the_tokenizer_is_a_settings_tokenizer() -> None:
    tokenizer = deepseek_tokenizer()
    Settings.tokenizer = tokenizer
    text = "深度求索的模型 DeepSeek-V4 supports a 1M context."
    assert Settings.tokenizer(text) == get_tokenizer().encode(text)


def test_node_parsers_budget_with_deepseek_tokens() -> None:
    Settings.tokenizer = deepseek_tokenizer()
    text = "人工智能是计算机科学的一个分支。它研究如何让机器像人一样思考。" * 40
    splitter = SentenceSplitter(chunk_size=64, chunk_overlap=0)
    chunks = splitter.split_text(text)
    assert len(chunks) > 1
    assert all(get_tokenizer().count(chunk) <= 64 for chunk in chunks)


def test_token_counting_handler_and_chat_memory_use_it() -> None:
    tokenizer = deepseek_tokenizer()
    counter = TokenCountingHandler(tokenizer=tokenizer)
    llm = _mocked(callback_manager=CallbackManager([counter]))
    llm.complete("什么是强化学习？")
    assert counter.total_llm_token_count > 0
    memory = ChatMemoryBuffer.from_defaults(token_limit=20, tokenizer_fn=tokenizer)
    for turn in range(10):
        memory.put(ChatMessage(role="user", content=f"第 {turn} 个问题：今天天气怎么样？"))
    kept = memory.get()
    assert 0 < len(kept) < 10
    assert sum(get_tokenizer().count(str(m.content)) for m in kept) <= 20


def test_the_llm_counts_its_prompts() -> None:
    llm = DeepSeekAPI(api_key=API_KEY, model="deepseek-reasoner")
    assert llm.tokenizer("hello world") == get_tokenizer().encode("hello world")
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi"),
    ]
    wire = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert llm.count_message_tokens(messages) == count_prompt_tokens(wire, thinking=True)


def test_the_cost_of_a_cache_hit_call_is_in_additional_kwargs() -> None:
    response = _mocked().chat([ChatMessage(role="user", content="hello")])
    cost = response.additional_kwargs["cost"]
    assert cost["total_cost"] == pytest.approx(CACHE_HIT_COST, abs=1e-15)
    assert cost["input_cache_hit_tokens"] == 896 and cost["reasoning_tokens"] == 200
    completion = _mocked().complete("hello")
    assert completion.additional_kwargs["cost"]["total_cost"] == pytest.approx(CACHE_HIT_COST)


def test_the_proxys_own_prices() -> None:
    response = _mocked(prices={"deepseek-chat": [1, 2, 3]}).chat(
        [ChatMessage(role="user", content="x")]
    )
    assert response.additional_kwargs["cost"]["total_cost"] == pytest.approx(
        (896 * 1 + 104 * 2 + 300 * 3) / 1e6
    )
    unpriced = _mocked(model="proxy-only").chat([ChatMessage(role="user", content="x")])
    assert "cost" not in unpriced.additional_kwargs


def test_streamed_replies_carry_the_cost_at_the_end(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    emulator.clock = lambda: V4_ERA_CREATED  # answered in the V4 era, at its flat prices
    responses = list(make_llm().stream_chat([ChatMessage(role="user", content="hello")]))
    assert "cost" in responses[-1].additional_kwargs
    assert all("cost" not in r.additional_kwargs for r in responses[:-2])
    usage = responses[-1].additional_kwargs
    cost = responses[-1].additional_kwargs["cost"]
    assert cost["total_cost"] == pytest.approx(
        (
            usage["prompt_cache_hit_tokens"] * 0.0028
            + usage["prompt_cache_miss_tokens"] * 0.14
            + usage["completion_tokens"] * 0.28
        )
        / 1e6
    )


def test_the_instrumentation_handler_totals_every_kind_of_call(
    make_llm: Callable[..., DeepSeekAPI], cost_handler: DeepSeekCostHandler
) -> None:
    llm = make_llm(model="deepseek-reasoner")
    message = [ChatMessage(role="user", content="hello")]
    finals = [llm.chat(message), llm.complete("hi")]
    finals.append(list(llm.stream_chat(message))[-1])
    finals.append(list(llm.stream_complete("hi"))[-1])
    finals.append(asyncio.run(llm.achat(message)))

    async def astream() -> Any:
        last = None
        async for response in await llm.astream_chat(message):
            last = response
        return last

    finals.append(asyncio.run(astream()))
    assert cost_handler.requests == 6
    assert cost_handler.total_tokens == sum(f.additional_kwargs["total_tokens"] for f in finals)
    assert cost_handler.reasoning_tokens > 0
    assert cost_handler.total_cost == pytest.approx(
        sum(f.additional_kwargs["cost"]["total_cost"] for f in finals)
    )
    cost_handler.reset()
    assert cost_handler.total_cost == 0 and cost_handler.requests == 0


def test_the_handler_counts_cache_hits(cost_handler: DeepSeekCostHandler) -> None:
    llm = _mocked()
    llm.chat([ChatMessage(role="user", content="a")])
    llm.chat([ChatMessage(role="user", content="b")])
    assert cost_handler.prompt_cache_hit_tokens == 2 * 896
    assert cost_handler.total_cost == pytest.approx(2 * CACHE_HIT_COST, abs=1e-15)
    assert json.dumps(cost_handler.model_dump())  # serialisable like any LlamaIndex handler
    # The totals show in the dump and the repr, as the handler's fields did.
    assert cost_handler.model_dump()["prompt_cache_hit_tokens"] == 2 * 896
    assert cost_handler.model_dump()["requests"] == 2
    assert "prompt_cache_hit_tokens=1792" in repr(cost_handler)


def test_bad_prices_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="input_cache_miss must be a number >= 0"):
        DeepSeekAPI(api_key=API_KEY, prices={"deepseek-chat": [1, -2, 3]})
    with pytest.raises(ValueError, match="prices must be a PriceTable or a dict"):
        DeepSeekAPI(api_key=API_KEY, prices=[1, 2, 3])
