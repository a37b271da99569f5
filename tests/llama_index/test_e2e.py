"""End to end, offline, against the strict emulator: RAG (plain and streaming), a chat engine
over several turns with the reasoner, FunctionAgent tool loops (chat and reasoner, streaming and
not, across several runs sharing memory) and a ReActAgent loop."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.base.response.schema import StreamingResponse
from llama_index.core.chat_engine.types import ChatMode
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.workflow import Context

from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

pytestmark = [
    # llama-index's workflow machinery inspects agents with deprecated pydantic attributes, and
    # warns that a Context's memory is not serialisable; neither is about this adapter.
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:Skipping serialization of known unserializable key"),
]

DOCS = [
    Document(text="The Eiffel Tower is in Paris. It was finished in 1889."),
    Document(text="Mount Fuji is the highest mountain in Japan, at 3776 metres."),
    Document(text="The Danube flows through ten countries, including Austria and Hungary."),
]


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS, embed_model=MockEmbedding(embed_dim=8))


# ---------------------------------------------------------------------------------------------
# RAG


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
def test_rag_query_engine_through_settings(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, index: VectorStoreIndex, model: str
) -> None:
    Settings.llm = make_llm(model=model)
    response = index.as_query_engine(similarity_top_k=2).query("When was the Eiffel Tower built?")
    assert "[emulated" in str(response)
    assert len(response.source_nodes) == 2
    sent = emulator.last_request
    assert sent is not None and sent.json["model"] == model
    prompt = sent.json["messages"][-1]["content"]
    assert "When was the Eiffel Tower built?" in prompt
    # The retrieved context reached the model.
    assert sum(doc.text in prompt for doc in DOCS) == 2


def test_rag_streaming_query(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, index: VectorStoreIndex
) -> None:
    emulator.script.reply_text("It was finished in 1889, in Paris.")
    engine = index.as_query_engine(llm=make_llm(), streaming=True)
    response = engine.query("When was the Eiffel Tower built?")
    assert isinstance(response, StreamingResponse)
    pieces = list(response.response_gen)
    assert len(pieces) > 2
    assert "".join(pieces) == "It was finished in 1889, in Paris."
    assert emulator.last_request is not None and emulator.last_request.json["stream"] is True


async def test_rag_async_query(
    make_llm: Callable[..., DeepSeekAPI], index: VectorStoreIndex
) -> None:
    response = await index.as_query_engine(llm=make_llm()).aquery("Where is Mount Fuji?")
    assert "Where is Mount Fuji?" in str(response)


# ---------------------------------------------------------------------------------------------
# Chat engine with the reasoner


def test_chat_engine_conversation_with_the_reasoner(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, index: VectorStoreIndex
) -> None:
    Settings.llm = make_llm(model="deepseek-reasoner")
    engine = index.as_chat_engine(chat_mode=ChatMode.CONDENSE_PLUS_CONTEXT)
    emulator.script.reply_text("The tower was finished in 1889.", reasoning="Found it in context.")
    first = engine.chat("When was the Eiffel Tower finished?")
    assert str(first) == "The tower was finished in 1889."
    # Turn 2 (condense + answer), streamed.
    emulator.script.reply_text("Which city is the Eiffel Tower in?")
    emulator.script.reply_text("It is in Paris.", reasoning="The context says Paris.")
    streamed = engine.stream_chat("And where is it?")
    assert "".join(streamed.response_gen) == "It is in Paris."
    third = engine.chat("Thanks! Anything about Japan?")
    assert "[emulated" in str(third)
    history = engine.chat_history
    assert [m.role.value for m in history] == ["user", "assistant"] * 3
    # Later requests carry the earlier turns, without reasoning (no tools: the service ignores
    # it at best and older eras reject it).
    sent = emulator.last_request
    assert sent is not None
    contents = [m.get("content") for m in sent.json["messages"]]
    assert "The tower was finished in 1889." in contents and "It is in Paris." in contents
    assert all("reasoning_content" not in m for m in sent.json["messages"])


async def test_simple_chat_engine_async_streaming(make_llm: Callable[..., DeepSeekAPI]) -> None:
    from llama_index.core.chat_engine import SimpleChatEngine

    engine = SimpleChatEngine.from_defaults(llm=make_llm(model="deepseek-reasoner"))
    response = await engine.astream_chat("Say hi")
    text = "".join([token async for token in response.async_response_gen()])
    assert text.startswith("[emulated deepseek-flash]")


# ---------------------------------------------------------------------------------------------
# FunctionAgent


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_multi_step_tool_loop(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, model: str, streaming: bool
) -> None:
    llm = make_llm(model=model)
    agent = FunctionAgent(tools=[multiply, add], llm=llm, streaming=streaming)
    memory = ChatMemoryBuffer.from_defaults(llm=llm)
    ctx = Context(agent)
    emulator.script.reply_tool_call("multiply", {"a": 6, "b": 7}, reasoning="First multiply.")
    emulator.script.reply_tool_call("add", {"a": 42, "b": 8}, reasoning="Then add 8.")
    emulator.script.reply_text("The answer is 50.", reasoning="Done.")
    handler = agent.run("What is 6 times 7, plus 8?", ctx=ctx, memory=memory)
    results: list[ToolCallResult] = []
    thinking: list[str] = []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            results.append(event)
        if isinstance(event, AgentStream) and event.thinking_delta:
            thinking.append(event.thinking_delta)
    output = await handler
    assert str(output) == "The answer is 50."
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("multiply", {"a": 6, "b": 7}, "42"),
        ("add", {"a": 42, "b": 8}, "50"),
    ]
    if streaming and model == "deepseek-reasoner":
        assert "".join(thinking) == "First multiply.Then add 8.Done."

    # A second run on the same memory: earlier tool-call turns go back with their reasoning.
    second = await agent.run("Now multiply 3 by 5", ctx=ctx, memory=memory)
    assert "15" in str(second)
    messages = emulator.last_request.json["messages"]  # type: ignore[union-attr]
    calls = [m for m in messages if m["role"] == "assistant" and m.get("tool_calls")]
    assert len(calls) == 3
    if model == "deepseek-reasoner":
        assert [m["reasoning_content"] for m in calls[:2]] == ["First multiply.", "Then add 8."]
        assert calls[2]["reasoning_content"].startswith("[emulated reasoning]")
    else:
        assert all("reasoning_content" not in m for m in messages)
    assert len(emulator.chat_requests) == 5


async def test_function_agent_v4_thinking_switch(emulator: Emulator) -> None:
    llm = DeepSeekAPI(
        model="deepseek-v4-flash",
        thinking=True,
        reasoning_effort="high",
        api_key="sk-test",
        transport=emulator.transport(),
    )
    output = await FunctionAgent(tools=[multiply], llm=llm).run("Multiply 4 by 4")
    assert "16" in str(output)
    first = emulator.chat_requests[0].json
    assert first["thinking"] == {"type": "enabled"} and first["reasoning_effort"] == "high"


# ---------------------------------------------------------------------------------------------
# ReActAgent (text protocol; the emulator's replies are scripted in ReAct format)


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
async def test_react_agent_tool_loop(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, model: str
) -> None:
    agent = ReActAgent(tools=[multiply], llm=make_llm(model=model))
    emulator.script.reply_text(
        'Thought: I need to multiply.\nAction: multiply\nAction Input: {"a": 6, "b": 7}',
        reasoning="Use the tool.",
    )
    emulator.script.reply_text("Thought: I can answer now.\nAnswer: 42", reasoning="Got 42.")
    handler = agent.run("What is 6 times 7?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    output = await handler
    assert str(output) == "42"
    assert [(r.tool_name, r.tool_output.content) for r in results] == [("multiply", "42")]
    second = emulator.chat_requests[1].json["messages"]
    assert any("Observation: 42" in (m.get("content") or "") for m in second)


async def test_documented_fixture_pattern(deepseek_emulator: Emulator) -> None:
    """The pattern docs/llama_index.md shows, with the shipped pytest fixture."""
    deepseek_emulator.script.reply_tool_call("multiply", {"a": 6, "b": 7}).reply_text("42")
    llm = DeepSeekAPI(api_key="sk-test", transport=deepseek_emulator.transport())
    output = await FunctionAgent(tools=[multiply], llm=llm).run("6 times 7?")
    assert str(output) == "42"
