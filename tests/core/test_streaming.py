"""Streams: cut mid-way, cut before any content, ended early, errors inside, usage placement."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from deepseekapi_core import (
    APIConnectionError,
    APITimeoutError,
    AsyncDeepSeekClient,
    BadRequestError,
    ChatCompletionChunk,
    DeepSeekClient,
    StreamInterruptedError,
)
from deepseekapi_core.http import (
    APIResponseValidationError,
    APIStreamError,
    InsufficientSystemResourceError,
)
from deepseekapi_core.wire._stream import StreamAccumulator

from .helpers import (
    API_KEY,
    BASE_URL,
    HELLO,
    USAGE,
    Driver,
    PiecesStream,
    Script,
    chunk,
    event_pieces,
    reasoning_of,
    sse,
    status,
    stream_response,
    text_of,
)

ANSWER = sse(
    chunk(role="assistant", content=""),
    chunk(content="Hel"),
    chunk(content="lo!"),
    chunk(content="", finish_reason="stop", usage=USAGE),
)


def reset() -> httpx.ReadError:
    return httpx.ReadError("Connection reset by peer")


def test_plain_stream(mode: str) -> None:
    script = Script([stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert text_of(outcome.chunks) == "Hello!"
    assert len(outcome.chunks) == 4
    assert outcome.chunks[-1].usage.total_tokens == 19
    body = script.bodies[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert script.requests[0].headers["accept"] == "application/json"


def test_include_usage_can_be_turned_off(mode: str) -> None:
    script = Script([stream_response(ANSWER)])
    Driver(mode, script).stream(
        model="deepseek-chat", messages=HELLO, stream_options={"include_usage": False}
    )
    assert script.bodies[0]["stream_options"] == {"include_usage": False}


def test_cut_mid_way_after_content(mode: str) -> None:
    body = sse(
        chunk(role="assistant", content=None, reasoning=""),
        chunk(content=None, reasoning="Think"),
        chunk(content=None, reasoning="ing."),
        chunk(content="Hel", reasoning=None),
        chunk(content="lo", reasoning=None),
        done=False,
    )
    script = Script([stream_response(body, error=reset()), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-reasoner", messages=HELLO)

    error = outcome.error
    assert type(error) is StreamInterruptedError
    assert error.partial_content == "Hello"
    assert error.partial_reasoning == "Thinking."
    assert error.partial_tool_calls == []
    assert "not retried" in str(error)
    assert isinstance(error.__cause__, httpx.ReadError)
    # No replay: one request, no wait, each chunk seen exactly once.
    assert len(script.requests) == 1 and driver.waits == []
    assert len(outcome.chunks) == 5
    assert text_of(outcome.chunks) == "Hello"
    assert reasoning_of(outcome.chunks) == "Thinking."


def test_cut_mid_way_inside_a_tool_call(mode: str) -> None:
    body = sse(
        chunk(role="assistant", content=""),
        chunk(
            tool_calls=[
                {
                    "index": 0,
                    "id": "call_00_abc",
                    "type": "function",
                    "function": {"name": "weather", "arguments": ""},
                }
            ]
        ),
        chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"city": "Ber'}}]),
        done=False,
    )
    script = Script([stream_response(body, error=reset())])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert type(outcome.error) is StreamInterruptedError
    assert outcome.error.partial_tool_calls == [
        {"id": "call_00_abc", "name": "weather", "arguments": '{"city": "Ber'}
    ]
    assert len(script.requests) == 1


def test_cut_before_any_content_is_retried(mode: str) -> None:
    cut = sse(chunk(role="assistant", content=""), done=False)
    script = Script([stream_response(cut, error=reset()), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert len(script.requests) == 2
    assert len(driver.waits) == 1
    assert text_of(outcome.chunks) == "Hello!"  # the answer seen once
    assert [c.delta.content for c in outcome.chunks] == ["", "", "Hel", "lo!", ""]


def test_cut_before_any_content_thinking_first_delta(mode: str) -> None:
    """The thinking first delta (content null, reasoning "") shows nothing: retry is safe."""
    cut = sse(chunk(role="assistant", content=None, reasoning=""), done=False)
    script = Script([stream_response(cut, error=reset()), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-reasoner", messages=HELLO)
    assert outcome.error is None
    assert len(script.requests) == 2
    first = outcome.chunks[0]
    assert first.delta.content is None and first.delta.reasoning_content == ""
    assert text_of(outcome.chunks) == "Hello!"


def test_cut_before_content_every_time(mode: str) -> None:
    script = Script([stream_response(b"", error=reset()) for _ in range(3)])
    driver = Driver(mode, script, max_retries=2)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert type(outcome.error) is APIConnectionError
    assert len(script.requests) == 3 and len(driver.waits) == 2
    assert outcome.chunks == []


def test_read_timeout_mid_stream(mode: str) -> None:
    body = sse(chunk(content="partial"), done=False)
    script = Script([stream_response(body, error=httpx.ReadTimeout("read timed out"))])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert type(outcome.error) is StreamInterruptedError
    assert outcome.error.partial_content == "partial"
    assert isinstance(outcome.error.__cause__, httpx.ReadTimeout)


def test_read_timeout_before_content(mode: str) -> None:
    script = Script([stream_response(b"", error=httpx.ReadTimeout("slow")) for _ in range(3)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert type(outcome.error) is APITimeoutError
    assert len(script.requests) == 3


def test_stream_ends_without_done_and_without_finish_reason(mode: str) -> None:
    body = sse(chunk(role="assistant", content=""), chunk(content="Half an"), done=False)
    script = Script([stream_response(body), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert type(outcome.error) is StreamInterruptedError
    assert outcome.error.partial_content == "Half an"
    assert "neither a finish reason nor [DONE]" in str(outcome.error)
    assert len(script.requests) == 1


def test_stream_ends_early_before_content_is_retried(mode: str) -> None:
    body = sse(chunk(role="assistant", content=""), done=False)
    script = Script([stream_response(body), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert len(script.requests) == 2
    assert text_of(outcome.chunks) == "Hello!"


def test_stream_with_finish_reason_but_no_done_is_complete(mode: str) -> None:
    body = sse(chunk(content="Done"), chunk(content="", finish_reason="length"), done=False)
    script = Script([stream_response(body)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert outcome.chunks[-1].finish_reason == "length"


def test_insufficient_system_resource_finish_reason(mode: str) -> None:
    body = sse(chunk(content="So"), chunk(content="", finish_reason="insufficient_system_resource"))
    outcome = Driver(mode, Script([stream_response(body)])).stream(
        model="deepseek-chat", messages=HELLO
    )
    # Something was delivered: the chunks (the finishing one too) and then a clear error
    # carrying the partial reply (tests/core/test_robustness.py covers the other cases).
    assert isinstance(outcome.error, InsufficientSystemResourceError)
    assert outcome.error.partial_content == "So"
    assert outcome.chunks[-1].finish_reason == "insufficient_system_resource"


def test_error_object_inside_the_stream(mode: str) -> None:
    error = {
        "message": "Server overloaded mid-stream",
        "type": "server_error",
        "code": "overloaded",
    }
    body = sse(chunk(role="assistant", content=""), chunk(content="Partial "), {"error": error})
    script = Script([stream_response(body), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    raised = outcome.error
    assert type(raised) is APIStreamError
    assert isinstance(raised, StreamInterruptedError)
    assert raised.partial_content == "Partial "
    assert raised.type == "server_error" and raised.code == "overloaded"
    assert raised.body == error
    assert "Server overloaded mid-stream" in str(raised)
    assert len(script.requests) == 1 and driver.waits == []  # accepted stream: not retried
    assert text_of(outcome.chunks) == "Partial "


def test_error_string_inside_the_stream(mode: str) -> None:
    body = sse({"error": "overloaded"})
    outcome = Driver(mode, Script([stream_response(body)])).stream(
        model="deepseek-chat", messages=HELLO
    )
    assert type(outcome.error) is APIStreamError
    assert outcome.error.partial_content == ""
    assert "overloaded" in str(outcome.error)


def test_usage_on_finish_chunk(mode: str) -> None:
    outcome = Driver(mode, Script([stream_response(ANSWER)])).stream(
        model="deepseek-chat", messages=HELLO
    )
    accumulator = StreamAccumulator()
    for item in outcome.chunks:
        accumulator.add(item)
    assert accumulator.usage.prompt_tokens == 11
    assert accumulator.finish_reason == "stop"
    assert outcome.chunks[-1].finish_reason == "stop" and outcome.chunks[-1].usage is not None


def test_usage_on_final_empty_choices_chunk(mode: str) -> None:
    """The documented shape: a last chunk with ``choices: []`` and the usage."""
    usage = dict(USAGE, completion_tokens_details={"reasoning_tokens": 5})
    body = sse(
        chunk(role="assistant", content=""),
        chunk(content="Hi"),
        chunk(content="", finish_reason="stop"),
        chunk(choices=False, usage=usage),
    )
    outcome = Driver(mode, Script([stream_response(body)])).stream(
        model="deepseek-chat", messages=HELLO
    )
    assert outcome.error is None
    last = outcome.chunks[-1]
    assert last.choices == [] and last.delta is None and last.finish_reason is None
    accumulator = StreamAccumulator()
    for item in outcome.chunks:
        accumulator.add(item)
    assert accumulator.usage.reasoning_tokens == 5
    assert accumulator.finish_reason == "stop"
    folded = accumulator.to_completion()
    assert folded.usage.total_tokens == 19 and folded.message.content == "Hi"


def test_reasoning_stream_shape(mode: str) -> None:
    """First delta content null + reasoning "", reasoning pieces, then answer pieces."""
    body = sse(
        chunk(role="assistant", content=None, reasoning=""),
        chunk(content=None, reasoning="Let me think"),
        chunk(content="42", reasoning=None),
        chunk(content="", reasoning=None, finish_reason="stop", usage=USAGE),
    )
    outcome = Driver(mode, Script([stream_response(body)])).stream(
        model="deepseek-reasoner", messages=HELLO
    )
    accumulator = StreamAccumulator()
    visible = [accumulator.add(item) for item in outcome.chunks]
    assert visible == [False, True, True, False]
    folded = accumulator.to_completion()
    assert folded.message.reasoning_content == "Let me think"
    assert folded.message.content == "42"


def test_parallel_streamed_tool_calls(mode: str) -> None:
    def call(index: int, name: str) -> dict:
        return {
            "index": index,
            "id": f"call_0{index}_x",
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }

    body = sse(
        chunk(role="assistant", content=""),
        chunk(tool_calls=[call(0, "get_player_name")]),
        chunk(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}]),
        chunk(tool_calls=[call(1, "roll_dice")]),
        chunk(tool_calls=[{"index": 1, "function": {"arguments": '{"sides"'}}]),
        chunk(tool_calls=[{"index": 1, "function": {"arguments": ": 6}"}}]),
        chunk(content="", finish_reason="tool_calls", usage=USAGE),
    )
    outcome = Driver(mode, Script([stream_response(body, pieces=False)])).stream(
        model="deepseek-chat", messages=HELLO
    )
    accumulator = StreamAccumulator()
    for item in outcome.chunks:
        accumulator.add(item)
    calls = accumulator.completed_tool_calls()
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_00_x", "get_player_name", "{}"),
        ("call_01_x", "roll_dice", '{"sides": 6}'),
    ]
    assert json.loads(calls[1].function.arguments) == {"sides": 6}
    assert accumulator.to_completion().finish_reason == "tool_calls"


def test_keepalives_and_events_after_done(mode: str) -> None:
    body = (
        b": keep-alive\n\n\n"
        + sse(chunk(content="A"), chunk(content="", finish_reason="stop"))
        + b'data: {"choices":[{"index":0,"delta":{"content":"AFTER"}}]}\n\n'
    )
    outcome = Driver(mode, Script([stream_response(body, pieces=False)])).stream(
        model="deepseek-chat", messages=HELLO
    )
    assert outcome.error is None
    assert text_of(outcome.chunks) == "A"


def test_garbage_event_is_a_validation_error(mode: str) -> None:
    body = sse("this is not json", done=True)
    script = Script([stream_response(body)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert type(outcome.error) is APIResponseValidationError
    assert "this is not json" in str(outcome.error)
    assert len(script.requests) == 1


def test_status_error_before_the_stream_is_retried(mode: str) -> None:
    script = Script([status(503), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None and text_of(outcome.chunks) == "Hello!"
    assert len(script.requests) == 2 and len(driver.waits) == 1


def test_status_400_on_stream_is_raised(mode: str) -> None:
    script = Script([status(400, b'{"error":{"message":"Model Not Exist"}}')])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert type(outcome.error) is BadRequestError
    assert "Model Not Exist" in str(outcome.error)
    assert outcome.chunks == []


def test_nothing_is_sent_until_iteration() -> None:
    script = Script([stream_response(ANSWER)])
    client = DeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, transport=httpx.MockTransport(script)
    )
    iterator = client.stream_chat(model="deepseek-chat", messages=HELLO)
    assert script.requests == []
    assert text_of(list(iterator)) == "Hello!"
    assert len(script.requests) == 1


def test_stopping_early_closes_the_response() -> None:
    stream = PiecesStream(event_pieces(ANSWER))
    client = DeepSeekClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=stream)),
    )
    iterator = client.stream_chat(model="deepseek-chat", messages=HELLO)
    next(iterator)
    assert not stream.closed
    iterator.close()
    assert stream.closed


def test_stopping_early_closes_the_response_async() -> None:
    stream = PiecesStream(event_pieces(ANSWER))

    async def run() -> None:
        client = AsyncDeepSeekClient(
            api_key=API_KEY,
            base_url=BASE_URL,
            transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=stream)),
        )
        iterator = client.stream_chat(model="deepseek-chat", messages=HELLO)
        await iterator.__anext__()
        assert not stream.closed
        await iterator.aclose()
        assert stream.closed

    asyncio.run(run())


def test_accumulator_direct() -> None:
    accumulator = StreamAccumulator()
    assert accumulator.to_completion().message.reasoning_content is None
    assert not accumulator.finished
    assert accumulator.text == "" and accumulator.reasoning_text == ""


def _wire_chunk(**fields: Any) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate({"id": "r1", "model": "deepseek-chat", **fields})


def _tool_delta(index: int, **fields: Any) -> dict[str, Any]:
    return {"index": 0, "delta": {"tool_calls": [{"index": index, **fields}]}}


def test_accumulator_folds_a_whole_reply() -> None:
    accumulator = StreamAccumulator()
    pieces = [
        {"choices": [{"index": 0, "delta": {"reasoning_content": "Think"}}]},
        {"choices": [{"index": 0, "delta": {"reasoning_content": "ing."}}]},
        {"choices": [{"index": 0, "delta": {"content": "Hel"}}], "system_fingerprint": "fp_1"},
        {"choices": [{"index": 0, "delta": {"content": "lo"}}]},
        # A name split across fragments (seen from some proxies) must be joined, not replaced.
        {"choices": [_tool_delta(1, id="call_b", function={"name": "get_", "arguments": ""})]},
        {"choices": [_tool_delta(1, function={"name": "weather", "arguments": '{"city"'})]},
        {"choices": [_tool_delta(0, id="call_a", function={"name": "add", "arguments": "{}"})]},
        {"choices": [_tool_delta(1, function={"arguments": ': "Oslo"}'})]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}},
    ]
    visible = [accumulator.add(_wire_chunk(**piece)) for piece in pieces]
    assert visible == [True] * 8 + [False, False]
    assert accumulator.text == "Hello"
    assert accumulator.reasoning_text == "Thinking."
    assert accumulator.finished and accumulator.finish_reason == "tool_calls"
    assert accumulator.usage is not None and accumulator.usage.total_tokens == 8
    assert (accumulator.id, accumulator.model) == ("r1", "deepseek-chat")
    assert accumulator.system_fingerprint == "fp_1"
    calls = accumulator.completed_tool_calls()
    assert [(call.id, call.function.name) for call in calls] == [
        ("call_a", "add"),
        ("call_b", "get_weather"),
    ]
    assert calls[1].function.arguments == '{"city": "Oslo"}'
    completion = accumulator.to_completion()
    assert completion.message.content == "Hello"
    assert completion.message.reasoning_content == "Thinking."
    assert completion.usage == accumulator.usage


def test_accumulator_takes_usage_from_the_finish_chunk() -> None:
    accumulator = StreamAccumulator()
    accumulator.add(
        _wire_chunk(
            choices=[{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}],
            usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        )
    )
    assert accumulator.usage is not None and accumulator.usage.total_tokens == 2
    assert accumulator.to_completion().message.reasoning_content is None


@pytest.mark.parametrize("piece_size", [1, 3, 64])
def test_stream_decodes_across_any_piece_size(mode: str, piece_size: int) -> None:
    body = sse(
        chunk(content="15°C "), chunk(content="🎲🎉"), chunk(content="", finish_reason="stop")
    )
    pieces = [body[i : i + piece_size] for i in range(0, len(body), piece_size)]
    response = httpx.Response(200, stream=PiecesStream(pieces))
    outcome = Driver(mode, Script([response])).stream(model="deepseek-chat", messages=HELLO)
    assert text_of(outcome.chunks) == "15°C 🎲🎉"


def test_cut_after_finish_reason_ends_cleanly(mode: str) -> None:
    # Only "data: [DONE]" is lost: the answer and its usage are complete, so no error.
    script = Script([stream_response(sse(*_answer_payloads(), done=False), error=reset())])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert text_of(outcome.chunks) == "Hello!"
    assert outcome.chunks[-1].usage is not None
    assert len(script.requests) == 1


def test_decoding_error_is_wrapped_and_retried(mode: str) -> None:
    script = Script([httpx.DecodingError("bad gzip"), stream_response(ANSWER)])
    driver = Driver(mode, script)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert text_of(outcome.chunks) == "Hello!"
    assert len(script.requests) == 2


def test_decoding_error_surfaces_as_connection_error(mode: str) -> None:
    script = Script([httpx.DecodingError("bad gzip")] * 3)
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, APIConnectionError)
    assert "DecodingError" in str(outcome.error)


def test_leading_byte_order_mark_is_ignored(mode: str) -> None:
    script = Script([stream_response(b"\xef\xbb\xbf" + ANSWER, pieces=False)])
    outcome = Driver(mode, script).stream(model="deepseek-chat", messages=HELLO)
    assert outcome.error is None
    assert len(outcome.chunks) == 4  # the first event (after the BOM) is not lost
    assert outcome.chunks[0].delta is not None and outcome.chunks[0].delta.role == "assistant"


def _answer_payloads() -> list[dict[str, object]]:
    return [
        chunk(role="assistant", content=""),
        chunk(content="Hel"),
        chunk(content="lo!"),
        chunk(content="", finish_reason="stop", usage=USAGE),
    ]
