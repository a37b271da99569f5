"""The client holder the adapters share: options, sync client, one async client per loop."""

from __future__ import annotations

import asyncio
import copy
import pickle

import httpx
import pytest

from deepseekapi_core import Era, InvalidRequestError, RetryPolicy
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core.http._options import ClientOptions
from deepseekapi_core.testing import Emulator

KEY = "sk-test-holder"


def holder(**options: object) -> ClientHolder:
    return ClientHolder(ClientOptions(api_key=KEY, **options))  # type: ignore[arg-type]


class SyncOnly(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError("not called")


class AsyncOnly(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError("not called")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("transport", "not a transport"),
        ("async_transport", SyncOnly()),
        ("http_client", httpx.AsyncClient()),
        ("async_http_client", httpx.Client()),
        ("retry_policy", {"max_retries": 1}),
        ("max_retries", -1),
        ("max_retries", 1.5),
    ],
)
def test_bad_options_are_refused_naming_the_option(name: str, value: object) -> None:
    with pytest.raises(InvalidRequestError, match=name) as caught:
        ClientOptions(**{name: value})  # type: ignore[arg-type]
    assert caught.value.param == name


def test_era_given_by_value_or_left_to_the_default() -> None:
    assert ClientOptions(era="r1").era is Era.R1  # type: ignore[arg-type]
    assert ClientOptions(era=None).era is ClientOptions().era  # type: ignore[arg-type]


def test_transport_of_the_wrong_kind_is_a_clear_error_on_use() -> None:
    sync_only = holder(transport=SyncOnly())
    assert sync_only.client is sync_only.client
    with pytest.raises(InvalidRequestError, match="sync-only"):
        _ = sync_only.async_client
    async_only = holder(transport=AsyncOnly())
    with pytest.raises(InvalidRequestError, match="async-only"):
        _ = async_only.client
    assert async_only.async_client is async_only.async_client


def test_options_reach_the_clients() -> None:
    policy = RetryPolicy(max_retries=5)
    clients = holder(base_url="http://127.0.0.1:1/v1/", retry_policy=policy, era=Era.R1)
    assert clients.client.base_url == "http://127.0.0.1:1/v1"
    assert clients.client.retry_policy is policy and clients.client.era is Era.R1


def test_update_closes_the_discarded_client_and_builds_a_new_one() -> None:
    clients = holder(transport=Emulator().transport())
    first = clients.client
    clients.update(base_url="http://127.0.0.1:2/v1")
    assert first._http.is_closed
    second = clients.client
    assert second is not first and second.base_url == "http://127.0.0.1:2/v1"
    clients.close()
    assert second._http.is_closed


def test_injected_http_clients_are_used_and_never_closed() -> None:
    http = httpx.Client(transport=Emulator().transport())
    async_http = httpx.AsyncClient(transport=Emulator().transport())
    clients = holder(http_client=http, async_http_client=async_http)
    assert clients.client._http is http
    first = asyncio.run(_async_client(clients))
    assert asyncio.run(_async_client(clients)) is first  # the caller's client serves every loop
    clients.close()
    assert not http.is_closed and not async_http.is_closed
    asyncio.run(async_http.aclose())
    http.close()


async def _async_client(clients: ClientHolder) -> object:
    return clients.async_client


def test_one_async_client_per_event_loop() -> None:
    clients = holder(transport=Emulator().transport())

    async def twice() -> tuple[object, object]:
        return clients.async_client, clients.async_client

    first, again = asyncio.run(twice())
    assert first is again
    second, _ = asyncio.run(twice())
    assert second is not first
    assert len(clients._async_clients) <= 1  # ended loops' clients are let go


async def test_aclose_closes_the_running_loops_client() -> None:
    clients = holder(transport=Emulator().transport())
    client = clients.async_client
    await clients.aclose()
    assert client._http.is_closed
    assert clients.async_client is not client


def test_injected_sleeps_take_effect_at_once() -> None:
    emulator = Emulator()
    clients = holder(transport=emulator.transport())
    waits: list[float] = []
    _ = clients.client  # built before the sleep is set
    clients.sleep = waits.append
    # A 503, not a 429: a 429's Retry-After would also pause the account's next request.
    emulator.faults.status(503, retry_after=4, times=1)
    clients.client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert waits == [4.0]

    async def call() -> None:
        await clients.async_client.chat(
            model="deepseek-chat", messages=[{"role": "user", "content": "hi"}]
        )

    async def record(seconds: float) -> None:
        waits.append(seconds)

    clients.async_sleep = record
    emulator.faults.status(503, retry_after=2, times=1)
    asyncio.run(call())
    assert waits == [4.0, 2.0]


def test_copies_share_the_options_and_build_their_own_clients() -> None:
    transport = Emulator().transport()
    clients = holder(transport=transport, max_retries=4)
    clients.sleep = print
    built = clients.client
    for clone in (copy.deepcopy(clients), copy.copy(clients)):
        assert clone.options is clients.options and clone.sleep is print
        assert clone.client is not built
    restored = pickle.loads(pickle.dumps(holder(max_retries=3)))
    assert restored.options.max_retries == 3
    assert KEY not in repr(clients)
