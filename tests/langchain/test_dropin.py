"""Peer snippets, run with only the import changed.

Each test is a snippet as langchain-deepseek's ``ChatDeepSeek`` or langchain-openai's
``ChatOpenAI`` documents it (the source is named in a comment above it), with
``from langchain_deepseek import ChatDeepSeek`` (or ``ChatOpenAI``) replaced by our class. They
run against the emulator on loopback, configured the way the peer's users configure it, and
assert what went over the wire and what came back.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from deepseekapi_core import IgnoredParameterWarning, InvalidRequestError
from deepseekapi_core.testing import EmulatorServer
from langchain_deepseekapi import ChatDeepSeekAPI as ChatDeepSeek
from langchain_deepseekapi import ChatDeepSeekAPI as ChatOpenAI
from tests.dropin_env import chats, user_environment

KEY = "sk-dropin-langchain-5f1e2d3c4b5a6978"

TRANSLATOR = [
    ("system", "You are a helpful translator. Translate the user sentence to French."),
    ("human", "I love programming."),
]


@pytest.fixture
def server(deepseek_emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The environment a ChatDeepSeek user has: DEEPSEEK_API_KEY and DEEPSEEK_API_BASE."""
    return user_environment(deepseek_emulator_server, monkeypatch, KEY)


# Source: langchain-deepseek, ChatDeepSeek docstring, "Instantiate" and "Invoke".
def test_instantiate_and_invoke(server: EmulatorServer) -> None:
    model = ChatDeepSeek(
        model="deepseek-chat",
        temperature=0,
        max_tokens=None,
        timeout=None,
        max_retries=2,
        # api_key="...",
        # other params...
    )
    messages = [
        ("system", "You are a helpful translator. Translate the user sentence to French."),
        ("human", "I love programming."),
    ]
    ai_msg = model.invoke(messages)

    (sent,) = chats(server)
    assert sent.path.startswith("/v1/chat/completions")
    assert sent.json["temperature"] == 0 and "max_tokens" not in sent.json
    assert [m["role"] for m in sent.json["messages"]] == ["system", "user"]
    assert isinstance(ai_msg, AIMessage) and "I love programming." in ai_msg.content
    assert ai_msg.response_metadata["model_provider"] == "deepseek"


# Source: langchain-deepseek, ChatDeepSeek docstring, "Stream".
def test_stream(server: EmulatorServer) -> None:
    model = ChatDeepSeek(model="deepseek-chat", temperature=0)
    messages = TRANSLATOR
    texts = [chunk.text for chunk in model.stream(messages)]

    stream = model.stream(messages)
    full = next(stream)
    for chunk in stream:
        full += chunk

    first, second = chats(server)
    assert first.json["stream"] is True and first.json["stream_options"] == {"include_usage": True}
    assert isinstance(full, AIMessageChunk) and full.content == "".join(texts)
    assert full.usage_metadata is not None and full.usage_metadata["output_tokens"] > 0
    assert second.json["messages"] == first.json["messages"]


# Source: langchain-deepseek, ChatDeepSeek docstring, "Async" (ainvoke, astream, abatch).
def test_async(server: EmulatorServer) -> None:
    model = ChatDeepSeek(model="deepseek-chat")
    messages = TRANSLATOR

    async def run() -> tuple[Any, list[Any], list[Any]]:
        one = await model.ainvoke(messages)
        streamed = [chunk async for chunk in model.astream(messages)]
        batch = await model.abatch([messages])
        return one, streamed, batch

    one, streamed, batch = asyncio.run(run())
    assert len(chats(server)) == 3
    assert one.content == batch[0].content
    assert "".join(chunk.text for chunk in streamed) == one.content


# Source: langchain-deepseek, ChatDeepSeek docstring, "Tool calling".
def test_tool_calling(server: EmulatorServer) -> None:
    class GetWeather(BaseModel):
        """Get the current weather in a given location"""

        location: str = Field(..., description="The city and state, e.g. San Francisco, CA")

    class GetPopulation(BaseModel):
        """Get the current population in a given location"""

        location: str = Field(..., description="The city and state, e.g. San Francisco, CA")

    model = ChatDeepSeek(model="deepseek-chat")
    model_with_tools = model.bind_tools([GetWeather, GetPopulation])
    ai_msg = model_with_tools.invoke("Which city is hotter today and which is bigger: LA or NY?")

    (sent,) = chats(server)
    assert [tool["function"]["name"] for tool in sent.json["tools"]] == [
        "GetWeather",
        "GetPopulation",
    ]
    assert "parallel_tool_calls" not in sent.json
    assert ai_msg.tool_calls and ai_msg.tool_calls[0]["name"] in ("GetWeather", "GetPopulation")
    assert isinstance(ai_msg.tool_calls[0]["args"]["location"], str)


class Joke(BaseModel):
    """Joke to tell user."""

    setup: str = Field(description="The setup of the joke")
    punchline: str = Field(description="The punchline to the joke")
    rating: int | None = Field(description="How funny the joke is, from 1 to 10")


# Source: langchain-deepseek, ChatDeepSeek docstring, "Structured output".
def test_structured_output(server: EmulatorServer) -> None:
    model = ChatDeepSeek(model="deepseek-chat")
    structured_model = model.with_structured_output(Joke)
    joke = structured_model.invoke("Tell me a joke about cats")

    (sent,) = chats(server)
    assert sent.json["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}
    assert isinstance(joke, Joke) and joke.setup and joke.punchline


# Source: langchain-deepseek, ChatDeepSeek docstring, "Token usage" and "Response metadata";
# ChatOpenAI docstring, "Response metadata" (token_usage, model_name, system_fingerprint).
def test_token_usage_and_response_metadata(server: EmulatorServer) -> None:
    model = ChatDeepSeek(model="deepseek-chat")
    ai_msg = model.invoke(TRANSLATOR)
    result = model.generate([[HumanMessage("I love programming.")]])

    usage = ai_msg.usage_metadata
    assert usage is not None
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    token_usage = ai_msg.response_metadata["token_usage"]
    assert token_usage["prompt_tokens"] == usage["input_tokens"]
    assert token_usage["completion_tokens"] == usage["output_tokens"]
    assert "prompt_cache_hit_tokens" in token_usage and "prompt_cache_miss_tokens" in token_usage
    assert ai_msg.response_metadata["model_name"] and ai_msg.response_metadata["finish_reason"]
    llm_output = result.llm_output
    assert llm_output is not None
    assert llm_output["model_name"] and "system_fingerprint" in llm_output
    assert llm_output["token_usage"]["total_tokens"] > 0
    assert len(chats(server)) == 2


# Source: langchain docs, integrations/chat/deepseek ("deepseek-reasoner"; the reasoning is in
# additional_kwargs["reasoning_content"]).
def test_reasoner_reasoning_content(server: EmulatorServer) -> None:
    model = ChatDeepSeek(model="deepseek-reasoner")
    response = model.invoke([("human", "What is the capital of France?")])

    (sent,) = chats(server)
    assert sent.json["model"] == "deepseek-reasoner"
    assert response.additional_kwargs["reasoning_content"]
    assert response.content and isinstance(response.content, str)
    reasoning = response.response_metadata["token_usage"]["completion_tokens_details"]
    assert reasoning["reasoning_tokens"] > 0


# Source: langchain-openai, ChatOpenAI docstring, "Instantiate" (api_key, base_url, timeout,
# max_retries) with a (connect, read) timeout tuple and client options from BaseChatOpenAI
# (default_headers, default_query).
def test_openai_style_client_options(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEEPSEEK_API_KEY")
    monkeypatch.delenv("DEEPSEEK_API_BASE")
    llm = ChatOpenAI(
        model="deepseek-chat",
        temperature=0,
        max_tokens=None,
        timeout=(5, 30),
        max_retries=2,
        api_key=KEY,
        base_url=server.base_url,
        default_headers={"X-Team": "search"},
        default_query={"tenant": "acme"},
        include_response_headers=True,
    )
    ai_msg = llm.invoke(TRANSLATOR)

    (sent,) = chats(server)
    assert sent.headers["x-team"] == "search" and "tenant=acme" in sent.path
    for name in ("default_headers", "default_query", "timeout", "include_response_headers"):
        assert name not in sent.json
    assert ai_msg.response_metadata["headers"]["content-type"].startswith("application/json")


# Source: langchain-openai, ChatOpenAI docstring, "JSON mode".
def test_json_mode(server: EmulatorServer) -> None:
    llm = ChatOpenAI(model="deepseek-chat")
    json_llm = llm.bind(response_format={"type": "json_object"})
    ai_msg = json_llm.invoke(
        "Return a JSON object with key 'random_ints' and a value of 10 random ints in [0-99]"
    )

    (sent,) = chats(server)
    assert sent.json["response_format"] == {"type": "json_object"}
    assert "random_ints" in json.loads(ai_msg.content)


# Source: OpenAI chat-completions options that ChatOpenAI code passes per call (openai SDK
# "extra_headers / extra_query / extra_body", and seed/user/n/service_tier).
def test_per_call_openai_options(server: EmulatorServer) -> None:
    llm = ChatOpenAI(model="deepseek-chat")
    with pytest.warns(IgnoredParameterWarning, match="seed"):
        llm.invoke(
            "Hello",
            seed=42,
            user="end-user-7",
            n=1,
            timeout=20,
            extra_headers={"X-Request-Tag": "t1"},
            extra_query={"trace": "1"},
            extra_body={"thinking": {"type": "disabled"}},
        )
    (sent,) = chats(server)
    assert sent.json["user_id"] == "end-user-7" and sent.json["thinking"] == {"type": "disabled"}
    for name in ("seed", "user", "n", "timeout", "extra_headers", "extra_query", "extra_body"):
        assert name not in sent.json
    assert sent.headers["x-request-tag"] == "t1" and "trace=1" in sent.path

    with pytest.raises(InvalidRequestError, match="did you mean 'temperature'"):
        llm.invoke("Hello", temprature=0.2)
    assert len(chats(server)) == 1  # the misspelling was refused before anything was sent


class ContactInfo(BaseModel):
    """Contact information for a person."""

    name: str = Field(description="The name of the person")
    email: str = Field(description="The email address of the person")
    phone: str = Field(description="The phone number of the person")


# Source: langchain docs, "Structured output" (oss/python/langchain/structured-output):
# create_agent(model, tools, response_format=ContactInfo) and result["structured_response"].
@pytest.mark.parametrize("model_name", ["deepseek-chat", "deepseek-reasoner"])
def test_create_agent_with_response_format(server: EmulatorServer, model_name: str) -> None:
    from langchain.agents import create_agent

    @tool
    def search_tool(query: str) -> str:
        """Search the address book."""
        return "John Doe, john@example.com, (555) 123-4567"

    agent = create_agent(
        model=ChatDeepSeek(model=model_name), tools=[search_tool], response_format=ContactInfo
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredParameterWarning)  # the reasoner's forced choice
        result = agent.invoke(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": "Extract contact info from: John Doe, john@example.com, "
                        "(555) 123-4567",
                    }
                ]
            }
        )

    first = chats(server)[0].json
    names = [spec["function"]["name"] for spec in first["tools"]]
    if model_name == "deepseek-chat":  # LangChain's tool strategy: the schema's tool, forced
        assert first["tool_choice"] == "required" and names == ["search_tool", "ContactInfo"]
    else:  # thinking mode cannot force a tool: provider strategy, served by JSON Output
        assert first["response_format"] == {"type": "json_object"} and names == ["search_tool"]
        assert '"email"' in first["messages"][0]["content"]
    assert isinstance(result["structured_response"], ContactInfo)
    assert result["structured_response"].email


# Source: langchain-openai, ChatOpenAI.with_structured_output docstring,
# method="json_schema" (include_raw=True).
@pytest.mark.parametrize("model_name", ["deepseek-chat", "deepseek-reasoner"])
def test_with_structured_output_json_schema(server: EmulatorServer, model_name: str) -> None:
    llm = ChatOpenAI(model=model_name)
    structured_llm = llm.with_structured_output(Joke, method="json_schema", include_raw=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredParameterWarning)
        result = structured_llm.invoke("Tell me a joke about cats")

    sent = chats(server)[0].json
    assert sent.get("response_format", {}).get("type") != "json_schema"
    assert result["parsing_error"] is None
    assert isinstance(result["parsed"], Joke)
    assert isinstance(result["raw"], AIMessage)
