"""The holder's calls: reuse_client, stream_chunk_timeout and the HoldsClients mixin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from deepseekapi_core import ChatRequest, InvalidRequestError, RequestOptions
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core._adapters._mixins import HoldsClients
from deepseekapi_core.http._options import ClientOptions
from deepseekapi_core.testing import Emulator

KEY = "sk-test-holder-calls"
LONG = "one two three four five six seven eight nine ten"


def request(text: str = "hi") -> ChatRequest:
    return ChatRequest(model="deepseek-chat", messages=[{"role": "user", "content": text}])


class CountingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The emulator's transport, counting how often a client closed it."""

    def __init__(self, emulator: Emulator) -> None:
        self.inner = emulator.transport()
        self.closed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.closed += 1


def holder(transport: httpx.BaseTransport, **options: object) -> ClientHolder:
    return ClientHolder(ClientOptions(api_key=KEY, transport=transport, **options))  # type: ignore[arg-type]


def test_calls_reuse_one_client_by_default() -> None:
    emulator = Emulator()
    transport = CountingTransport(emulator)
    clients = holder(transport)
    assert "[emulated" in (clients.chat(request()).choices[0].message.content or "")
    assert [chunk for chunk in clients.stream_chat(request())]
    assert clients._client is not None and transport.closed == 0
    assert emulator.request_count == 2


def test_reuse_client_false_closes_a_pool_per_request() -> None:
    emulator = Emulator()
    transport = CountingTransport(emulator)
    clients = holder(transport, reuse_client=False)
    clients.chat(request())
    assert transport.closed == 1
    chunks = list(clients.stream_chat(request()))
    assert chunks and transport.closed == 2
    assert clients._client is None  # nothing kept between requests


def test_reuse_client_false_closes_a_stream_abandoned_early() -> None:
    emulator = Emulator()
    emulator.script.reply_text(LONG)
    transport = CountingTransport(emulator)
    stream = holder(transport, reuse_client=False).stream_chat(request())
    next(iter(stream))
    assert transport.closed == 0  # still streaming
    stream.close()  # type: ignore[attr-defined]
    assert transport.closed == 1


def test_reuse_client_false_async_closes_finished_and_abandoned_streams() -> None:
    emulator = Emulator()
    emulator.script.reply_text(LONG)
    transport = CountingTransport(emulator)
    clients = holder(transport, reuse_client=False)

    async def run() -> None:
        await clients.achat(request())
        assert transport.closed == 1
        stream = clients.astream_chat(request())
        await stream.__anext__()
        assert transport.closed == 1
        assert isinstance(stream, AsyncIterator)
        await stream.aclose()  # type: ignore[attr-defined]
        assert transport.closed == 2
        assert [chunk async for chunk in clients.astream_chat(request())]
        assert transport.closed == 3

    asyncio.run(run())
    assert not clients._async_clients


def test_stream_errors_are_raised_before_anything_is_sent() -> None:
    emulator = Emulator()
    transport = CountingTransport(emulator)
    bad = request().model_copy(update={"logprobs": True, "model": "deepseek-reasoner"})
    for reuse in (True, False):
        clients = holder(transport, reuse_client=reuse)
        with pytest.raises(InvalidRequestError):
            clients.stream_chat(bad)  # not iterated: the error comes at the call
    assert emulator.request_count == 0
    assert transport.closed == 1  # the one-request client of the refused call was closed


def _seen_timeouts(**options: object) -> list[dict[str, float]]:
    seen: list[httpx.Request] = []
    emulator_transport = Emulator().transport()

    def handler(sent: httpx.Request) -> httpx.Response:
        seen.append(sent)
        return emulator_transport.handle_request(sent)

    clients = holder(httpx.MockTransport(handler), **options)
    clients.chat(request())
    list(clients.stream_chat(request()))
    list(clients.stream_chat(request(), RequestOptions(timeout=httpx.Timeout(5.0))))
    return [sent.extensions["timeout"] for sent in seen]


def test_stream_chunk_timeout_is_the_read_timeout_of_streams_only() -> None:
    plain, streamed, per_call = _seen_timeouts(timeout=(2, 40), stream_chunk_timeout=7)
    assert (plain["connect"], plain["read"]) == (2, 40)
    assert (streamed["connect"], streamed["read"]) == (2, 7)
    assert per_call["read"] == 5  # a call's own timeout wins


def test_without_stream_chunk_timeout_streams_use_the_timeout() -> None:
    _, streamed, _ = _seen_timeouts(timeout=(2, 40))
    assert (streamed["connect"], streamed["read"]) == (2, 40)


@pytest.mark.parametrize("value", [0, -1, "7", True])
def test_a_bad_stream_chunk_timeout_is_refused(value: object) -> None:
    with pytest.raises(InvalidRequestError, match="stream_chunk_timeout") as caught:
        ClientOptions(stream_chunk_timeout=value)  # type: ignore[arg-type]
    assert caught.value.param == "stream_chunk_timeout"


class Adapter(HoldsClients):
    def __init__(self, clients: ClientHolder) -> None:
        self._held = clients

    @property
    def clients(self) -> ClientHolder:
        return self._held


def test_holds_clients_reads_the_holder() -> None:
    clients = holder(Emulator().transport())
    adapter = Adapter(clients)
    assert adapter.client is clients.client
    adapter.close()
    assert clients._client is None

    async def run() -> None:
        client = adapter.async_client
        assert client is clients.async_client
        await adapter.aclose()
        assert client._http.is_closed

    asyncio.run(run())
