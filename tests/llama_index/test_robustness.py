"""Issue 14 in the LlamaIndex adapter: prompts that are not text, copies, the new options."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from deepseekapi_core import InvalidRequestError
from deepseekapi_core.testing import Emulator, EmulatorServer
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import API_KEY


@pytest.mark.parametrize("prompt", [None, 42, 3.5, object(), ["a list"]])
def test_complete_refuses_a_prompt_that_is_not_text(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, prompt: Any
) -> None:
    llm = make_llm(api_key=API_KEY)
    with pytest.raises(InvalidRequestError, match="prompt must be a string") as caught:
        llm.complete(prompt)
    assert type(prompt).__name__ in str(caught.value)
    with pytest.raises(InvalidRequestError, match="prompt must be a string"):
        llm.stream_complete(prompt)
    assert emulator.request_count == 0


@pytest.mark.parametrize("prompt", [None, 7])
async def test_async_complete_refuses_a_prompt_that_is_not_text(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, prompt: Any
) -> None:
    llm = make_llm(api_key=API_KEY)
    with pytest.raises(InvalidRequestError, match="prompt must be a string"):
        await llm.acomplete(prompt)
    with pytest.raises(InvalidRequestError, match="prompt must be a string"):
        await llm.astream_complete(prompt)
    assert emulator.request_count == 0


def test_an_empty_prompt_is_still_a_prompt(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    assert make_llm(api_key=API_KEY).complete("").text
    assert emulator.request_count == 1


def test_deepcopy_after_a_call_on_real_sockets() -> None:
    with EmulatorServer(Emulator()) as server:
        llm = DeepSeekAPI("deepseek-chat", api_key=API_KEY, base_url=server.base_url)
        llm.complete("first")
        twin = copy.deepcopy(llm)
        assert twin.complete("second").text.endswith('"second"')
        llm.close()
        assert twin.complete("third").text.endswith('"third"')


async def test_deepcopy_after_sync_and_async_calls_with_an_injected_transport(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm(api_key=API_KEY, deadline=30.0)
    llm.complete("sync")
    await llm.acomplete("async")
    twin = copy.deepcopy(llm)
    assert (await twin.acomplete("copy")).text.endswith('"copy"')
    assert twin.complete("copy").text.endswith('"copy"')
    assert twin.deadline == 30.0
    assert emulator.request_count == 4  # the copy shares the injected transport


def test_the_new_options_reach_the_core(make_llm: Callable[..., DeepSeekAPI]) -> None:
    llm = make_llm(api_key=API_KEY, deadline=12.5, recover_tool_calls=False)
    assert llm.client.deadline == 12.5
    assert llm.client.recover_tool_calls is False
    assert make_llm(api_key=API_KEY).client.deadline is None
    assert make_llm(api_key=API_KEY).client.recover_tool_calls is True


def test_a_key_with_a_trailing_newline_is_stripped() -> None:
    emulator = Emulator(api_key=API_KEY)  # answers 401 to any other key
    llm = DeepSeekAPI(api_key=API_KEY + "\r\n", transport=emulator.transport())
    assert llm.complete("hi").text
    assert emulator.request_count == 1
