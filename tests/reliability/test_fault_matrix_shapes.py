"""The fault matrix, continued: the failure shapes the service itself produces (wire notes 1.16)
and the client-side defects of issue 14, through the core and both adapters, sync and async,
plain and streamed.

Until the emulator's own faults for these shapes exist, the shapes come from its script queue
(a reply whose content holds leaked tool-call markup, whitespace-only JSON, a finish reason of
``insufficient_system_resource``) or from a small transport written here (a stream that stalls
mid-reasoning, a plain 200 answer to a stream request, a body of keep-alive lines for ever).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from deepseekapi_core import (
    AsyncDeepSeekClient,
    AuthenticationError,
    DeadlineExceededError,
    DeepSeekClient,
    InvalidRequestError,
    StreamInterruptedError,
)
from deepseekapi_core.http import (
    APIResponseValidationError,
    EmptyJSONReplyError,
    InsufficientSystemResourceError,
    InvalidAPIKeyError,
)
from deepseekapi_core.testing import Emulator
from deepseekapi_core.tools._structured import parse_json_reply

from .harness import (
    API_KEY,
    DELIVERIES,
    MODES,
    TARGETS,
    Setup,
    SleepRecorder,
    expected_reply,
    make_core,
    make_langchain,
    make_llama_index,
    run,
)

PROMPT = "Hello reliability"
FULL = expected_reply(PROMPT)
BAR = "\uff5c"
PREAMBLE = "I will check the weather.\n\n"
# The emulator streams its reply word by word: role chunk, "[emulated ", "<model>] ", ...
AFTER_TWO_PIECES = " ".join(FULL.split(" ")[:2]) + " "

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}
ARGS = {"city": "Paris", "days": 3}
CALL = {"name": "get_weather", "arguments": ARGS}
LEAKS = {
    "dsml": (
        f"<{BAR}DSML{BAR}tool_calls>\n"
        f'<{BAR}DSML{BAR}invoke name="get_weather">\n'
        f'<{BAR}DSML{BAR}parameter name="city" string="true">Paris</{BAR}DSML{BAR}parameter>\n'
        f'<{BAR}DSML{BAR}parameter name="days" string="false">3</{BAR}DSML{BAR}parameter>\n'
        f"</{BAR}DSML{BAR}invoke>\n"
        f"</{BAR}DSML{BAR}tool_calls>"
    ),
    "tool_call_tag": f"<tool_call>\n{json.dumps(CALL)}\n</tool_call>",
    "fenced_json": f"```json\n{json.dumps(CALL, indent=2)}\n```",
    "bare_json": json.dumps(CALL),
}


# --------------------------------------------------------------------------------------------
# Driving a request with a tool on offer


@dataclass
class ToolOutcome:
    """What the caller saw of a reply to a request that offered a tool."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    recovered: str | None = None
    """The marker the layer shows: the core's field, LangChain's response_metadata,
    LlamaIndex's additional_kwargs."""
    text: str = ""
    error: BaseException | None = None


def run_with_tool(target: str, mode: str, delivery: str, setup: Setup) -> ToolOutcome:
    outcome = ToolOutcome()
    try:
        if mode == "sync":
            _tool_sync(target, delivery, setup, outcome)
        else:
            asyncio.run(_tool_async(target, delivery, setup, outcome))
    except Exception as error:  # the scenario's outcome, inspected by the test
        outcome.error = error
    return outcome


def _core_params() -> dict[str, Any]:
    return {
        "model": "deepseek-chat",
        "messages": [{"role": "user", "content": PROMPT}],
        "tools": [WEATHER_TOOL],
    }


def _fold_core_chunks(chunks: list[Any], outcome: ToolOutcome) -> None:
    from deepseekapi_core.wire._stream import StreamAccumulator

    accumulator = StreamAccumulator()
    for chunk in chunks:
        accumulator.add(chunk)
        outcome.recovered = chunk.tool_calls_recovered or outcome.recovered
    outcome.text = accumulator.text
    outcome.calls = [
        (call.function.name, json.loads(call.function.arguments))
        for call in accumulator.completed_tool_calls()
    ]


def _from_completion(reply: Any, outcome: ToolOutcome) -> None:
    outcome.text = reply.message.content or ""
    outcome.recovered = reply.tool_calls_recovered
    outcome.calls = [
        (call.function.name, json.loads(call.function.arguments))
        for call in reply.message.tool_calls or ()
    ]


def _from_langchain(message: Any, outcome: ToolOutcome) -> None:
    outcome.text = message.text if isinstance(message.text, str) else message.text()
    outcome.recovered = message.response_metadata.get("tool_calls_recovered")
    outcome.calls = [(call["name"], call["args"]) for call in message.tool_calls]


def _from_llama_index(llm: Any, response: Any, outcome: ToolOutcome) -> None:
    outcome.text = response.message.content or ""
    outcome.recovered = response.additional_kwargs.get("tool_calls_recovered")
    outcome.calls = [
        (call.tool_name, call.tool_kwargs)
        for call in llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    ]


def _llama_tool() -> Any:
    from llama_index.core.tools import FunctionTool

    def get_weather(city: str, days: int = 1) -> str:
        """Get the weather for a city."""
        return f"Sunny in {city} for {days} days"

    return FunctionTool.from_defaults(fn=get_weather)


def _tool_sync(target: str, delivery: str, setup: Setup, outcome: ToolOutcome) -> None:
    if target == "core":
        with make_core(setup, "sync", SleepRecorder()) as client:
            if delivery == "plain":
                _from_completion(client.chat(**_core_params()), outcome)
            else:
                _fold_core_chunks(list(client.stream_chat(**_core_params())), outcome)
    elif target == "langchain":
        llm = make_langchain(setup, None).bind_tools([WEATHER_TOOL])
        if delivery == "plain":
            _from_langchain(llm.invoke(PROMPT), outcome)
        else:
            merged = None
            for piece in llm.stream(PROMPT):
                merged = piece if merged is None else merged + piece
            _from_langchain(merged, outcome)
    else:
        llm = make_llama_index(setup, SleepRecorder())
        if delivery == "plain":
            response = llm.chat_with_tools([_llama_tool()], user_msg=PROMPT)
        else:
            *_, response = llm.stream_chat_with_tools([_llama_tool()], user_msg=PROMPT)
        _from_llama_index(llm, response, outcome)


async def _tool_async(target: str, delivery: str, setup: Setup, outcome: ToolOutcome) -> None:
    if target == "core":
        async with make_core(setup, "async", SleepRecorder()) as client:
            if delivery == "plain":
                _from_completion(await client.chat(**_core_params()), outcome)
            else:
                chunks = [chunk async for chunk in client.stream_chat(**_core_params())]
                _fold_core_chunks(chunks, outcome)
    elif target == "langchain":
        llm = make_langchain(setup, None).bind_tools([WEATHER_TOOL])
        if delivery == "plain":
            _from_langchain(await llm.ainvoke(PROMPT), outcome)
        else:
            merged = None
            async for piece in llm.astream(PROMPT):
                merged = piece if merged is None else merged + piece
            _from_langchain(merged, outcome)
    else:
        llm = make_llama_index(setup, SleepRecorder())
        if delivery == "plain":
            response = await llm.achat_with_tools([_llama_tool()], user_msg=PROMPT)
        else:
            stream = await llm.astream_chat_with_tools([_llama_tool()], user_msg=PROMPT)
            response = [item async for item in stream][-1]
        _from_llama_index(llm, response, outcome)


def _matrix(deliveries: tuple[str, ...] = DELIVERIES) -> list[Any]:
    return [
        pytest.param(target, mode, delivery, id=f"{target}-{mode}-{delivery}")
        for target in TARGETS
        for mode in MODES
        for delivery in deliveries
    ]


# --------------------------------------------------------------------------------------------
# Tool calls leaked into content


def _leaking_emulator(shape: str) -> Emulator:
    """The emulator's own fault: the scripted call leaks into ``content`` in ``shape``."""
    emulator = Emulator()
    emulator.script.reply_tool_call("get_weather", ARGS)
    emulator.faults.leaked_tool_call(shape, preamble=PREAMBLE if shape == "dsml" else "")
    return emulator


@pytest.mark.parametrize("shape", list(LEAKS))
@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix())
def test_leaked_tool_call_is_recovered(shape: str, target: str, mode: str, delivery: str) -> None:
    emulator = _leaking_emulator(shape)
    outcome = run_with_tool(target, mode, delivery, Setup(transport=emulator.transport()))
    assert outcome.error is None, repr(outcome.error)
    assert outcome.calls == [("get_weather", ARGS)]
    assert outcome.recovered == shape
    assert emulator.request_count == 1
    if delivery == "stream":
        # Streamed text cannot be taken back: the caller saw it, and the calls came last.
        assert "get_weather" in outcome.text
    else:
        assert outcome.text == (PREAMBLE.strip() if shape == "dsml" else "")


@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix())
def test_leaked_tool_call_with_recovery_switched_off_stays_text(
    target: str, mode: str, delivery: str
) -> None:
    emulator = _leaking_emulator("dsml")
    setup = Setup(transport=emulator.transport(), options={"recover_tool_calls": False})
    outcome = run_with_tool(target, mode, delivery, setup)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.calls == []
    assert outcome.recovered is None
    assert outcome.text.startswith(PREAMBLE)
    assert f'<{BAR}DSML{BAR}invoke name="get_weather">' in outcome.text


@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix())
def test_a_leak_naming_a_tool_not_offered_stays_text(target: str, mode: str, delivery: str) -> None:
    emulator = Emulator()
    leak = LEAKS["tool_call_tag"].replace("get_weather", "delete_everything")
    emulator.script.reply_text(leak)
    outcome = run_with_tool(target, mode, delivery, Setup(transport=emulator.transport()))
    assert outcome.error is None, repr(outcome.error)
    assert outcome.calls == []
    assert outcome.text == leak


# --------------------------------------------------------------------------------------------
# finish_reason "insufficient_system_resource"


@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix())
def test_insufficient_resource_before_anything_is_retried(
    target: str, mode: str, delivery: str
) -> None:
    emulator = Emulator()
    emulator.faults.insufficient_system_resource(delivered=0)
    outcome = run(target, mode, delivery, Setup(transport=emulator.transport()), PROMPT)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == FULL
    assert emulator.request_count == 2
    assert len(outcome.waits) == 1


@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix())
def test_insufficient_resource_after_a_partial_reply_hands_it_over(
    target: str, mode: str, delivery: str
) -> None:
    emulator = Emulator()
    emulator.faults.insufficient_system_resource(delivered=2)
    outcome = run(target, mode, delivery, Setup(transport=emulator.transport()), PROMPT)
    error = outcome.error
    assert isinstance(error, InsufficientSystemResourceError), repr(error)
    assert error.partial_content == AFTER_TWO_PIECES
    assert "mid-reply" in str(error)
    assert emulator.request_count == 1
    assert outcome.waits == []
    if delivery == "stream":
        assert "".join(outcome.tokens) == AFTER_TWO_PIECES


# --------------------------------------------------------------------------------------------
# Whitespace-only JSON-mode replies, through each layer's structured output in JSON mode


def _json_mode(target: str, mode: str, setup: Setup) -> Any:
    prompt = "Reply in json: the city and its country"
    if target == "core":

        async def core_async() -> Any:
            async with make_core(setup, "async", SleepRecorder()) as client:
                reply = await client.chat(
                    model="deepseek-chat",
                    messages=[{"role": "user", "content": prompt}],
                    response_format={"type": "json_object"},
                )
                return parse_json_reply(reply.message.content, reply.finish_reason)

        if mode == "async":
            return asyncio.run(core_async())
        with make_core(setup, "sync", SleepRecorder()) as client:
            reply = client.chat(
                model="deepseek-chat",
                messages=[{"role": "user", "content": prompt}],
                response_format={"type": "json_object"},
            )
            return parse_json_reply(reply.message.content, reply.finish_reason)
    if target == "langchain":
        structured = make_langchain(setup, None).with_structured_output(
            {"title": "Place", "type": "object", "properties": {"city": {"type": "string"}}},
            method="json_mode",
        )
        return (
            structured.invoke(prompt) if mode == "sync" else asyncio.run(structured.ainvoke(prompt))
        )
    # LlamaIndex has no JSON-mode structured output: JSON mode is the response_format option,
    # and the core's parse_json_reply reads the reply (the finish reason is in
    # additional_kwargs).
    from llama_index.core.llms import ChatMessage

    llm = make_llama_index(setup, SleepRecorder())
    messages = [ChatMessage(role="user", content=prompt)]
    json_mode = {"response_format": {"type": "json_object"}}
    if mode == "sync":
        response = llm.chat(messages, **json_mode)
    else:
        response = asyncio.run(llm.achat(messages, **json_mode))
    return parse_json_reply(response.message.content, response.additional_kwargs["finish_reason"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_whitespace_only_json_reply_says_what_happened(target: str, mode: str) -> None:
    emulator = Emulator()
    emulator.faults.json_whitespace()
    with pytest.raises(EmptyJSONReplyError, match="whitespace and no JSON") as caught:
        _json_mode(target, mode, Setup(transport=emulator.transport()))
    assert caught.value.finish_reason == "stop"
    assert emulator.request_count == 1
    assert emulator.chat_requests[0].json["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_json_mode_reply_parses(target: str, mode: str) -> None:
    emulator = Emulator()
    emulator.script.reply_json({"city": "Paris"})
    assert _json_mode(target, mode, Setup(transport=emulator.transport())) == {"city": "Paris"}


# --------------------------------------------------------------------------------------------
# A stream that stalls mid-reasoning


class StallAfter(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers with a thinking-mode stream that delivers some reasoning and then goes silent
    (no finish reason, no ``[DONE]``, the connection open): the read timeout then fires, as
    ``httpx.ReadTimeout`` from the body, which is what httpx raises after the timeout."""

    def __init__(self, reasoning: list[str]) -> None:
        self.reasoning = reasoning
        self.count = 0

    def _events(self) -> list[bytes]:
        base = {"id": "stall", "object": "chat.completion.chunk", "created": 1, "model": "m"}

        def event(delta: dict[str, Any]) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            return b"data: " + json.dumps({**base, "choices": [choice]}).encode() + b"\n\n"

        first = event({"role": "assistant", "content": None, "reasoning_content": ""})
        return [first, *(event({"reasoning_content": piece}) for piece in self.reasoning)]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        events = self._events()

        class Body(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                yield from events
                raise httpx.ReadTimeout("timed out", request=request)

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        events = self._events()

        class Body(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for piece in events:
                    yield piece
                raise httpx.ReadTimeout("timed out", request=request)

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body())


@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix(("stream",)))
def test_a_stall_mid_reasoning_hands_over_the_reasoning(
    target: str, mode: str, delivery: str
) -> None:
    transport = StallAfter(["Let me think ", "about the weather"])
    setup = Setup(transport=transport, base_url="http://stall.invalid/v1", timeout=0.05)
    outcome = run(target, mode, delivery, setup, PROMPT)
    error = outcome.error
    assert isinstance(error, StreamInterruptedError), repr(error)
    assert error.partial_reasoning == "Let me think about the weather"
    assert error.partial_content == ""
    assert "not retried" in str(error)
    assert transport.count == 1
    assert outcome.waits == []


def _stream_reasoner(target: str, mode: str, transport: Any) -> tuple[str, BaseException | None]:
    """Stream from ``deepseek-reasoner`` through ``target``; the reasoning seen, the error."""
    seen: list[str] = []
    options: dict[str, Any] = {"api_key": API_KEY, "transport": transport, "timeout": 0.05}

    def pieces_sync() -> Iterator[str]:
        if target == "core":
            with DeepSeekClient(**options) as client:
                for chunk in client.stream_chat(
                    model="deepseek-reasoner", messages=[{"role": "user", "content": PROMPT}]
                ):
                    yield (chunk.delta.reasoning_content or "") if chunk.delta else ""
        elif target == "langchain":
            from langchain_deepseekapi import ChatDeepSeekAPI

            for piece in ChatDeepSeekAPI(model="deepseek-reasoner", **options).stream(PROMPT):
                yield piece.additional_kwargs.get("reasoning_content", "")
        else:
            from llama_index.core.llms import ChatMessage

            from llama_index_deepseekapi import DeepSeekAPI

            llm = DeepSeekAPI("deepseek-reasoner", **options)
            for response in llm.stream_chat([ChatMessage(role="user", content=PROMPT)]):
                yield response.additional_kwargs.get("thinking_delta", "")

    async def pieces_async() -> None:
        if target == "core":
            async with AsyncDeepSeekClient(**options) as client:
                async for chunk in client.stream_chat(
                    model="deepseek-reasoner", messages=[{"role": "user", "content": PROMPT}]
                ):
                    seen.append((chunk.delta.reasoning_content or "") if chunk.delta else "")
        elif target == "langchain":
            from langchain_deepseekapi import ChatDeepSeekAPI

            async for piece in ChatDeepSeekAPI(model="deepseek-reasoner", **options).astream(
                PROMPT
            ):
                seen.append(piece.additional_kwargs.get("reasoning_content", ""))
        else:
            from llama_index.core.llms import ChatMessage

            from llama_index_deepseekapi import DeepSeekAPI

            llm = DeepSeekAPI("deepseek-reasoner", **options)
            stream = await llm.astream_chat([ChatMessage(role="user", content=PROMPT)])
            async for response in stream:
                seen.append(response.additional_kwargs.get("thinking_delta", ""))

    try:
        if mode == "sync":
            for piece in pieces_sync():
                seen.append(piece)
        else:
            asyncio.run(pieces_async())
    except Exception as error:  # the scenario's outcome, inspected by the test
        return "".join(seen), error
    return "".join(seen), None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_the_emulators_stall_mid_reasoning_hands_over_the_reasoning(target: str, mode: str) -> None:
    """The emulator's own stall: the role chunk and one reasoning piece, then silence."""
    emulator = Emulator(api_key=API_KEY)
    emulator.faults.stall_stream(after_events=2, seconds=5.0)
    seen, error = _stream_reasoner(target, mode, emulator.transport())
    assert isinstance(error, StreamInterruptedError), repr(error)
    assert error.partial_reasoning
    assert error.partial_reasoning == seen
    assert error.partial_content == ""
    assert emulator.request_count == 1


# --------------------------------------------------------------------------------------------
# A stream request answered with a plain 200


class PlainAnswer(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with the same plain 200 body, counting them."""

    def __init__(self, body: bytes, content_type: str) -> None:
        self.body = body
        self.content_type = content_type
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return httpx.Response(200, headers={"content-type": self.content_type}, content=self.body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


def _plain_reply() -> bytes:
    return json.dumps(
        {
            "id": "plain",
            "object": "chat.completion",
            "created": 1,
            "model": "deepseek-chat",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": FULL},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        }
    ).encode()


PLAIN_BODIES: dict[str, tuple[bytes, str, type[BaseException] | None, str]] = {
    "json-reply": (_plain_reply(), "application/json", None, ""),
    "json-error": (
        b'{"error":{"message":"Authentication Fails, Your api key: ****-key is invalid",'
        b'"type":"authentication_error","param":null,"code":"invalid_request_error"}}',
        "application/json",
        AuthenticationError,
        "Authentication Fails",
    ),
    "html-page": (
        b"<html><body><h1>Site under maintenance</h1></body></html>",
        "text/html",
        APIResponseValidationError,
        "Site under maintenance",
    ),
}


@pytest.mark.parametrize("shape", list(PLAIN_BODIES))
@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix(("stream",)))
def test_a_plain_200_to_a_stream_request(shape: str, target: str, mode: str, delivery: str) -> None:
    body, content_type, error_class, words = PLAIN_BODIES[shape]
    transport = PlainAnswer(body, content_type)
    setup = Setup(transport=transport, base_url="http://plain.invalid/v1")
    outcome = run(target, mode, delivery, setup, PROMPT)
    assert transport.count == 1, "a plain 200 is never re-sent"
    assert outcome.waits == []
    if error_class is None:
        assert outcome.error is None, repr(outcome.error)
        assert outcome.text == FULL
        return
    assert isinstance(outcome.error, error_class), repr(outcome.error)
    assert words in str(outcome.error)
    assert outcome.tokens == []


# --------------------------------------------------------------------------------------------
# Keep-alive for ever, and the overall deadline


class KeepAliveForever(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A server under load that never starts: blank lines (plain) or ``: keep-alive`` comments
    (streams) every 5 ms, each well within the read timeout. (Bounded at 2 s per attempt, then
    the connection drops, so that a client without a deadline fails the test, not hangs it.)"""

    LINES = 400

    def __init__(self) -> None:
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        line = b": keep-alive\n\n" if b'"stream":true' in request.content else b"\n"

        class Body(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                for _ in range(KeepAliveForever.LINES):
                    time.sleep(0.005)
                    yield line
                raise httpx.RemoteProtocolError("dropped", request=request)

        return httpx.Response(200, stream=Body())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        line = b": keep-alive\n\n" if b'"stream":true' in request.content else b"\n"

        class Body(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for _ in range(KeepAliveForever.LINES):
                    await asyncio.sleep(0.005)
                    yield line
                raise httpx.RemoteProtocolError("dropped", request=request)

        return httpx.Response(200, stream=Body())


@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix())
def test_keep_alive_for_ever_ends_at_the_deadline(target: str, mode: str, delivery: str) -> None:
    transport = KeepAliveForever()
    setup = Setup(
        transport=transport,
        base_url="http://busy.invalid/v1",
        timeout=1.0,
        options={"deadline": 0.2},
    )
    outcome = run(target, mode, delivery, setup, PROMPT)
    assert isinstance(outcome.error, DeadlineExceededError), repr(outcome.error)
    assert "deadline of 0.2 s passed" in str(outcome.error)
    assert transport.count == 1
    assert outcome.waits == []


# --------------------------------------------------------------------------------------------
# Malformed keys and unserialisable extra_body, in every layer


BAD_KEYS = {
    "embedded-newline": ("sk-rel-5be1c0d2\ne9f84a7b93c6", "a line break"),
    "nul-byte": ("sk-rel-5be1c0d2\x00e9f84a7b93c6", "a NUL byte"),
    "non-ascii": ("sk-rel-5be1c0d2\u00e9e9f84a7b93c6", "a non-ASCII character"),
}


def _build(target: str, mode: str, setup: Setup) -> Any:
    if target == "core":
        return make_core(setup, mode, SleepRecorder())
    if target == "langchain":
        return make_langchain(setup, None)
    return make_llama_index(setup, SleepRecorder())


@pytest.mark.parametrize("bad", list(BAD_KEYS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_a_malformed_key_fails_at_construction_naming_no_key(
    target: str, mode: str, bad: str
) -> None:
    key, problem = BAD_KEYS[bad]
    emulator = Emulator()
    setup = Setup(transport=emulator.transport(), options={"api_key": key})
    with pytest.raises(InvalidAPIKeyError) as caught:
        _build(target, mode, setup)
    text = f"{caught.value} {caught.value!r}"
    assert problem in text
    assert "5be1c0d2" not in text and "e9f84a7b" not in text
    assert emulator.request_count == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_a_key_with_a_trailing_newline_works(target: str, mode: str) -> None:
    emulator = Emulator(api_key=API_KEY)
    setup = Setup(transport=emulator.transport(), options={"api_key": API_KEY + "\r\n"})
    outcome = run(target, mode, "plain", setup, PROMPT)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == FULL


def _core_call_with(setup: Setup, mode: str, delivery: str, **params: Any) -> BaseException | None:
    """One core call with per-call parameters (the harness's calls take none)."""
    messages = [{"role": "user", "content": PROMPT}]

    async def run_async() -> None:
        async with make_core(setup, "async", SleepRecorder()) as client:
            if delivery == "plain":
                await client.chat(model="deepseek-chat", messages=messages, **params)
            else:
                async for _ in client.stream_chat(
                    model="deepseek-chat", messages=messages, **params
                ):
                    pass

    try:
        if mode == "async":
            asyncio.run(run_async())
        else:
            with make_core(setup, "sync", SleepRecorder()) as client:
                if delivery == "plain":
                    client.chat(model="deepseek-chat", messages=messages, **params)
                else:
                    for _ in client.stream_chat(model="deepseek-chat", messages=messages, **params):
                        pass
    except Exception as error:  # the scenario's outcome, inspected by the test
        return error
    return None


@pytest.mark.parametrize("value", ["object", "set"])
@pytest.mark.parametrize(("target", "mode", "delivery"), _matrix())
def test_extra_body_json_cannot_carry_is_named(
    value: str, target: str, mode: str, delivery: str
) -> None:
    emulator = Emulator()
    extra_body = {"opaque": object() if value == "object" else {"a", "b"}}
    setup = Setup(transport=emulator.transport())
    if target == "core":
        error = _core_call_with(setup, mode, delivery, extra_body=extra_body)
    else:
        if target == "langchain":
            setup.options["extra_body"] = extra_body
        else:
            setup.options["additional_kwargs"] = {"extra_body": extra_body}
        error = run(target, mode, delivery, setup, PROMPT).error
    assert isinstance(error, InvalidRequestError), repr(error)
    assert "extra_body.opaque" in str(error)
    assert emulator.request_count == 0
