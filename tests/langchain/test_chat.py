"""invoke/stream/batch and their async twins: replies, reasoning, usage, metadata, callbacks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGenerationChunk, GenerationChunk, LLMResult
from langchain_core.prompts import ChatPromptTemplate

from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import ChatDeepSeekAPI

from .conftest import KEY, ModelFactory
from .helpers import Recorder, completion, delta_event, sse, tool_call

USAGE = {
    "prompt_tokens": 30,
    "completion_tokens": 20,
    "total_tokens": 50,
    "prompt_cache_hit_tokens": 16,
    "prompt_cache_miss_tokens": 14,
    "prompt_tokens_details": {"cached_tokens": 16},
    "completion_tokens_details": {"reasoning_tokens": 12},
}

REASONER_STREAM = [
    delta_event(content=None, reasoning=""),
    delta_event(content=None, reasoning="Rayleigh "),
    delta_event(content=None, reasoning="scattering."),
    delta_event(content="Blue light "),
    delta_event(content="scatters more."),
    delta_event(content="", finish_reason="stop", usage=USAGE),
]


class TokenCounter(BaseCallbackHandler):
    """Records every on_llm_new_token call."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks: list[ChatGenerationChunk | GenerationChunk | None] = []
        self.ends = 0

    def on_llm_new_token(
        self,
        token: str,
        *,
        chunk: ChatGenerationChunk | GenerationChunk | None = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self.tokens.append(token)
        self.chunks.append(chunk)

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.ends += 1


class AsyncTokenCounter(AsyncCallbackHandler):
    """Records every on_llm_new_token call, asynchronously."""

    def __init__(self) -> None:
        self.chunks: list[ChatGenerationChunk | GenerationChunk | None] = []

    async def on_llm_new_token(
        self,
        token: str,
        *,
        chunk: ChatGenerationChunk | GenerationChunk | None = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.chunks.append(chunk)


def reasoner(recorder: Recorder, **options: Any) -> ChatDeepSeekAPI:
    return ChatDeepSeekAPI(
        model="deepseek-reasoner", api_key=KEY, transport=recorder.transport(), **options
    )


# --------------------------------------------------------------------------------------------
# invoke


def check_reasoner_reply(message: BaseMessage) -> None:
    assert isinstance(message, AIMessage)
    assert message.content == "Blue light scatters more."
    assert message.additional_kwargs["reasoning_content"] == "Rayleigh scattering."
    blocks = message.content_blocks
    assert blocks[0] == {"type": "reasoning", "reasoning": "Rayleigh scattering."}
    assert {"type": "text", "text": "Blue light scatters more."} in [
        {k: v for k, v in b.items() if k != "index"} for b in blocks
    ]
    assert message.usage_metadata == {
        "input_tokens": 30,
        "output_tokens": 20,
        "total_tokens": 50,
        "input_token_details": {"cache_read": 16},
        "output_token_details": {"reasoning": 12},
    }
    metadata = message.response_metadata
    assert metadata["model_name"] == "deepseek-v4-flash"
    assert metadata["finish_reason"] == "stop"
    assert metadata["model_provider"] == "deepseek"
    assert metadata["system_fingerprint"] in ("fp_test", "fp_stream")


def test_invoke_reasoning_in_both_places() -> None:
    recorder = Recorder(
        completion("Blue light scatters more.", reasoning="Rayleigh scattering.", usage=USAGE)
    )
    message = reasoner(recorder).invoke("Why is the sky blue?")
    check_reasoner_reply(message)
    assert message.id == "cmpl-1"
    assert message.response_metadata["id"] == "cmpl-1"
    assert recorder.bodies == [
        {
            "model": "deepseek-reasoner",
            "messages": [{"role": "user", "content": "Why is the sky blue?"}],
            # V4.1 answers deepseek-reasoner as deepseek-flash: the thinking it promises is asked.
            "thinking": {"type": "enabled"},
        }
    ]


def test_stream_reasoning_in_both_places_and_usage_on_the_last_chunk() -> None:
    recorder = Recorder(sse(REASONER_STREAM))
    chunks = list(reasoner(recorder).stream("Why is the sky blue?"))
    # the role-only first delta carries nothing and is not passed on
    assert [c.additional_kwargs.get("reasoning_content") for c in chunks[:2]] == [
        "Rayleigh ",
        "scattering.",
    ]
    assert chunks[0].content_blocks == [{"type": "reasoning", "reasoning": "Rayleigh "}]
    assert [c.content for c in chunks[2:4]] == ["Blue light ", "scatters more."]
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.usage_metadata is not None and last.usage_metadata["total_tokens"] == 50
    assert all(c.usage_metadata is None for c in chunks[:-1])
    full: AIMessageChunk = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    check_reasoner_reply(full)
    assert recorder.bodies[0]["stream"] is True
    assert recorder.bodies[0]["stream_options"] == {"include_usage": True}


def test_stream_usage_on_a_final_usage_only_chunk() -> None:
    events = [
        delta_event(content="Hi"),
        delta_event(content="", finish_reason="stop"),
        delta_event(choices=False, usage=USAGE),
    ]
    chunks = list(reasoner(Recorder(sse(events))).stream("hi"))
    assert [c.content for c in chunks] == ["Hi", ""]
    assert chunks[-1].usage_metadata is not None
    assert chunks[-1].usage_metadata["input_tokens"] == 30
    assert chunks[-1].response_metadata["finish_reason"] == "stop"


def test_stream_usage_off() -> None:
    recorder = Recorder(
        sse([delta_event(content="Hi"), delta_event(content="", finish_reason="stop")])
    )
    llm = reasoner(recorder, stream_usage=False)
    chunks = list(llm.stream("hi"))
    assert recorder.bodies[0]["stream_options"] == {"include_usage": False}
    assert chunks[-1].usage_metadata is None
    list(llm.stream("hi", stream_usage=True))
    assert recorder.bodies[1]["stream_options"] == {"include_usage": True}


def test_callbacks_once_per_chunk_with_the_chunk() -> None:
    counter = TokenCounter()
    chunks = list(
        reasoner(Recorder(sse(REASONER_STREAM))).stream("q", config={"callbacks": [counter]})
    )
    assert len(counter.chunks) == len(chunks) == 5
    assert counter.tokens == ["", "", "Blue light ", "scatters more.", ""]
    seen = [c.message for c in counter.chunks if isinstance(c, ChatGenerationChunk)]
    assert len(seen) == len(chunks)
    assert [m.additional_kwargs.get("reasoning_content") for m in seen[:2]] == [
        "Rayleigh ",
        "scattering.",
    ]
    assert counter.ends == 1


def test_invoke_with_streaming_true_streams_under_the_hood() -> None:
    recorder = Recorder(sse(REASONER_STREAM))
    counter = TokenCounter()
    message = reasoner(recorder, streaming=True).invoke("q", config={"callbacks": [counter]})
    assert recorder.bodies[0]["stream"] is True
    assert len(counter.chunks) == 5
    check_reasoner_reply(message)


async def test_astream_and_async_callbacks() -> None:
    counter = AsyncTokenCounter()
    chunks = [
        c
        async for c in reasoner(Recorder(sse(REASONER_STREAM))).astream(
            "q", config={"callbacks": [counter]}
        )
    ]
    assert len(chunks) == len(counter.chunks) == 5
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    check_reasoner_reply(full)


async def test_ainvoke() -> None:
    recorder = Recorder(
        completion("Blue light scatters more.", reasoning="Rayleigh scattering.", usage=USAGE)
    )
    check_reasoner_reply(await reasoner(recorder).ainvoke("q"))


async def test_astream_events_shows_reasoning_live() -> None:
    llm = reasoner(Recorder(sse(REASONER_STREAM)))
    streamed = [
        event["data"]["chunk"]
        async for event in llm.astream_events("q", version="v2")
        if event["event"] == "on_chat_model_stream"
    ]
    assert streamed[0].additional_kwargs["reasoning_content"] == "Rayleigh "
    assert "".join(str(c.content) for c in streamed) == "Blue light scatters more."


def test_output_version_v1_gives_blocks() -> None:
    recorder = Recorder(completion("Answer", reasoning="Thought", usage=USAGE))
    message = reasoner(recorder, output_version="v1").invoke("q")
    assert message.content == [
        {"type": "reasoning", "reasoning": "Thought"},
        {"type": "text", "text": "Answer"},
    ]
    assert message.additional_kwargs["reasoning_content"] == "Thought"


# --------------------------------------------------------------------------------------------
# tool calls in replies


def test_tool_calls_parsed_and_invalid_arguments_reported() -> None:
    recorder = Recorder(
        completion(
            "",
            tool_calls=[
                tool_call("c1", "weather", '{"city": "Paris"}'),
                tool_call("c2", "weather", '{"city": '),
                tool_call("c3", "now", ""),
            ],
            finish_reason="tool_calls",
        )
    )
    message = reasoner(recorder).invoke("q")
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [
        {"name": "weather", "args": {"city": "Paris"}, "id": "c1", "type": "tool_call"},
        {"name": "now", "args": {}, "id": "c3", "type": "tool_call"},
    ]
    assert len(message.invalid_tool_calls) == 1
    bad = message.invalid_tool_calls[0]
    assert (bad["id"], bad["name"], bad["args"]) == ("c2", "weather", '{"city": ')
    assert bad["error"] is not None and "not valid JSON" in bad["error"]
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_streamed_tool_call_chunks_become_parallel_tool_calls() -> None:
    events = [
        delta_event(
            content="",
            tool_calls=[
                {
                    "index": 0,
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": ""},
                }
            ],
        ),
        delta_event(tool_calls=[{"index": 0, "function": {"arguments": '{"city": '}}]),
        delta_event(tool_calls=[{"index": 0, "function": {"arguments": '"Paris"}'}}]),
        delta_event(
            tool_calls=[
                {
                    "index": 1,
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "time", "arguments": "{}"},
                }
            ]
        ),
        delta_event(content="", finish_reason="tool_calls", usage=USAGE),
    ]
    chunks = list(reasoner(Recorder(sse(events))).stream("q"))
    assert chunks[0].tool_call_chunks == [
        {"name": "weather", "args": "", "id": "c1", "index": 0, "type": "tool_call_chunk"}
    ]
    assert chunks[1].tool_call_chunks[0]["name"] is None
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.tool_calls == [
        {"name": "weather", "args": {"city": "Paris"}, "id": "c1", "type": "tool_call"},
        {"name": "time", "args": {}, "id": "c2", "type": "tool_call"},
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"


# --------------------------------------------------------------------------------------------
# Against the emulator: batch, LCEL, retries, fallbacks


def test_batch_and_lcel_chain(make_llm: ModelFactory, emulator: Emulator) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{q}")])
    chain = prompt | make_llm() | StrOutputParser()
    answers = chain.batch([{"q": "What is 2+2?"}, {"q": "Name a colour."}])
    assert len(answers) == 2 and all(isinstance(a, str) and a for a in answers)
    assert len(emulator.chat_requests) == 2
    sent = {r.json["messages"][1]["content"] for r in emulator.chat_requests}
    assert sent == {"What is 2+2?", "Name a colour."}
    assert all(
        r.json["messages"][0] == {"role": "system", "content": "Answer briefly."}
        for r in emulator.chat_requests
    )


async def test_abatch(make_llm: ModelFactory, emulator: Emulator) -> None:
    replies = await make_llm().abatch(["one", "two", "three"])
    assert [type(r) for r in replies] == [AIMessage] * 3
    assert len(emulator.chat_requests) == 3


def test_stream_through_an_lcel_chain(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_text("Hello there, friend.")
    chain = make_llm() | StrOutputParser()
    pieces = list(chain.stream("hi"))
    assert len(pieces) > 1
    assert "".join(pieces) == "Hello there, friend."


def test_with_retry_runs_the_call_again(make_llm: ModelFactory, emulator: Emulator) -> None:
    from deepseekapi_core import ServiceUnavailableError

    emulator.faults.status(503, times=1)
    llm = make_llm(max_retries=0)  # no retries in the core: LangChain's with_retry does them
    with pytest.raises(ServiceUnavailableError):
        llm.invoke("hi")
    emulator.faults.status(503, times=1)
    reply = llm.with_retry(
        retry_if_exception_type=(ServiceUnavailableError,), wait_exponential_jitter=False
    ).invoke("hi")
    assert reply.content
    assert emulator.request_count == 3


def test_with_fallbacks_uses_the_second_model(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_error(402)
    primary = make_llm(model="deepseek-reasoner", max_retries=0)
    backup = make_llm(model="deepseek-chat")
    reply = primary.with_fallbacks([backup]).invoke("hi")
    assert isinstance(reply, AIMessage) and reply.content
    assert [r.json["model"] for r in emulator.chat_requests] == [
        "deepseek-reasoner",
        "deepseek-chat",
    ]


def test_core_retries_are_used(make_llm: ModelFactory, emulator: Emulator) -> None:
    from deepseekapi_core import RetryPolicy

    emulator.faults.status(429, retry_after=0, times=2)
    llm = make_llm(retry_policy=RetryPolicy(max_retries=2, initial_delay=0, max_delay=0))
    assert llm.invoke("hi").content
    assert emulator.request_count == 3


def test_sync_and_async_give_the_same_reply(make_llm: ModelFactory) -> None:
    import asyncio

    llm = make_llm(model="deepseek-reasoner")
    sync_reply = llm.invoke("Why is the sea salty?")
    async_reply = asyncio.run(llm.ainvoke("Why is the sea salty?"))
    assert sync_reply.content == async_reply.content
    assert (
        sync_reply.additional_kwargs["reasoning_content"]
        == async_reply.additional_kwargs["reasoning_content"]
    )
    assert sync_reply.additional_kwargs["reasoning_content"]


def test_human_message_list_and_string_inputs(make_llm: ModelFactory, emulator: Emulator) -> None:
    llm = make_llm()
    llm.invoke([HumanMessage("a")])
    llm.invoke([("system", "s"), ("human", "b")])
    assert [r.json["messages"][-1]["content"] for r in emulator.chat_requests] == ["a", "b"]


def test_transport_closed_errors_surface(make_llm: ModelFactory) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    from deepseekapi_core import APIConnectionError

    llm = ChatDeepSeekAPI(api_key=KEY, transport=httpx.MockTransport(fail), max_retries=0)
    with pytest.raises(APIConnectionError):
        llm.invoke("hi")


def test_v1_stream_numbers_reasoning_text_and_each_tool_call_apart() -> None:
    events = [
        delta_event(content=None, reasoning="Need two tools."),
        delta_event(content="Checking."),
        delta_event(
            tool_calls=[
                {
                    "index": 0,
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "a", "arguments": "{}"},
                }
            ]
        ),
        delta_event(
            tool_calls=[
                {
                    "index": 1,
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "b", "arguments": '{"x"'},
                }
            ]
        ),
        delta_event(tool_calls=[{"index": 1, "function": {"arguments": ": 1}"}}]),
        delta_event(content="", finish_reason="tool_calls", usage=USAGE),
    ]
    chunks = list(reasoner(Recorder(sse(events)), output_version="v1").stream("q"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.content == [
        {"type": "reasoning", "reasoning": "Need two tools.", "index": 0},
        {"type": "text", "text": "Checking.", "index": 1},
        {"type": "tool_call", "name": "a", "args": {}, "id": "c1"},
        {"type": "tool_call", "name": "b", "args": {"x": 1}, "id": "c2"},
    ]
    assert [c["id"] for c in full.tool_calls] == ["c1", "c2"]
    assert full.additional_kwargs["reasoning_content"] == "Need two tools."
