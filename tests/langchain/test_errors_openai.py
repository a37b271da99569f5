"""Code written for openai's exceptions catches ours, through LangChain's runnables (issue 22)."""

from __future__ import annotations

import pytest

from deepseekapi_core import RateLimitError, StreamInterruptedError
from deepseekapi_core.testing import Emulator

from .conftest import ModelFactory

openai = pytest.importorskip("openai")


def test_except_openai_rate_limit_error(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=120, times=1)  # longer than the core waits
    try:
        make_llm().invoke("hi")
    except openai.RateLimitError as error:
        assert type(error) is RateLimitError and error.status_code == 429
        assert error.retry_after == 120
    else:
        pytest.fail("no error")


def test_with_retry_keyed_on_openais_class(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=0, times=1)
    emulator.script.reply_text("after the retry")
    runnable = make_llm(max_retries=0).with_retry(
        retry_if_exception_type=(openai.RateLimitError,),
        wait_exponential_jitter=False,
        stop_after_attempt=2,
    )
    assert runnable.invoke("hi").content == "after the retry"
    assert emulator.request_count == 2


def test_with_fallbacks_on_openais_api_error(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_error(402).reply_text("from the fallback")
    runnable = make_llm().with_fallbacks(
        [make_llm(model="deepseek-chat")], exceptions_to_handle=(openai.APIError,)
    )
    assert runnable.invoke("hi").content == "from the fallback"


def test_a_cut_stream_is_an_openai_api_error(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_text("one two three four five six seven eight nine ten")
    emulator.faults.cut_stream(after_events=3)
    with pytest.raises(openai.APIError) as caught:
        for _ in make_llm().stream("count"):
            pass
    assert isinstance(caught.value, StreamInterruptedError)
