"""The pre-flight context check: a prompt sure to overflow fails before sending, with the counts."""

from __future__ import annotations

import json

import httpx
import pytest

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient, InvalidRequestError
from deepseekapi_core.accounting import _preflight as preflight_module
from deepseekapi_core.accounting._preflight import ContextWindowExceededError, check_context_window
from deepseekapi_core.accounting._tokenizer import DeepSeekTokenizer, RenderedPrompt
from deepseekapi_core.wire._registry import Era, get_model_profile

R1_WINDOW = get_model_profile("deepseek-chat", Era.R1).context_window  # 64K

COMPLETION = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "deepseek-chat",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


class Recorder:
    """A transport that answers every request with a canned completion and counts them."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return httpx.Response(200, json=COMPLETION)


def _client(recorder: Recorder, era: Era = Era.R1) -> DeepSeekClient:
    return DeepSeekClient(api_key="sk-test", era=era, transport=httpx.MockTransport(recorder))


def _words(tokens: int) -> str:
    return " hello" * tokens  # " hello" is one token


def test_the_word_used_to_size_prompts_is_one_token(tokenizer: DeepSeekTokenizer) -> None:
    assert tokenizer.count(_words(1000)) == 1000


def test_a_prompt_over_the_window_fails_before_sending(tokenizer: DeepSeekTokenizer) -> None:
    recorder = Recorder()
    text = _words(R1_WINDOW + 2000)
    with _client(recorder) as client, pytest.raises(ContextWindowExceededError) as caught:
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": text}])
    assert recorder.sent == 0
    error = caught.value
    assert error.prompt_tokens == R1_WINDOW + 2000 + 4 and error.exact
    assert error.context_window == R1_WINDOW and error.max_tokens == 0
    assert isinstance(error, InvalidRequestError) and error.param == "messages"
    assert f"{R1_WINDOW + 2004:,} tokens" in str(error) and f"{R1_WINDOW:,} tokens" in str(error)
    assert "nothing was sent" in str(error)


async def test_the_async_client_checks_too() -> None:
    recorder = Recorder()
    client = AsyncDeepSeekClient(
        api_key="sk-test", era=Era.R1, transport=httpx.MockTransport(recorder)
    )
    with pytest.raises(ContextWindowExceededError):
        await client.chat(
            model="deepseek-reasoner",
            messages=[{"role": "user", "content": _words(R1_WINDOW + 100)}],
        )
    with pytest.raises(ContextWindowExceededError):
        client.stream_chat(
            model="deepseek-chat", messages=[{"role": "user", "content": _words(R1_WINDOW + 100)}]
        )
    await client.aclose()
    assert recorder.sent == 0


def test_a_prompt_just_under_the_window_is_sent() -> None:
    recorder = Recorder()
    with _client(recorder) as client:
        client.chat(
            model="deepseek-chat", messages=[{"role": "user", "content": _words(R1_WINDOW - 100)}]
        )
    assert recorder.sent == 1


def test_within_the_safety_margin_the_service_decides() -> None:
    # Over the window by fewer tokens than the template constants could be off: not sure.
    recorder = Recorder()
    with _client(recorder) as client:
        client.chat(
            model="deepseek-chat",
            messages=[{"role": "user", "content": _words(R1_WINDOW - 4 + 10)}],
        )
    assert recorder.sent == 1


def test_max_tokens_counts_against_the_window() -> None:
    recorder = Recorder()
    with _client(recorder) as client:
        with pytest.raises(ContextWindowExceededError, match="plus max_tokens 8,000") as caught:
            client.chat(
                model="deepseek-chat",
                max_tokens=8000,
                messages=[{"role": "user", "content": _words(R1_WINDOW - 4000)}],
            )
        assert caught.value.max_tokens == 8000 and "lower max_tokens" in str(caught.value)
        client.chat(
            model="deepseek-chat",
            max_tokens=1000,
            messages=[{"role": "user", "content": _words(R1_WINDOW - 4000)}],
        )
    assert recorder.sent == 1


def test_an_unknown_model_is_not_checked() -> None:
    recorder = Recorder()
    with _client(recorder) as client:
        client.chat(
            model="proxy-special", messages=[{"role": "user", "content": _words(R1_WINDOW * 2)}]
        )
    assert recorder.sent == 1


def test_ordinary_requests_never_load_or_run_the_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden() -> None:
        raise AssertionError("the exact count ran for a request the cheap bound clears")

    monkeypatch.setattr(preflight_module, "get_tokenizer", forbidden)
    recorder = Recorder()
    # 400 KB of text on the 1M-token V4 window: the byte bound alone clears it.
    with _client(recorder, era=Era.V4) as client:
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "x" * 400_000}])
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert recorder.sent == 2


def test_without_the_tokenizer_only_a_sure_bound_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preflight_module, "tokenizer_available", lambda: False)
    recorder = Recorder()
    with _client(recorder) as client:
        # Over the window, but without the tokenizer that is not sure: the service decides.
        client.chat(
            model="deepseek-chat", messages=[{"role": "user", "content": _words(R1_WINDOW + 2000)}]
        )
        # A token covers at most 128 bytes, so this many bytes are sure to be too many.
        with pytest.raises(ContextWindowExceededError, match="at least") as caught:
            client.chat(
                model="deepseek-chat",
                messages=[{"role": "user", "content": "a" * (R1_WINDOW * 128 + 128)}],
            )
    assert recorder.sent == 1
    assert not caught.value.exact and caught.value.prompt_tokens == R1_WINDOW + 1


def test_the_check_reads_the_body_as_sent() -> None:
    body = {
        "model": "deepseek-reasoner",
        "messages": [{"role": "user", "content": _words(R1_WINDOW + 500)}],
    }
    size = len(json.dumps(body).encode())
    with pytest.raises(ContextWindowExceededError):
        check_context_window(body, size, era=Era.R1)
    check_context_window(body, size, era=Era.V4)  # the same prompt fits V4's 1M window


def test_a_large_prompt_well_under_the_window_is_only_sampled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forbidden(*args: object, **kwargs: object) -> int:
        raise AssertionError("the exact count ran for a prompt the estimate puts far below")

    monkeypatch.setattr(RenderedPrompt, "count", forbidden)
    recorder = Recorder()
    # 1.8 MB: too big for the byte bound on the 1M window, but ~300K tokens by the samples.
    with _client(recorder, era=Era.V4) as client:
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": _words(300_000)}])
    assert recorder.sent == 1


def test_counting_stops_once_the_prompt_is_surely_too_long(tokenizer: DeepSeekTokenizer) -> None:
    recorder = Recorder()
    total = R1_WINDOW * 3
    with _client(recorder) as client, pytest.raises(ContextWindowExceededError) as caught:
        client.chat(model="deepseek-chat", messages=[{"role": "user", "content": _words(total)}])
    assert recorder.sent == 0
    error = caught.value
    assert not error.exact and R1_WINDOW < error.prompt_tokens < total
    assert f"over {error.prompt_tokens:,} tokens (counted offline until past the window)" in str(
        error
    )
