"""The LLM's clients: reuse_client goes through the core holder, also when set later."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

from llama_index.core.base.llms.types import ChatMessage

from deepseekapi_core.testing import Emulator
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


def test_pickling_leaves_the_model_with_its_injected_transport(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    """llama-index's __getstate__ deletes what it cannot pickle (an injected transport or HTTP
    client) from the dict pydantic hands it, which is the model's own: pickling (num_workers,
    multiprocessing) must not take the transport away from the model that stays here."""
    llm = make_llm()
    transport = llm.transport
    pickle.dumps(llm)
    assert llm.transport is transport
    copied = copy.deepcopy(llm)
    assert copied.transport is transport  # copies share it
    assert copied.chat(HELLO).message.content
    assert emulator.requests[-1].json["messages"][0]["content"] == "hi"
