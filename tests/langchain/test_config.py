"""Construction, configuration, metadata and secrecy of ChatDeepSeekAPI."""

from __future__ import annotations

import copy
import json
import pickle

import httpx
import pytest
from langchain_core.load import dumpd, dumps
from pydantic import SecretStr

from deepseekapi_core import Era, MissingAPIKeyError
from deepseekapi_core.http import DEFAULT_BASE_URL, InvalidAPIKeyError
from langchain_deepseekapi import ChatDeepSeekAPI

from .conftest import KEY, ModelFactory
from .helpers import Recorder, completion


def test_defaults() -> None:
    llm = ChatDeepSeekAPI()
    assert llm.model_name == "deepseek-chat"
    assert llm.api_key is None
    assert llm.base_url == DEFAULT_BASE_URL  # resolved at construction, paired with the key
    assert llm.max_retries == 2
    assert llm.stream_usage is True
    assert llm.streaming is False
    assert llm.reasoning_replay == "auto"
    assert llm.era is Era.V4_1
    assert llm.client.base_url == DEFAULT_BASE_URL


def test_aliases_like_chatopenai() -> None:
    llm = ChatDeepSeekAPI(
        model="deepseek-reasoner",
        max_completion_tokens=50,
        stop_sequences=["END"],
        request_timeout=5,
        api_base="https://proxy.test/v1",
    )
    assert llm.model_name == "deepseek-reasoner"
    assert llm.max_tokens == 50
    assert llm.stop == ["END"]
    assert llm.timeout == 5
    assert llm.base_url == "https://proxy.test/v1"
    by_name = ChatDeepSeekAPI(model_name="deepseek-chat", max_tokens=9, base_url="http://x/v1")
    assert (by_name.model_name, by_name.max_tokens, by_name.base_url) == (
        "deepseek-chat",
        9,
        "http://x/v1",
    )


def test_api_key_environment_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "from-deepseek")
    assert ChatDeepSeekAPI().api_key == SecretStr("from-deepseek")
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "from-deepseekapi")
    assert ChatDeepSeekAPI().api_key == SecretStr("from-deepseekapi")
    assert ChatDeepSeekAPI(api_key="explicit").api_key == SecretStr("explicit")


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", "https://env.test/v1")
    llm = ChatDeepSeekAPI(api_key="k")
    assert llm.base_url == "https://env.test/v1"
    assert llm.client.base_url == "https://env.test/v1"


def test_missing_key_is_a_clear_error_at_the_first_request() -> None:
    recorder = Recorder(completion())
    llm = ChatDeepSeekAPI(transport=recorder.transport())  # constructing needs no key
    with pytest.raises(MissingAPIKeyError, match="DEEPSEEKAPI_API_KEY"):
        llm.invoke("hi")
    assert recorder.bodies == []


def test_key_never_shown() -> None:
    secret = "sk-very-secret-0123456789"
    llm = ChatDeepSeekAPI(api_key=secret)
    assert secret not in repr(llm)
    assert secret not in str(llm)
    assert secret not in repr(llm.client)
    assert secret not in dumps(llm)
    if hasattr(llm, "asdict"):  # langchain-core 1.5+; the lowest-versions CI leg has 1.4
        assert secret not in json.dumps(llm.asdict(), default=str)
    assert dumpd(llm)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["DEEPSEEKAPI_API_KEY"],
    }
    assert llm.lc_secrets == {"api_key": "DEEPSEEKAPI_API_KEY"}


def test_ls_params() -> None:
    llm = ChatDeepSeekAPI(model="deepseek-chat", temperature=0.3, max_tokens=20, stop="X")
    params = llm._get_ls_params()
    assert params == {
        "ls_provider": "deepseek",
        "ls_model_name": "deepseek-chat",
        "ls_model_type": "chat",
        "ls_temperature": 0.3,
        "ls_max_tokens": 20,
        "ls_stop": ["X"],
    }
    override = llm._get_ls_params(stop=["Y"], model="deepseek-reasoner", temperature=1.0)
    assert override["ls_model_name"] == "deepseek-reasoner"
    assert override["ls_temperature"] == 1.0
    assert override["ls_stop"] == ["Y"]


def test_unknown_constructor_arguments_go_to_model_kwargs(make_llm: ModelFactory) -> None:
    with pytest.warns(UserWarning, match="moved to model_kwargs"):
        llm = make_llm(user_tier="gold")
    assert llm.model_kwargs == {"user_tier": "gold"}
    with pytest.raises(ValueError, match="both directly and in model_kwargs"):
        ChatDeepSeekAPI(user_tier="gold", model_kwargs={"user_tier": "silver"})


def test_clients_built_once_and_reused(make_llm: ModelFactory) -> None:
    llm = make_llm()
    llm.invoke("one")
    first = llm.client
    llm.invoke("two")
    list(llm.stream("three"))
    assert llm.client is first


async def test_async_client_built_once_per_loop(make_llm: ModelFactory) -> None:
    llm = make_llm()
    await llm.ainvoke("one")
    first = llm.async_client
    await llm.ainvoke("two")
    assert llm.async_client is first


def test_injected_http_clients_are_used() -> None:
    sync_recorder = Recorder(completion("sync"))
    async_recorder = Recorder(completion("async"))
    llm = ChatDeepSeekAPI(
        api_key=KEY,
        http_client=httpx.Client(transport=sync_recorder.transport()),
        http_async_client=httpx.AsyncClient(transport=async_recorder.transport()),
    )
    assert llm.invoke("hi").content == "sync"
    assert len(sync_recorder.bodies) == 1 and not async_recorder.bodies


async def test_injected_async_http_client_is_used() -> None:
    async_recorder = Recorder(completion("async"))
    llm = ChatDeepSeekAPI(
        api_key=KEY, http_async_client=httpx.AsyncClient(transport=async_recorder.transport())
    )
    assert (await llm.ainvoke("hi")).content == "async"
    assert len(async_recorder.bodies) == 1


def test_sync_only_transport_refuses_async_use_clearly() -> None:
    class SyncOnly(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=completion())

    llm = ChatDeepSeekAPI(api_key=KEY, transport=SyncOnly())
    assert llm.invoke("hi").content == "Hello!"
    with pytest.raises(ValueError, match="sync-only"):
        _ = llm.async_client


def test_model_profile_from_the_registry() -> None:
    chat = ChatDeepSeekAPI(model="deepseek-chat").profile
    reasoner = ChatDeepSeekAPI(model="deepseek-reasoner").profile
    assert chat is not None and reasoner is not None
    assert chat["reasoning_output"] is False and reasoner["reasoning_output"] is True
    assert chat["max_input_tokens"] == 1_048_576
    assert chat["tool_calling"] is True and chat["image_inputs"] is False
    old = ChatDeepSeekAPI(model="deepseek-reasoner", era="r1").profile
    assert old is not None and old["tool_calling"] is False


def test_picklable_copy_keeps_working(make_llm: ModelFactory) -> None:
    llm = make_llm()
    llm.invoke("warm up")
    copy = llm.model_copy(update={"temperature": 0.5})
    assert copy.invoke("hi").content
    clone = pickle.loads(pickle.dumps(ChatDeepSeekAPI(api_key="k", temperature=0.2)))
    assert clone.temperature == 0.2
    used = ChatDeepSeekAPI(api_key="k", temperature=0.4)
    _ = used.client  # a built connection pool is not pickled
    clone = pickle.loads(pickle.dumps(used))
    assert clone.temperature == 0.4
    assert clone.client is not used.client


def test_deep_copy_shares_the_transport_and_builds_its_own_client(
    make_llm: ModelFactory,
) -> None:
    llm = make_llm()
    llm.invoke("warm up")
    clone = copy.deepcopy(llm)
    assert clone.transport is llm.transport
    assert clone.invoke("hi").content
    assert clone.client is not llm.client


@pytest.mark.parametrize(
    ("name", "value"),
    [("deadline", 0), ("max_concurrency", 0), ("max_retries", -1), ("max_retries", 1.5)],
)
def test_bad_client_options_are_refused_at_construction(name: str, value: object) -> None:
    """As DeepSeekAPI does: a bad client option is an error where the model is built, naming
    the option, not at its first request (which may be far away, in a chain or an agent)."""
    with pytest.raises(ValueError, match=name):
        ChatDeepSeekAPI(api_key=KEY, **{name: value})


def test_a_bad_key_in_the_environment_keeps_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "sk-abc\ndef")
    with pytest.raises(InvalidAPIKeyError, match="DEEPSEEKAPI_API_KEY environment variable"):
        ChatDeepSeekAPI()
