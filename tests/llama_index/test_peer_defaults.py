"""Where llama-index's own LLMs (``DeepSeek``, ``OpenAILike``, ``OpenAI``) default differently
from the core and their users rely on it, ``DeepSeekAPI`` takes their default."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage

from deepseekapi_core import RateLimitError
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import API_KEY

HELLO = [ChatMessage(role="user", content="hi")]
NOW = {"retry-after": "0"}


def test_three_rate_limits_in_a_row_then_success_succeed_as_with_the_peer(
    emulator: Emulator,
) -> None:
    """llama-index-llms-openai's ``max_retries`` defaults to 3 (the core's to 2)."""
    llm = DeepSeekAPI(api_key=API_KEY, transport=emulator.transport())
    assert llm.max_retries == 3
    for _ in range(3):
        emulator.script.reply_error(429, headers=NOW)
    emulator.script.reply_text("ok")
    assert llm.chat(HELLO).message.content == "ok"
    assert len(emulator.chat_requests) == 4


def test_a_fourth_rate_limit_is_raised(emulator: Emulator) -> None:
    llm = DeepSeekAPI(api_key=API_KEY, transport=emulator.transport())
    for _ in range(4):
        emulator.script.reply_error(429, headers=NOW)
    with pytest.raises(RateLimitError):
        llm.chat(HELLO)
    assert len(emulator.chat_requests) == 4


def test_an_explicit_max_retries_still_wins(emulator: Emulator) -> None:
    llm = DeepSeekAPI(api_key=API_KEY, transport=emulator.transport(), max_retries=1)
    for _ in range(2):
        emulator.script.reply_error(429, headers=NOW)
    with pytest.raises(RateLimitError):
        llm.chat(HELLO)
    assert len(emulator.chat_requests) == 2
