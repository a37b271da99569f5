"""Where requests go and which key they carry: the pairing rule, row by row."""

from __future__ import annotations

import httpx
import pytest

from deepseekapi_core import DeepSeekClient
from deepseekapi_core.http import DEFAULT_BASE_URL
from deepseekapi_core.http._config import (
    DEEPSEEK_DEFAULT_BASE_URL,
    resolve_endpoint,
    resolve_timeout,
)

OWN = "sk-own-family"
THEIRS = "sk-deepseek-family"
CUSTOM = "https://gateway.example/v1"
OWN_URL = "https://own.example/v1"
DS_URL = "https://ds.example"

# (arguments, environment, expected key, expected URL)
ROWS: list[tuple[dict[str, str], dict[str, str], str | None, str]] = [
    # nothing anywhere: the proxy, no key
    ({}, {}, None, DEFAULT_BASE_URL),
    # only this package's family
    ({}, {"DEEPSEEKAPI_API_KEY": OWN}, OWN, DEFAULT_BASE_URL),
    ({}, {"DEEPSEEKAPI_API_KEY": OWN, "DEEPSEEKAPI_BASE_URL": OWN_URL}, OWN, OWN_URL),
    # only DeepSeek's family: DeepSeek's own host, never the proxy
    ({}, {"DEEPSEEK_API_KEY": THEIRS}, THEIRS, DEEPSEEK_DEFAULT_BASE_URL),
    ({}, {"DEEPSEEK_API_KEY": THEIRS, "DEEPSEEK_API_BASE": DS_URL}, THEIRS, DS_URL),
    ({}, {"DEEPSEEK_API_KEY": THEIRS, "DEEPSEEK_BASE_URL": DS_URL}, THEIRS, DS_URL),
    # a half family does not capture the other family's key
    (
        {},
        {"DEEPSEEK_API_KEY": THEIRS, "DEEPSEEKAPI_BASE_URL": OWN_URL},
        THEIRS,
        DEEPSEEK_DEFAULT_BASE_URL,
    ),
    ({}, {"DEEPSEEKAPI_API_KEY": OWN, "DEEPSEEK_API_BASE": DS_URL}, OWN, DEFAULT_BASE_URL),
    # both families: this package's first, each with its own URL
    (
        {},
        {
            "DEEPSEEKAPI_API_KEY": OWN,
            "DEEPSEEK_API_KEY": THEIRS,
            "DEEPSEEK_API_BASE": DS_URL,
        },
        OWN,
        DEFAULT_BASE_URL,
    ),
    # no key at all: the first base URL named, and an error at the first request
    ({}, {"DEEPSEEK_API_BASE": DS_URL}, None, DS_URL),
    # explicit base URL + key from the environment: the host you named
    ({"base_url": CUSTOM}, {"DEEPSEEK_API_KEY": THEIRS}, THEIRS, CUSTOM),
    ({"base_url": CUSTOM}, {"DEEPSEEKAPI_API_KEY": OWN, "DEEPSEEK_API_KEY": THEIRS}, OWN, CUSTOM),
    # explicit key + base URL from the environment: the key's family decides
    ({"api_key": THEIRS}, {"DEEPSEEK_API_KEY": THEIRS}, THEIRS, DEEPSEEK_DEFAULT_BASE_URL),
    (
        {"api_key": THEIRS},
        {"DEEPSEEK_API_KEY": THEIRS, "DEEPSEEKAPI_BASE_URL": OWN_URL},
        THEIRS,
        DEEPSEEK_DEFAULT_BASE_URL,
    ),
    (
        {"api_key": OWN},
        {"DEEPSEEKAPI_API_KEY": OWN, "DEEPSEEK_API_BASE": DS_URL},
        OWN,
        DEFAULT_BASE_URL,
    ),
    # an explicit key of no known family: the base URL variable named, else the proxy
    ({"api_key": "sk-other"}, {}, "sk-other", DEFAULT_BASE_URL),
    ({"api_key": "sk-other"}, {"DEEPSEEK_API_BASE": DS_URL}, "sk-other", DS_URL),
    (
        {"api_key": "sk-other"},
        {"DEEPSEEKAPI_BASE_URL": OWN_URL, "DEEPSEEK_API_BASE": DS_URL},
        "sk-other",
        OWN_URL,
    ),
    # both explicit: both win over everything
    (
        {"api_key": "sk-arg", "base_url": CUSTOM + "/"},
        {"DEEPSEEKAPI_API_KEY": OWN, "DEEPSEEKAPI_BASE_URL": OWN_URL},
        "sk-arg",
        CUSTOM,
    ),
]


@pytest.mark.parametrize(("arguments", "environ", "key", "url"), ROWS)
def test_key_and_base_url_are_resolved_as_a_pair(
    arguments: dict[str, str], environ: dict[str, str], key: str | None, url: str
) -> None:
    endpoint = resolve_endpoint(**arguments, environ=environ)  # type: ignore[arg-type]
    assert (endpoint.api_key.get_secret_value() if endpoint.api_key else None) == key
    assert endpoint.base_url == url


def test_client_sends_a_deepseek_key_to_deepseek_not_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", THEIRS)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    with DeepSeekClient(transport=httpx.MockTransport(handler)) as client:
        client.list_models()
    assert str(seen[0].url) == DEEPSEEK_DEFAULT_BASE_URL + "/models"
    assert seen[0].headers["authorization"] == f"Bearer {THEIRS}"


def test_the_endpoint_repr_never_shows_the_key() -> None:
    assert THEIRS not in repr(resolve_endpoint(THEIRS, CUSTOM))


@pytest.mark.parametrize(
    ("spec", "connect", "read"),
    [
        (5, 5.0, 5.0),
        (30.0, 10.0, 30.0),
        ((2.0, 40.0), 2.0, 40.0),
        (httpx.Timeout(7.0, connect=1.0), 1.0, 7.0),
        ([3.0, 20.0], 3.0, 20.0),  # a pair after a JSON round trip
        (httpx.Timeout(9.0, connect=2.0).as_dict(), 2.0, 9.0),
    ],
)
def test_timeout_forms(spec: object, connect: float, read: float) -> None:
    timeout = resolve_timeout(spec)  # type: ignore[arg-type]
    assert (timeout.connect, timeout.read) == (connect, read)


@pytest.mark.parametrize("bad", [0, -1, "5", (1.0, 2.0, 3.0), True])
def test_bad_timeouts_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        resolve_timeout(bad)  # type: ignore[arg-type]
