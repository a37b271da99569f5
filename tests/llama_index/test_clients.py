"""The LLM's clients: reuse_client goes through the core holder, also when set later."""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.base.llms.types import ChatMessage

from llama_index_deepseekapi import DeepSeekAPI

HELLO = [ChatMessage(role="user", content="hi")]


def test_reuse_client_set_after_first_use_takes_effect(
    make_llm: Callable[..., DeepSeekAPI],
) -> None:
    llm = make_llm()
    llm.chat(HELLO)
    kept = llm.clients._client
    assert kept is not None
    llm.reuse_client = False
    assert kept._http.is_closed  # the discarded pool is closed
    llm.chat(HELLO)
    list(llm.stream_chat(HELLO))
    assert llm.clients._client is None  # nothing kept between requests
