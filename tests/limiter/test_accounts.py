"""One account, one limit, however its endpoint is written (issue 23, point 5)."""

from __future__ import annotations

import pytest

from deepseekapi_core.accounting._limiter import AccountGate, InProcessLimiter, account_id

from .helpers import API_KEY

SAME_ACCOUNT = [
    "https://api.example.test/v1",
    "https://api.example.test/v1/",
    "https://API.Example.TEST/v1",
    "HTTPS://api.example.test/v1",
    "https://api.example.test:443/v1",
    "https://api.example.test:443/v1//",
]


@pytest.mark.parametrize("written", SAME_ACCOUNT)
def test_spellings_of_one_endpoint_are_one_account(written: str) -> None:
    assert account_id(written, API_KEY) == account_id(SAME_ACCOUNT[0], API_KEY)


def test_spellings_share_one_cap() -> None:
    limiter = InProcessLimiter(max_concurrency=1)
    gates = [AccountGate(limiter, None, base_url=url, api_key=API_KEY) for url in SAME_ACCOUNT]
    held = gates[0].ticket("deepseek-chat", lambda seconds: None)
    held.acquire()
    try:
        for gate in gates[1:]:
            assert gate.in_flight("deepseek-chat") == 1
    finally:
        held.release()


@pytest.mark.parametrize(
    "other",
    [
        "http://api.example.test/v1",  # another scheme is another endpoint
        "https://api.example.test:8443/v1",
        "https://api.example.test/v2",
        "https://api.example.test/V1",  # paths are case-sensitive
        "https://gateway:secret@api.example.test/v1",
    ],
)
def test_other_endpoints_are_other_accounts(other: str) -> None:
    assert account_id(other, API_KEY) != account_id(SAME_ACCOUNT[0], API_KEY)


def test_the_default_port_of_http_and_credentials_never_in_the_account() -> None:
    assert account_id("http://h.test:80/v1", API_KEY) == account_id("http://h.test/v1", API_KEY)
    account = account_id("https://gateway:secret@api.example.test/v1", API_KEY)
    assert "secret" not in account and "gateway" not in account
    assert account.startswith("https://api.example.test/v1#")
