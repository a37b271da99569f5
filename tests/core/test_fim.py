"""Fill-in-the-middle completion (beta): ``fim``/``stream_fim`` on both clients, the request
checks made before sending, the beta route and its 404, retries, the stream, the emulator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient, StreamInterruptedError
from deepseekapi_core.http import (
    APIStreamError,
    BetaEndpointNotFoundError,
    InvalidRequestError,
    UnsupportedParameterError,
)
from deepseekapi_core.testing import Emulator
from deepseekapi_core.wire import (
    FIM_MAX_TOKENS,
    Era,
    FIMChunk,
    FIMCompletion,
    FIMRequest,
    fim_model_ids,
    get_model_profile,
)

from .helpers import API_KEY, BASE_URL, Script, error_body, sse, status, stream_response

FIM_URL = "https://api.test.invalid/beta/completions"
PROMPT = "def fib(a):\n"
RESOURCE = "insufficient_system_resource"
SUFFIX = "    return fib(a-1) + fib(a-2)\n"


def fim_body(text: str = "    if a < 2:\n        return a\n", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "cmpl-fim-1",
        "object": "text_completion",
        "created": 1780944337,
        "model": "deepseek-flash",
        "system_fingerprint": "fp_test",
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
    }
    body.update(extra)
    return body


def fim_chunk(text: str, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
    return {"id": "cmpl-fim-1", "object": "text_completion", "created": 1, "model": "m",
            "choices": [choice], **extra}  # fmt: skip


def run_fim(mode: str, transport: Any, **params: Any) -> FIMCompletion:
    """``fim`` through the sync or async client; a :class:`Script` is served by a mock."""
    if isinstance(transport, Script):
        transport = httpx.MockTransport(transport)
    kwargs: dict[str, Any] = {"api_key": API_KEY, "base_url": BASE_URL, "max_retries": 2}
    if mode == "sync":
        with DeepSeekClient(transport=transport, sleep=lambda _: None, **kwargs) as client:
            return client.fim(**params)

    async def nowait(_: float) -> None:
        return None

    async def run() -> FIMCompletion:
        async with AsyncDeepSeekClient(transport=transport, sleep=nowait, **kwargs) as client:
            return await client.fim(**params)

    return asyncio.run(run())


def stream_fim(mode: str, transport: Any, **params: Any) -> list[FIMChunk]:
    kwargs: dict[str, Any] = {"api_key": API_KEY, "base_url": BASE_URL, "transport": transport}
    if mode == "sync":
        with DeepSeekClient(**kwargs) as client:
            return list(client.stream_fim(**params))

    async def run() -> list[FIMChunk]:
        async with AsyncDeepSeekClient(**kwargs) as client:
            return [chunk async for chunk in client.stream_fim(**params)]

    return asyncio.run(run())


# --------------------------------------------------------------------------------------------
# Calls through the emulator


def test_fim_returns_the_middle_from_the_beta_completions_endpoint(mode: str) -> None:
    emulator = Emulator(api_key=API_KEY)
    emulator.script.reply_text("    if a < 2:\n        return a\n")
    reply = run_fim(
        mode,
        emulator.transport(),
        model="deepseek-chat",
        prompt=PROMPT,
        suffix=SUFFIX,
        max_tokens=128,
    )
    assert isinstance(reply, FIMCompletion)
    assert reply.object == "text_completion"
    assert reply.text == "    if a < 2:\n        return a\n"
    assert reply.finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    assert reply.model == "deepseek-flash"  # deepseek-chat is answered as deepseek-flash
    assert reply.response_headers.get("x-ds-trace-id")
    request = emulator.last_request
    assert request is not None and request.path == "/beta/completions"
    assert request.json == {
        "model": "deepseek-chat",
        "prompt": PROMPT,
        "suffix": SUFFIX,
        "max_tokens": 128,
        "stream": False,
    }
    assert emulator.fim_requests == [request]


def test_the_emulators_composed_middle_names_both_sides_of_the_gap() -> None:
    emulator = Emulator()
    with DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport()) as c:
        middle = c.fim(model="deepseek-flash", prompt="x = compute(", suffix="    return x").text
        tail = c.fim(model="deepseek-flash", prompt="Once upon a time").text
    assert "'compute'" in middle and "'return'" in middle and middle.startswith("\n    #")
    assert "'time'" in tail


def test_the_emulators_fim_reply_is_answered_at_its_clocks_time() -> None:
    emulator = Emulator()
    emulator.clock = lambda: 1_795_000_000.0
    with DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport()) as c:
        assert c.fim(model="deepseek-flash", prompt="x = ").created == 1_795_000_000


def test_stream_fim_yields_text_pieces_and_usage_on_the_last_chunk(mode: str) -> None:
    emulator = Emulator(api_key=API_KEY)
    emulator.script.reply_text("    if a < 2:\n        return a\n")
    chunks = stream_fim(
        mode, emulator.transport(), model="deepseek-chat", prompt=PROMPT, suffix=SUFFIX
    )
    assert all(isinstance(chunk, FIMChunk) for chunk in chunks)
    assert len(chunks) > 2
    assert "".join(chunk.text for chunk in chunks) == "    if a < 2:\n        return a\n"
    assert chunks[-1].finish_reason == "stop" and chunks[-1].usage is not None
    assert all(chunk.usage is None for chunk in chunks[:-1])
    request = emulator.last_request
    assert request is not None and request.json is not None
    assert request.json["stream"] is True
    assert request.json["stream_options"] == {"include_usage": True}


def test_fim_logprobs_come_back_in_the_legacy_completions_shape() -> None:
    emulator = Emulator()
    emulator.script.reply_text("return a")
    with DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport()) as c:
        reply = c.fim(model="deepseek-flash", prompt="x", logprobs=2)
        emulator.script.reply_text("return a")
        chunks = list(c.stream_fim(model="deepseek-flash", prompt="x", logprobs=2))
    logprobs = reply.choices[0].logprobs
    assert logprobs is not None and logprobs.tokens == ["return", "a"]
    assert logprobs.text_offset == [1, 8]  # counted from the start of the prompt
    assert [t for c in chunks if c.choices and c.choices[0].logprobs for t in
            c.choices[0].logprobs.tokens or []] == ["return", "a"]  # fmt: skip


def test_echo_puts_the_prompt_in_front_and_max_tokens_cuts_with_length() -> None:
    emulator = Emulator()
    with DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport()) as c:
        emulator.script.reply_text(" and they lived happily ever after")
        echoed = c.fim(model="deepseek-flash", prompt="Once", echo=True)
        emulator.script.reply_text("one two three four five")
        cut = c.fim(model="deepseek-flash", prompt="x", max_tokens=2)
    assert echoed.text == "Once and they lived happily ever after"
    assert (cut.text, cut.finish_reason) == ("one two", "length")


# --------------------------------------------------------------------------------------------
# Refused before sending


def _refuse(mode: str, **params: Any) -> InvalidRequestError:
    script = Script([])
    with pytest.raises(InvalidRequestError) as caught:
        run_fim(mode, script, **params)
    assert script.requests == []  # nothing was sent
    return caught.value


def test_a_thinking_only_model_is_refused_naming_it_and_what_to_use(mode: str) -> None:
    error = _refuse(mode, model="deepseek-reasoner", prompt=PROMPT, suffix=SUFFIX)
    assert isinstance(error, UnsupportedParameterError)
    assert error.param == "model"
    message = str(error)
    assert "deepseek-reasoner" in message and "thinking" in message
    assert "deepseek-chat" in message and "deepseek-flash" in message


@pytest.mark.parametrize("era", list(Era))
def test_every_era_refuses_the_reasoner_and_offers_the_chat_model(era: Era) -> None:
    assert not get_model_profile("deepseek-reasoner", era).supports_fim
    assert get_model_profile("deepseek-chat", era).supports_fim
    assert "deepseek-reasoner" not in fim_model_ids(era)


def test_max_tokens_over_the_documented_4k_is_refused_naming_the_limit(mode: str) -> None:
    error = _refuse(mode, model="deepseek-chat", prompt="x", max_tokens=FIM_MAX_TOKENS + 1)
    assert error.param == "max_tokens"
    assert "4096" in str(error) and "4K" in str(error)


def test_max_tokens_at_the_limit_is_sent() -> None:
    emulator = Emulator()
    with DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport()) as c:
        c.fim(model="deepseek-chat", prompt="x", max_tokens=FIM_MAX_TOKENS)
    assert emulator.last_request is not None and emulator.last_request.json is not None
    assert emulator.last_request.json["max_tokens"] == 4096


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"model": "deepseek-chat"}, "prompt"),
        ({"model": "deepseek-chat", "prompt": "x", "suffix": "y", "echo": True}, "request"),
        ({"model": "deepseek-chat", "prompt": "x", "logprobs": 21}, "logprobs"),
        ({"model": "deepseek-chat", "prompt": "x", "stop": ["s"] * 17}, "stop"),
        ({"model": "deepseek-chat", "prompt": "x", "temperature": 2.5}, "temperature"),
        ({"model": "deepseek-chat", "prompt": "x", "sufix": "typo"}, "sufix"),
    ],
)
def test_bad_fim_parameters_are_refused_naming_the_field(
    params: dict[str, Any], param: str
) -> None:
    error = _refuse("sync", **params)
    assert error.param == param


def test_a_prepared_request_and_keywords_do_not_mix() -> None:
    client = DeepSeekClient(api_key=API_KEY, base_url=BASE_URL)
    with pytest.raises(InvalidRequestError, match="either a FIMRequest"):
        client.fim(FIMRequest(model="deepseek-chat", prompt="x"), prompt="y")


def test_stream_options_are_sent_only_with_a_stream() -> None:
    with DeepSeekClient(api_key=API_KEY, base_url=BASE_URL) as client:
        request = FIMRequest(
            model="deepseek-chat", prompt="x", stream_options={"include_usage": False}
        )
        assert "stream_options" not in client.build_fim_body(request, stream=False)
        streamed = client.build_fim_body(request, stream=True)
    assert streamed["stream_options"] == {"include_usage": False}


# --------------------------------------------------------------------------------------------
# The beta route, retries, broken streams


def test_a_404_at_the_beta_url_names_it_and_fim_completion(mode: str) -> None:
    script = Script([status(404, error_body("Not Found"))])
    with pytest.raises(BetaEndpointNotFoundError) as caught:
        run_fim(mode, script, model="deepseek-chat", prompt="x")
    assert len(script.requests) == 1
    assert caught.value.beta_url == FIM_URL
    assert caught.value.features == ("FIM completion",)
    assert "beta_base_url" in str(caught.value) and API_KEY not in str(caught.value)


def test_a_503_is_retried_and_the_fim_reply_returned(mode: str) -> None:
    script = Script(
        [status(503, error_body("busy", "server_error")), httpx.Response(200, json=fim_body())]
    )
    reply = run_fim(mode, script, model="deepseek-chat", prompt=PROMPT, suffix=SUFFIX)
    assert reply.text.startswith("    if a < 2")
    assert [str(r.url) for r in script.requests] == [FIM_URL, FIM_URL]


def test_a_beta_base_url_option_moves_fim_there() -> None:
    script = Script([httpx.Response(200, json=fim_body())])
    with DeepSeekClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        beta_base_url="https://beta.example/b",
        transport=httpx.MockTransport(script),
    ) as client:
        client.fim(model="deepseek-chat", prompt="x")
    assert str(script.requests[0].url) == "https://beta.example/b/completions"


def test_a_fim_stream_broken_after_text_hands_over_the_partial_middle(mode: str) -> None:
    body = sse(fim_chunk("    if a"), fim_chunk(" < 2:"), done=False)
    script = Script([stream_response(body, error=httpx.ReadError("reset"))])
    with pytest.raises(StreamInterruptedError) as caught:
        stream_fim(mode, httpx.MockTransport(script), model="deepseek-chat", prompt="x")
    assert caught.value.partial_content == "    if a < 2:"
    assert len(script.requests) == 1


def test_a_plain_fim_reply_to_a_stream_request_becomes_its_chunks() -> None:
    script = Script([httpx.Response(200, json=fim_body("middle"))])
    chunks = stream_fim("sync", httpx.MockTransport(script), model="deepseek-chat", prompt="x")
    assert "".join(chunk.text for chunk in chunks) == "middle"
    assert chunks[-1].finish_reason == "stop" and chunks[-1].usage is not None


def test_a_fim_stream_event_that_is_no_chunk_is_named() -> None:
    script = Script([stream_response(sse({"choices": "nope"}))])
    with pytest.raises(Exception, match="not a FIM completion chunk"):
        stream_fim("sync", httpx.MockTransport(script), model="deepseek-chat", prompt="x")


# --------------------------------------------------------------------------------------------
# The emulator's checks (the service's answers)


def _post(emulator: Emulator, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(transport=emulator.transport()) as http:
        return http.post(
            "https://emulator.test/beta/completions",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json=body,
        )


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ({"model": "deepseek-chat", "prompt": "x", "max_tokens": 5000}, 400,
         "Invalid max_tokens value, the valid range of max_tokens is [1, 4096]"),
        ({"model": "deepseek-reasoner", "prompt": "x"}, 400, "does not support FIM"),
        ({"model": "deepseek-chat"}, 422, "missing field `prompt`"),
        ({"model": "deepseek-chat", "prompt": 3}, 422, "prompt: invalid type"),
        ({"model": "deepseek-chat", "prompt": "x", "stream_options": {"include_usage": True}},
         400, "stream_options"),
        ({"model": "deepseek-chat", "prompt": "x", "echo": True, "suffix": "y"}, 400, "echo"),
        ({"model": "nope", "prompt": "x"}, 400, "names are deepseek-flash, deepseek-v4-pro"),
    ],
)  # fmt: skip
def test_the_emulator_refuses_what_the_service_refuses(
    body: dict[str, Any], code: int, text: str
) -> None:
    response = _post(Emulator(), body)
    assert response.status_code == code
    assert text in response.text


def test_the_emulator_answers_a_scripted_error_on_fim() -> None:
    emulator = Emulator()
    emulator.script.reply_error(429, "slow down")
    response = _post(emulator, {"model": "deepseek-chat", "prompt": "x"})
    assert response.status_code == 429
    assert json.loads(response.content)["error"]["message"] == "slow down"


def test_an_error_event_in_a_fim_stream_keeps_the_text_delivered() -> None:
    body = sse(fim_chunk("    if a"), {"error": {"message": "overloaded", "type": "server_error"}})
    script = Script([stream_response(body)])
    with pytest.raises(APIStreamError) as caught:
        stream_fim("sync", httpx.MockTransport(script), model="deepseek-chat", prompt="x")
    assert caught.value.partial_content == "    if a"
    assert "overloaded" in str(caught.value)


def test_a_whole_fim_reply_cut_for_resources_is_retried(mode: str) -> None:
    short = fim_body("", choices=[{"text": "", "index": 0, "finish_reason": RESOURCE}])
    script = Script([httpx.Response(200, json=short), httpx.Response(200, json=fim_body())])
    reply = run_fim(mode, script, model="deepseek-chat", prompt=PROMPT)
    assert reply.finish_reason == "stop" and len(script.requests) == 2
