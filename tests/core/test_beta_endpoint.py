"""DeepSeek's beta features go to the beta base URL: where it is, which requests go there, and
what a 404 from it says."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest

from deepseekapi_core import DeepSeekClient, NotFoundError
from deepseekapi_core.http import BetaEndpointNotFoundError, InvalidRequestError
from deepseekapi_core.http._config import resolve_beta_base_url, resolve_endpoint
from deepseekapi_core.testing import Emulator

from .helpers import API_KEY, BASE_URL, Driver, Script, error_body, ok, status

WEATHER_STRICT: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
HELLO = [{"role": "user", "content": "Say hello"}]
PREFIXED = [*HELLO, {"role": "assistant", "content": "Hello", "prefix": True}]


@pytest.mark.parametrize(
    ("base_url", "beta_url"),
    [
        ("https://api.deepseekapi.dev/v1", "https://api.deepseekapi.dev/beta"),
        ("https://api.deepseekapi.dev/v1/", "https://api.deepseekapi.dev/beta"),
        ("https://api.deepseek.com", "https://api.deepseek.com/beta"),
        ("https://api.deepseek.com/v1", "https://api.deepseek.com/beta"),
        ("https://gateway.example/deepseek", "https://gateway.example/deepseek/beta"),
    ],
)
def test_the_default_beta_url_is_the_base_urls_v1_as_beta(base_url: str, beta_url: str) -> None:
    client = DeepSeekClient(api_key=API_KEY, base_url=base_url)
    assert client.beta_base_url == beta_url


def test_the_beta_base_url_argument_wins() -> None:
    client = DeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, beta_base_url="https://beta.example/x/"
    )
    assert client.beta_base_url == "https://beta.example/x"


def test_a_beta_variable_is_read_only_with_its_own_familys_endpoint() -> None:
    env = {
        "DEEPSEEKAPI_API_KEY": "sk-own",
        "DEEPSEEKAPI_BETA_BASE_URL": "https://beta.proxy.example/b",
        "DEEPSEEK_API_KEY": "sk-theirs",
        "DEEPSEEK_BETA_BASE_URL": "https://beta.deepseek.example",
    }
    own = resolve_endpoint(environ=env)
    assert resolve_beta_base_url(None, own, environ=env)[0] == "https://beta.proxy.example/b"
    theirs = resolve_endpoint("sk-theirs", environ=env)
    assert theirs.source == "deepseek"
    assert resolve_beta_base_url(None, theirs, environ=env)[0] == "https://beta.deepseek.example"
    # A key sent to a host named by argument never follows a variable to another host.
    named = resolve_endpoint("sk-own", "https://mine.example/v1", environ=env)
    assert resolve_beta_base_url(None, named, environ=env)[0] == "https://mine.example/beta"


def test_credentials_in_the_beta_url_are_refused_without_quoting_them() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        DeepSeekClient(api_key=API_KEY, beta_base_url="https://me:hunter2@beta.example/beta")
    assert caught.value.param == "beta_base_url"
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"messages": HELLO}, "/v1/chat/completions"),
        ({"messages": HELLO, "tools": [WEATHER_STRICT]}, "/beta/chat/completions"),
        ({"messages": PREFIXED}, "/beta/chat/completions"),
    ],
)
def test_only_requests_using_a_beta_feature_go_to_the_beta_url(
    mode: str, params: dict[str, Any], path: str
) -> None:
    script = Script([ok(), ok()])
    driver = Driver(mode, script)
    driver.chat(model="deepseek-chat", **params)
    driver.stream(model="deepseek-chat", **params)
    assert [request.url.path for request in script.requests] == [path, path]


def test_a_404_from_the_beta_url_names_the_url_the_reason_and_the_setting(mode: str) -> None:
    script = Script([status(404, error_body("Not Found", "invalid_request_error"))])
    driver = Driver(mode, script, max_retries=3)
    with pytest.raises(BetaEndpointNotFoundError) as caught:
        driver.chat(model="deepseek-chat", messages=PREFIXED)
    error = caught.value
    assert isinstance(error, NotFoundError)
    assert len(script.requests) == 1  # a 404 is not retried
    assert error.beta_url == "https://api.test.invalid/beta/chat/completions"
    assert error.features == ("chat prefix completion",)
    message = str(error)
    for part in (error.beta_url, "chat prefix completion", "the default", "beta_base_url"):
        assert part in message
    assert "DEEPSEEKAPI_BETA_BASE_URL" in message
    assert API_KEY not in message
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.beta_url, copy.features) == (error.beta_url, error.features)


def test_a_404_from_the_plain_url_stays_a_plain_not_found(mode: str) -> None:
    script = Script([status(404, error_body("Not Found", "invalid_request_error"))])
    with pytest.raises(NotFoundError) as caught:
        Driver(mode, script).chat(model="deepseek-chat", messages=HELLO)
    assert not isinstance(caught.value, BetaEndpointNotFoundError)


def test_a_404_streamed_from_the_beta_url_is_the_beta_error(mode: str) -> None:
    script = Script([status(404, b"")])
    outcome = Driver(mode, script, beta_base_url="https://beta.example/b").stream(
        model="deepseek-chat", messages=HELLO, tools=[WEATHER_STRICT]
    )
    assert isinstance(outcome.error, BetaEndpointNotFoundError)
    assert "https://beta.example/b/chat/completions" in str(outcome.error)
    assert "the beta_base_url argument" in str(outcome.error)


def test_the_emulator_serves_beta_chat_and_404s_other_beta_paths() -> None:
    emulator = Emulator(api_key=API_KEY)
    with DeepSeekClient(
        api_key=API_KEY, base_url="https://emulator.test/v1", transport=emulator.transport()
    ) as client:
        reply = client.chat(model="deepseek-chat", messages=HELLO, tools=[WEATHER_STRICT])
        assert reply.choices[0].message is not None
    assert emulator.last_request is not None
    assert emulator.last_request.path == "/beta/chat/completions"
    with httpx.Client(transport=emulator.transport()) as http:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        assert http.post("https://emulator.test/beta/nowhere", headers=headers).status_code == 404
        assert http.get("https://emulator.test/beta/models", headers=headers).status_code == 200
