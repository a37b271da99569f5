"""``DeepSeekAPIFIM``: fill-in-the-middle completion as a LangChain ``BaseLLM`` (invoke, stream,
async, batch, callbacks, usage) over the core's FIM calls, served by the emulator."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.language_models.llms import BaseLLM
from langchain_core.load import dumps

from deepseekapi_core.http import InvalidRequestError, UnsupportedParameterError
from deepseekapi_core.http._options import ClientOptions
from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import DeepSeekAPIFIM
from tests.test_client_options import BASE, OPTION_NAMES, SAMPLES

from .conftest import KEY

PROMPT = "def fib(a):\n"
SUFFIX = "    return fib(a-1) + fib(a-2)\n"
MIDDLE = "    if a < 2:\n        return a\n"


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.ended = 0

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.ended += 1


class AsyncTokens(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def make(emulator: Emulator, **options: Any) -> DeepSeekAPIFIM:
    return DeepSeekAPIFIM(**{"api_key": KEY, "transport": emulator.transport(), **options})


def test_it_is_a_langchain_llm_that_fills_the_middle(emulator: Emulator) -> None:
    emulator.script.reply_text(MIDDLE)
    llm = make(emulator, max_tokens=128, temperature=0.0)
    assert isinstance(llm, BaseLLM)
    assert llm.invoke(PROMPT, suffix=SUFFIX) == MIDDLE
    request = emulator.last_request
    assert request is not None and request.path == "/beta/completions"
    assert request.json == {
        "model": "deepseek-chat",
        "prompt": PROMPT,
        "suffix": SUFFIX,
        "max_tokens": 128,
        "temperature": 0.0,
        "stream": False,
    }


def test_the_models_suffix_is_the_default_and_a_calls_replaces_it(emulator: Emulator) -> None:
    llm = make(emulator, suffix="    return x\n")
    llm.invoke("x = 1\n")
    llm.invoke("x = 1\n", suffix="print(x)")
    bodies = [request.json for request in emulator.fim_requests]
    assert [body["suffix"] for body in bodies if body] == ["    return x\n", "print(x)"]


def test_stream_yields_the_pieces_and_calls_on_llm_new_token(emulator: Emulator) -> None:
    emulator.script.reply_text(MIDDLE)
    handler = Tokens()
    pieces = list(make(emulator).stream(PROMPT, {"callbacks": [handler]}, suffix=SUFFIX))
    assert "".join(pieces) == MIDDLE and len(pieces) > 2
    assert "".join(handler.tokens) == MIDDLE
    assert handler.tokens == [piece for piece in pieces if piece]
    request = emulator.last_request
    assert request is not None and request.json is not None
    assert request.json["stream"] is True and request.json["suffix"] == SUFFIX


def test_streaming_invoke_reports_every_token_and_the_whole_middle(emulator: Emulator) -> None:
    emulator.script.reply_text(MIDDLE)
    handler = Tokens()
    llm = make(emulator, streaming=True)
    result = llm.generate([PROMPT], callbacks=[handler], suffix=SUFFIX)
    assert result.generations[0][0].text == MIDDLE
    assert "".join(handler.tokens) == MIDDLE and handler.ended == 1
    assert result.llm_output is not None and result.llm_output["token_usage"]["total_tokens"] > 0


def test_ainvoke_and_astream_with_async_callbacks(emulator: Emulator) -> None:
    llm = make(emulator)
    handler = AsyncTokens()

    async def run() -> tuple[str, list[str]]:
        emulator.script.reply_text(MIDDLE)
        whole = await llm.ainvoke(PROMPT, suffix=SUFFIX)
        emulator.script.reply_text(MIDDLE)
        pieces = [p async for p in llm.astream(PROMPT, {"callbacks": [handler]}, suffix=SUFFIX)]
        return whole, pieces

    whole, pieces = asyncio.run(run())
    assert whole == MIDDLE and "".join(pieces) == MIDDLE
    assert "".join(handler.tokens) == MIDDLE
    assert [r.path for r in emulator.requests] == ["/beta/completions"] * 2


def test_batch_sends_one_request_per_prompt(emulator: Emulator) -> None:
    llm = make(emulator)
    middles = llm.batch(["def a():\n", "def b():\n"], suffix="    pass\n")
    assert len(middles) == 2 and middles[0] != middles[1]
    assert sorted(r.json["prompt"] for r in emulator.fim_requests if r.json) == [
        "def a():\n",
        "def b():\n",
    ]


def test_generate_reports_usage_finish_reason_and_logprobs(emulator: Emulator) -> None:
    emulator.script.reply_text("return a")
    emulator.script.reply_text("return b")
    result = make(emulator, logprobs=1).generate(["x", "y"])
    info = result.generations[0][0].generation_info
    assert info is not None and info["finish_reason"] == "stop"
    assert info["logprobs"]["tokens"] == ["return", "a"]
    assert result.llm_output is not None
    usage = result.llm_output["token_usage"]
    assert usage["completion_tokens"] == 4  # two tokens in each of the two replies
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert result.llm_output["model_name"] == "deepseek-flash"


def test_the_last_stream_chunk_carries_finish_reason_and_usage(emulator: Emulator) -> None:
    chunks = list(make(emulator)._stream(PROMPT, suffix=SUFFIX))
    last = chunks[-1].generation_info
    assert last is not None and last["finish_reason"] == "stop"
    assert last["token_usage"]["completion_tokens"] > 0
    assert all(chunk.generation_info is None for chunk in chunks[:-1])


def test_a_thinking_only_model_is_refused_when_built_and_when_called(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="deepseek-reasoner does not take FIM"):
        make(emulator, model="deepseek-reasoner")
    with pytest.raises(UnsupportedParameterError, match="non-thinking"):
        make(emulator).invoke(PROMPT, model="deepseek-reasoner")
    assert emulator.request_count == 0


def test_max_tokens_over_4k_is_refused_before_sending(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="4096"):
        make(emulator, max_tokens=4097)
    with pytest.raises(InvalidRequestError, match="4K"):
        make(emulator).invoke(PROMPT, max_tokens=5000)
    assert emulator.request_count == 0


def test_an_unknown_keyword_is_refused_naming_the_closest_field() -> None:
    with pytest.raises(ValueError, match="suffix"):
        DeepSeekAPIFIM(api_key=KEY, sufix="x")


@pytest.mark.parametrize("option", OPTION_NAMES)
def test_every_client_option_reaches_the_clients_by_its_own_name(option: str) -> None:
    value = SAMPLES[option]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm = DeepSeekAPIFIM(**{**BASE, option: value})
    expected = getattr(ClientOptions(**{**BASE, option: value}), option)
    given = getattr(llm.clients.options, option)
    plain = [getattr(v, "get_secret_value", lambda v=v: v)() for v in (given, expected)]
    assert plain[0] == plain[1]


def test_the_key_is_never_shown(emulator: Emulator) -> None:
    llm = make(emulator)
    assert KEY not in repr(llm) and KEY not in dumps(llm)
