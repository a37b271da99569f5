"""ChatDeepSeek/ChatOpenAI parameters and habits: each accepted with effect, or refused by name."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.load import dumpd, load
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ValidationError

from deepseekapi_core import IgnoredParameterWarning
from deepseekapi_core.http import DEFAULT_BASE_URL
from deepseekapi_core.http._config import DEEPSEEK_DEFAULT_BASE_URL
from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import ChatDeepSeekAPI

from .conftest import KEY, ModelFactory


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    age: int


PROMPT = "Extract the person: Ana Lopez is 31 years old."


# ----------------------------------------------------------------------------------------
# Where requests go


def test_a_deepseek_key_goes_to_deepseek_api_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds")
    monkeypatch.setenv("DEEPSEEK_API_BASE", "https://ds.example/v1")
    llm = ChatDeepSeekAPI()
    assert llm.base_url == "https://ds.example/v1"
    assert llm.client.base_url == "https://ds.example/v1"
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "sk-ds"
    assert dumpd(llm)["kwargs"]["api_key"]["id"] == ["DEEPSEEK_API_KEY"]


def test_a_deepseek_key_never_goes_to_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds")
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", "https://proxy.example/v1")
    assert ChatDeepSeekAPI().base_url == DEEPSEEK_DEFAULT_BASE_URL
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "sk-own")
    assert ChatDeepSeekAPI().base_url == "https://proxy.example/v1"


def test_openai_style_names_for_key_and_base_url() -> None:
    llm = ChatDeepSeekAPI(openai_api_key="sk-x", openai_api_base="https://gw.example/v1")
    assert llm.base_url == "https://gw.example/v1"
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "sk-x"


# ----------------------------------------------------------------------------------------
# Constructor parameters


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("organization", "org-1"),
        ("use_responses_api", True),
        ("reasoning", {"effort": "high"}),
        ("verbosity", "low"),
        ("tiktoken_model_name", "gpt-4"),
        ("client", object()),
    ],
)
def test_meaningless_peer_parameters_are_refused_by_name(name: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=name):
        ChatDeepSeekAPI(api_key=KEY, **{name: value})


def test_openai_proxy_is_the_proxy_option() -> None:
    llm = ChatDeepSeekAPI(api_key=KEY, openai_proxy="http://proxy.example:3128")
    assert llm.clients.options.proxy == "http://proxy.example:3128"


def test_use_responses_api_false_is_accepted() -> None:
    assert ChatDeepSeekAPI(api_key=KEY, use_responses_api=False).model_kwargs == {}


def test_ignored_constructor_options_warn_and_are_not_sent(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    with pytest.warns(IgnoredParameterWarning, match="logit_bias, seed"):
        llm = make_llm(seed=7, logit_bias={"1": 1}, n=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm.invoke("hi")
    body = emulator.chat_requests[0].json
    assert not {"seed", "logit_bias", "n"} & set(body)


def test_more_than_one_choice_is_refused_at_construction() -> None:
    with pytest.raises(ValidationError, match="one choice"):
        ChatDeepSeekAPI(api_key=KEY, n=3)


def test_an_unknown_constructor_name_warns_with_a_suggestion(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    with pytest.warns(UserWarning, match="did you mean 'temperature'"):
        llm = make_llm(temprature=0.3)
    llm.invoke("hi")
    assert emulator.chat_requests[0].json["temprature"] == 0.3  # sent, as the warning said


def test_client_options_never_enter_the_body(make_llm: ModelFactory, emulator: Emulator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm = make_llm(
            default_query={"tenant": "acme"},
            include_response_headers=True,
            disabled_params={"parallel_tool_calls": None},
            stream_chunk_timeout=30,
            timeout=(3, 40),
        )
    reply = llm.invoke("hi")
    chunks = list(llm.stream("hi"))
    sent, streamed = [r for r in emulator.requests if r.method == "POST"]
    for recorded in (sent, streamed):
        assert "tenant=acme" in recorded.path
        assert not {"default_query", "include_response_headers", "disabled_params"} & set(
            recorded.json
        )
        assert not {"stream_chunk_timeout", "timeout", "http_client"} & set(recorded.json)
    assert "content-type" in reply.response_metadata["headers"]
    assert "content-type" in chunks[-1].response_metadata["headers"]


def test_timeouts_reach_the_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if b'"stream":true' in request.content:
            body = (
                b'data: {"choices":[{"index":0,"delta":{"content":"hi"},'
                b'"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
            )
            return httpx.Response(200, content=body)
        return httpx.Response(200, json={"choices": [{"message": {"content": "hi"}}]})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    llm = ChatDeepSeekAPI(api_key=KEY, http_client=http, timeout=(2, 40), stream_chunk_timeout=7)
    llm.invoke("hi")
    list(llm.stream("hi"))
    llm.invoke("hi", timeout=5)
    plain, streamed, per_call = (request.extensions["timeout"] for request in seen)
    assert (plain["connect"], plain["read"]) == (2, 40)
    assert (streamed["connect"], streamed["read"]) == (2, 7)
    assert per_call["read"] == 5


def test_disabled_params_are_not_sent(make_llm: ModelFactory, emulator: Emulator) -> None:
    llm = make_llm(disabled_params={"top_p": None, "temperature": [0.5]}, top_p=0.3)
    llm.invoke("hi", temperature=0.5)
    llm.invoke("hi", temperature=0.7)
    first, second = (r.json for r in emulator.chat_requests)
    assert "top_p" not in first and "temperature" not in first
    assert second["temperature"] == 0.7


# ----------------------------------------------------------------------------------------
# llm_output, token_usage


def test_generate_fills_llm_output_like_chatopenai(make_llm: ModelFactory) -> None:
    llm = make_llm()
    result = llm.generate([[HumanMessage("one")], [HumanMessage("two words")]])
    usages = [g[0].message.response_metadata["token_usage"] for g in result.generations]
    output = result.llm_output
    assert output is not None and output["model_name"] == "deepseek-chat"
    assert output["system_fingerprint"]
    assert output["token_usage"]["total_tokens"] == sum(u["total_tokens"] for u in usages)
    assert output["token_usage"]["prompt_tokens"] == sum(u["prompt_tokens"] for u in usages)


def test_token_usage_keeps_the_services_nested_shape(make_llm: ModelFactory) -> None:
    reply = make_llm(model="deepseek-reasoner").invoke("Why is the sky blue?")
    usage = reply.response_metadata["token_usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] > 0
    assert "prompt_cache_hit_tokens" in usage and "prompt_cache_miss_tokens" in usage
    assert usage["prompt_tokens_details"]["cached_tokens"] == usage["prompt_cache_hit_tokens"]


# ----------------------------------------------------------------------------------------
# Structured output on the reasoner: the object or an exception, never a bare None


def test_reasoner_prose_gets_one_corrective_turn(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    emulator.script.reply_text("Ana Lopez, 31.").reply_tool_call(
        "Person", {"name": "Ana Lopez", "age": 31}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the tool is offered on "auto": nothing is dropped
        result = make_llm(model="deepseek-reasoner").with_structured_output(Person).invoke(PROMPT)
    assert result == Person(name="Ana Lopez", age=31)
    first, second = (r.json for r in emulator.chat_requests)
    assert first["tool_choice"] == "auto"
    assert second["messages"][-2]["content"] == "Ana Lopez, 31."
    assert "call the Person tool" in second["messages"][-1]["content"]


def test_reasoner_prose_twice_is_an_output_parser_exception(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    emulator.script.reply_text("Ana, I think.").reply_text("Still prose.")
    emulator.script.reply_text("Ana, I think.").reply_text("Still prose.")
    llm = make_llm(model="deepseek-reasoner")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredParameterWarning)
        with pytest.raises(OutputParserException) as caught:
            llm.with_structured_output(Person).invoke(PROMPT)
        assert caught.value.llm_output == "Still prose."
        raw = llm.with_structured_output(Person, include_raw=True).invoke(PROMPT)
    assert isinstance(raw, dict)
    assert raw["parsed"] is None and isinstance(raw["parsing_error"], OutputParserException)
    assert raw["raw"].content == "Still prose."
    assert len(emulator.chat_requests) == 4  # one corrective turn each, no more


def test_reasoner_json_text_is_accepted_without_a_second_turn(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    emulator.script.reply_text('{"name": "Ana Lopez", "age": 31}')
    emulator.script.reply_text('```json\n{"name": "Ana Lopez", "age": 31}\n```')
    llm = make_llm(model="deepseek-reasoner")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredParameterWarning)
        parsed = llm.with_structured_output(Person).invoke(PROMPT)
    assert parsed == Person(name="Ana Lopez", age=31)
    assert len(emulator.chat_requests) == 2  # the text had no call: one corrective turn


def test_reasoner_structured_output_streams(make_llm: ModelFactory) -> None:
    llm = make_llm(model="deepseek-reasoner")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredParameterWarning)
        parts = list(llm.with_structured_output(Person).stream(PROMPT))
    assert parts and parts[-1] == Person(name="Ana Lopez", age=31)


# ----------------------------------------------------------------------------------------
# load(): the recipe in docs/langchain.md, as written


def test_the_documented_load_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "sk-load-recipe-secret-0001")
    data = dumpd(ChatDeepSeekAPI(model="deepseek-reasoner", temperature=0.2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load() is in beta
        llm = load(
            data, valid_namespaces=["langchain_deepseekapi"], allowed_objects=[ChatDeepSeekAPI]
        )
    assert isinstance(llm, ChatDeepSeekAPI)
    assert (llm.model_name, llm.temperature, llm.base_url) == (
        "deepseek-reasoner",
        0.2,
        DEFAULT_BASE_URL,
    )
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "sk-load-recipe-secret-0001"


def test_a_wrong_load_call_does_not_print_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-load-recipe-secret-0002"
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", secret)
    data = dumpd(ChatDeepSeekAPI())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as caught:  # no valid_namespaces
            load(data, allowed_objects=[ChatDeepSeekAPI])
    assert secret not in str(caught.value)


# ----------------------------------------------------------------------------------------
# create_agent(llm, tools, response_format=Model): a tool loop, then the structured response


class Weather(BaseModel):
    """The weather report."""

    city: str
    summary: str


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
def test_create_agent_with_tools_and_response_format(
    model: str, make_llm: ModelFactory, emulator: Emulator
) -> None:
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return f"It is sunny and 22C in {city}."

    agent = create_agent(make_llm(model=model), [get_weather], response_format=Weather)
    result = agent.invoke({"messages": [("user", "What is the weather in Paris?")]})

    assert result["structured_response"] == Weather(
        city="Paris", summary=result["structured_response"].summary
    )
    first, second = (r.json for r in emulator.chat_requests)
    assert first["messages"][-1]["role"] == "user"
    assert second["messages"][-1] == {
        "role": "tool",
        "content": "It is sunny and 22C in Paris.",
        "tool_call_id": second["messages"][-2]["tool_calls"][0]["id"],
    }
    assert all(
        body.get("response_format", {}).get("type") != "json_schema" for body in (first, second)
    )


def test_a_refused_keywords_error_never_quotes_the_key() -> None:
    secret = "sk-never-in-an-error-0042"
    for keywords in ({"organization": "org-1"}, {"temperature": "hot"}, {"n": 2}):
        with pytest.raises(ValidationError) as caught:
            ChatDeepSeekAPI(api_key=secret, **keywords)
        assert secret not in str(caught.value) and secret not in repr(caught.value)


def test_langchains_own_fields_are_kept_beside_unknown_names() -> None:
    # metadata is a LangChain field (tracing), not the openai option the service ignores.
    with pytest.warns(UserWarning, match="moved to model_kwargs"):
        llm = ChatDeepSeekAPI(api_key=KEY, metadata={"run": "a"}, user_tier="gold")
    assert llm.metadata is not None and llm.metadata["run"] == "a"
    assert llm.model_kwargs == {"user_tier": "gold"}


def test_text_is_the_one_modality() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ChatDeepSeekAPI(api_key=KEY, modalities=["text"]).model_kwargs == {}
    with pytest.raises(ValidationError, match="produce text only"):
        ChatDeepSeekAPI(api_key=KEY, modalities=["text", "audio"])


def test_base_url_under_two_names_with_different_values_is_refused() -> None:
    """ChatDeepSeek's api_base and ChatOpenAI's base_url both given: no silent winner (the
    base URL decides which host receives the key)."""
    with pytest.raises(ValueError, match="api_base and base_url"):
        ChatDeepSeekAPI(
            api_key="k", api_base="https://a.example/v1", base_url="https://b.example/v1"
        )


def test_temperature_given_directly_and_in_model_kwargs_with_different_values_is_refused() -> None:
    with pytest.raises(ValueError, match="temperature"):
        ChatDeepSeekAPI(api_key="k", temperature=0.5, model_kwargs={"temperature": 0.2})
