"""Peer snippets, run with only the import changed.

Each test is a snippet as llama-index documents its ``DeepSeek`` LLM, ``OpenAILike`` or
``OpenAI`` (the source is named in a comment above it), with
``from llama_index.llms.deepseek import DeepSeek`` (or ``OpenAILike``/``OpenAI``) replaced by
our class. They run against the emulator on loopback, configured the way the peer's users
configure it, and assert what went over the wire and what came back.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from deepseekapi_core import IgnoredParameterWarning
from deepseekapi_core.testing import EmulatorServer
from llama_index_deepseekapi import DeepSeekAPI as DeepSeek
from llama_index_deepseekapi import DeepSeekAPI as OpenAI
from llama_index_deepseekapi import DeepSeekAPI as OpenAILike
from tests.dropin_env import chats, user_environment

KEY = "sk-dropin-llama-index-0a1b2c3d4e5f6789"


@pytest.fixture
def server(deepseek_emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The environment a DeepSeek user has: DEEPSEEK_API_KEY, and the base URL of the host."""
    return user_environment(deepseek_emulator_server, monkeypatch, KEY)


PIRATE = [
    ChatMessage(role="system", content="You are a pirate with a colorful personality"),
    ChatMessage(role="user", content="What is your name"),
]


# Source: llama-index-llms-deepseek, DeepSeek docstring and README ("Call the complete method
# with a query").
def test_complete(server: EmulatorServer) -> None:
    llm = DeepSeek(model="deepseek-chat", api_key=KEY)
    response = llm.complete("Explain the importance of low latency LLMs")

    (sent,) = chats(server)
    assert sent.json["messages"] == [
        {"role": "user", "content": "Explain the importance of low latency LLMs"}
    ]
    assert "low latency" in response.text


# Source: run-llama/llama_index docs/examples/llm/deepseek.ipynb ("Setup", then complete and
# "Call `chat` with a list of messages").
def test_deepseek_notebook_complete_and_chat(server: EmulatorServer) -> None:
    # you can also set DEEPSEEK_API_KEY in your environment variables
    llm = DeepSeek(model="deepseek-reasoner", api_key="you_api_key")
    response = llm.complete("Is 9.9 or 9.11 bigger?")
    messages = [
        ChatMessage(role="system", content="You are a pirate with a colorful personality"),
        ChatMessage(role="user", content="How many 'r's are in the word 'strawberry'?"),
    ]
    resp = llm.chat(messages)

    first, second = chats(server)
    assert (
        first.json["model"] == "deepseek-reasoner" and second.json["model"] == "deepseek-reasoner"
    )
    assert first.json["messages"] == [{"role": "user", "content": "Is 9.9 or 9.11 bigger?"}]
    assert [m["role"] for m in second.json["messages"]] == ["system", "user"]
    assert "9.11" in response.text and response.additional_kwargs["reasoning_content"]
    assert "strawberry" in (resp.message.content or "")
    assert resp.message.additional_kwargs["reasoning_content"]


# Source: run-llama/llama_index docs/examples/llm/deepseek.ipynb ("Streaming": stream_complete,
# then stream_chat).
def test_deepseek_notebook_streaming(server: EmulatorServer) -> None:
    llm = DeepSeek(model="deepseek-reasoner", api_key="you_api_key")
    response = llm.stream_complete("Is 9.9 or 9.11 bigger?")
    completed = "".join(r.delta or "" for r in response)
    messages = [
        ChatMessage(role="system", content="You are a pirate with a colorful personality"),
        ChatMessage(role="user", content="How many 'r's are in the word 'strawberry'?"),
    ]
    resp = llm.stream_chat(messages)
    chatted = "".join(r.delta or "" for r in resp)

    first, second = chats(server)
    assert first.json["stream"] is True and second.json["stream"] is True
    assert "9.11" in completed and "strawberry" in chatted


# Source: llama-index docs, the LLM pages' "Async" sections (acomplete, achat,
# astream_complete; e.g. docs/examples/llm/openai.ipynb).
def test_async(server: EmulatorServer) -> None:
    llm = DeepSeek(model="deepseek-chat")

    async def run() -> tuple[str, str, str]:
        resp = await llm.acomplete("Paul Graham is ")
        chat = await llm.achat(PIRATE)
        gen = await llm.astream_complete("Paul Graham is ")
        text = "".join([r.delta or "" async for r in gen])
        return resp.text, chat.message.content or "", text

    completed, chatted, streamed = asyncio.run(run())
    assert len(chats(server)) == 3
    assert completed == streamed and "What is your name" in chatted


# Source: llama-index-llms-openai-like, OpenAILike docstring ("Examples").
def test_openai_like_constructor(server: EmulatorServer) -> None:
    llm = OpenAILike(
        model="deepseek-chat",
        api_base=server.base_url,
        api_key="fake",
        context_window=128000,
        is_chat_model=True,
        is_function_calling_model=False,
    )
    response = llm.complete("Hello World!")

    (sent,) = chats(server)
    assert sent.json["messages"][-1]["content"] == "Hello World!"
    assert "Hello World!" in str(response)
    assert llm.metadata.context_window == 128000
    assert llm.metadata.is_chat_model is True
    assert llm.metadata.is_function_calling_model is False


# Source: llama-index-llms-openai-like, OpenAILike docstring (is_chat_model=False uses the
# completion prompt formatting) and the llama-index "Using LLMs" guide (completion_to_prompt,
# messages_to_prompt).
def test_openai_like_completion_model_formats_prompts(server: EmulatorServer) -> None:
    llm = OpenAILike(
        model="deepseek-chat",
        api_base=server.base_url,
        api_key="fake",
        is_chat_model=False,
        completion_to_prompt=lambda prompt: f"[INST] {prompt} [/INST]",
        messages_to_prompt=lambda messages: " | ".join(str(m.content) for m in messages),
    )
    llm.complete("Hello World!")
    llm.chat(PIRATE)

    first, second = chats(server)
    assert first.json["messages"] == [{"role": "user", "content": "[INST] Hello World! [/INST]"}]
    assert second.json["messages"] == [
        {
            "role": "user",
            "content": "You are a pirate with a colorful personality | What is your name",
        }
    ]
    assert llm.metadata.is_chat_model is False


# Source: llama-index-llms-openai, OpenAI constructor (additional_kwargs, max_retries, timeout,
# default_headers, reuse_client, max_new_tokens, api_key, api_base).
def test_openai_constructor_options(server: EmulatorServer) -> None:
    llm = OpenAI(
        model="deepseek-chat",
        temperature=0.1,
        max_new_tokens=64,
        additional_kwargs={"seed": 42, "user": "end-user-7"},
        max_retries=1,
        timeout=30.0,
        reuse_client=False,
        api_key=KEY,
        api_base=server.base_url,
        default_headers={"X-Team": "search"},
    )
    with pytest.warns(IgnoredParameterWarning, match="seed"):
        llm.complete("Hello")
    with pytest.warns(IgnoredParameterWarning, match="seed"):
        llm.complete("Hello again")

    first, second = chats(server)
    assert first.json["max_tokens"] == 64 and first.json["user_id"] == "end-user-7"
    assert "seed" not in first.json and "user" not in first.json
    assert first.headers["x-team"] == "search" and second.headers["x-team"] == "search"


# Source: llama-index docs, "Agents" (FunctionAgent with a plain function as a tool).
def test_function_agent(server: EmulatorServer) -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    def multiply(a: float, b: float) -> float:
        """Multiply two numbers and returns the product"""
        return a * b

    llm = DeepSeek(model="deepseek-chat")
    agent = FunctionAgent(
        tools=[multiply],
        llm=llm,
        system_prompt="You are a helpful assistant that can multiply two numbers.",
    )

    async def main() -> Any:
        return await agent.run("What is 1234 * 4567?")

    response = asyncio.run(main())

    requests = chats(server)
    assert requests[0].json["tools"][0]["function"]["name"] == "multiply"
    assert requests[-1].json["messages"][-1]["role"] == "tool"
    assert str(response)


class Song(BaseModel):
    """A song with name and artist"""

    name: str
    artist: str


def generate_song(name: str, artist: str) -> Song:
    """Generates a song with provided name and artist."""
    return Song(name=name, artist=artist)


# Source: run-llama/llama_index docs/examples/llm/openai.ipynb ("Function Calling":
# Song, generate_song, predict_and_call).
def test_predict_and_call(server: EmulatorServer) -> None:
    llm = OpenAI(model="deepseek-chat")
    tool = FunctionTool.from_defaults(fn=generate_song)
    response = llm.predict_and_call([tool], "Pick a random song for me")

    (sent,) = chats(server)
    assert sent.json["tools"][0]["function"]["name"] == "generate_song"
    assert isinstance(response.sources[0].raw_output, Song)


# Source: run-llama/llama_index docs/examples/llm/openai.ipynb ("Structured Prediction":
# structured_predict, as_structured_llm).
def test_structured_predict(server: EmulatorServer) -> None:
    llm = OpenAI(model="deepseek-chat")
    prompt_tmpl = PromptTemplate("Generate a song about {topic}")
    song = llm.structured_predict(Song, prompt_tmpl, topic="cats")
    sllm = llm.as_structured_llm(Song)
    again = sllm.complete("Generate a song about dogs")

    first, second = chats(server)
    assert first.json["tools"][0]["function"]["name"] == "Song"
    assert isinstance(song, Song) and isinstance(again.raw, Song)
    assert second.json["messages"][-1]["content"].endswith("Generate a song about dogs")


# Source: run-llama/llama_index docs/examples/llm/openai.ipynb (streaming tool calls:
# stream_chat_with_tools + get_tool_calls_from_response(error_on_no_tool_call=False)).
def test_streaming_tool_calls_show_partial_arguments(server: EmulatorServer) -> None:
    llm = OpenAI(model="deepseek-chat")
    tool = FunctionTool.from_defaults(fn=generate_song)
    seen: list[dict[str, Any]] = []
    response_gen = llm.stream_chat_with_tools([tool], "Pick a random song for me")
    for response in response_gen:
        tool_calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        if tool_calls:
            seen.append(dict(tool_calls[0].tool_kwargs))

    (sent,) = chats(server)
    assert sent.json["stream"] is True
    final = seen[-1]
    assert set(final) == {"name", "artist"}
    # Partial arguments were shown before the call was complete, growing towards the final ones.
    partial = [kwargs for kwargs in seen[:-1] if kwargs and kwargs != final]
    assert partial, seen
    assert all(set(kwargs) <= set(final) for kwargs in partial)


# Source: llama-index-llms-openai, OpenAI constructor: parameters with no meaning here are
# refused with an error that names them (never silently ignored).
@pytest.mark.parametrize(
    ("option", "value"),
    [("api_version", "2024-06-01"), ("modalities", ["text", "audio"]), ("tokenizer", "gpt2")],
)
def test_parameters_without_effect_are_refused_by_name(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        OpenAI(model="deepseek-chat", api_key=KEY, **{option: value})


def test_misspelled_parameter_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ValueError, match="did you mean 'temperature'"):
        OpenAI(model="deepseek-chat", api_key=KEY, temprature=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OpenAI(model="deepseek-chat", api_key=KEY, modalities=["text"])  # the one modality
