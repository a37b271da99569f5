"""Issue 23 points 10 and 13: credentials in ``base_url`` are refused (naming the problem,
never the secret); a plain ``http://`` base URL to another host warns once."""

from __future__ import annotations

import warnings

import pytest

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient
from deepseekapi_core.http import ClientOptions, InsecureBaseURLWarning, InvalidRequestError

from .helpers import API_KEY

_SECRET = "hunter2-gateway-pass"


@pytest.mark.parametrize(
    "url",
    [
        f"http://user:{_SECRET}@gateway.example/v1",
        f"https://{_SECRET}@gateway.example/v1",
        f"https://user:{_SECRET}@gateway.example",
    ],
)
@pytest.mark.parametrize("build", [ClientOptions, DeepSeekClient, AsyncDeepSeekClient])
def test_credentials_in_base_url_are_refused(url: str, build: type) -> None:
    with pytest.raises(InvalidRequestError) as info:
        build(api_key=API_KEY, base_url=url)
    message = str(info.value)
    assert "credentials" in message and "default_headers" in message
    assert _SECRET not in message and "user" not in message.split("credentials")[0]
    assert _SECRET not in repr(info.value) and info.value.param == "base_url"


def test_credentials_in_the_base_url_variable_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", f"https://u:{_SECRET}@gw.example/v1")
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", API_KEY)
    with pytest.raises(InvalidRequestError) as info:
        DeepSeekClient()
    assert _SECRET not in str(info.value) and "DEEPSEEKAPI_BASE_URL" in str(info.value)


def test_plain_http_to_another_host_warns_once() -> None:
    url = "http://gateway-warn-once.example/v1"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DeepSeekClient(api_key=API_KEY, base_url=url).close()
        DeepSeekClient(api_key=API_KEY, base_url=url).close()
    found = [w for w in caught if issubclass(w.category, InsecureBaseURLWarning)]
    assert len(found) == 1
    assert issubclass(InsecureBaseURLWarning, UserWarning)
    assert "gateway-warn-once.example" in str(found[0].message)
    assert "unencrypted" in str(found[0].message) and API_KEY not in str(found[0].message)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1",
        "http://localhost:8000/v1",
        "http://[::1]:8000/v1",
        "http://127.5.6.7/v1",
        "https://gateway.example/v1",
    ],
)
def test_https_and_loopback_do_not_warn(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureBaseURLWarning)
        DeepSeekClient(api_key=API_KEY, base_url=url).close()
