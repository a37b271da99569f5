"""Code written for openai's exceptions catches ours, through LlamaIndex (issue 22)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core.llms import ChatMessage

from deepseekapi_core import InsufficientCreditsError, RateLimitError, StreamInterruptedError
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

openai = pytest.importorskip("openai")

USER = [ChatMessage(role="user", content="hi")]


def test_except_openai_rate_limit_error(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    emulator.faults.status(429, retry_after=0, times=1)
    with pytest.raises(openai.RateLimitError) as caught:
        make_llm(max_retries=0).chat(USER)
    assert type(caught.value) is RateLimitError and caught.value.status_code == 429


async def test_a_402_is_an_openai_api_status_error(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    emulator.script.reply_error(402)
    with pytest.raises(openai.APIStatusError) as caught:
        await make_llm().achat(USER)
    assert isinstance(caught.value, InsufficientCreditsError)
    assert caught.value.status_code == 402 and caught.value.response.status_code == 402


def test_a_cut_stream_is_an_openai_api_error(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    emulator.script.reply_text("one two three four five six seven")
    emulator.faults.cut_stream(after_events=3, times=1)
    with pytest.raises(openai.APIError) as caught:
        for _ in make_llm().stream_chat(USER):
            pass
    assert isinstance(caught.value, StreamInterruptedError)
