"""Client lifecycle for the adapters: the options, one sync client, one async client per loop.

An ``httpx.AsyncClient`` pools connections that belong to the event loop that opened them. A
client kept across ``asyncio.run`` calls (scripts, notebooks, pytest's per-test loops) would
reuse a connection of a closed loop and fail with ``RuntimeError: Event loop is closed``. The
holder therefore builds one async client per running loop and lets go of it with its loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx

from .._loop_end import close_with_loop, finish_quietly
from ..http._client import AsyncDeepSeekClient, DeepSeekClient
from ..http._config import resolve_timeout
from ..http._options import ClientOptions, RequestOptions

if TYPE_CHECKING:
    from ..wire._fim import FIMChunk, FIMCompletion, FIMRequest
    from ..wire._models import ChatRequest
from ..wire._responses import ChatCompletion, ChatCompletionChunk

__all__ = ["ClientHolder", "ClientOptions"]

_C = TypeVar("_C")
SyncSleep = Callable[[float], None]
AsyncSleep = Callable[[float], Coroutine[Any, Any, None]]


class ClientHolder:
    """Owns an adapter's core clients: built on first use, closed when replaced or dropped.

    ``client`` is the one sync client; ``async_client`` is the client of the running event loop
    (one per loop, so a second ``asyncio.run`` gets a fresh pool instead of a dead loop's).
    With an injected ``async_http_client`` that one client serves every loop: its owner
    answers for it. ``sleep``/``async_sleep`` replace how retries wait (tests record them);
    assigning them takes effect at once.

    Args:
        options: the client options (see :class:`ClientOptions`).
        sleep: the sync wait between retries (``time.sleep`` when None).
        async_sleep: the async wait between retries (``asyncio.sleep`` when None).
    """

    def __init__(
        self,
        options: ClientOptions | None = None,
        *,
        sleep: SyncSleep | None = None,
        async_sleep: AsyncSleep | None = None,
    ) -> None:
        self._options = options or ClientOptions()
        self.sleep = sleep
        self.async_sleep = async_sleep
        self._lock = threading.Lock()
        self._client: DeepSeekClient | None = None
        self._async_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, AsyncDeepSeekClient
        ] = weakref.WeakKeyDictionary()
        # What closes each loop's client when that loop shuts down (see deepseekapi_core._loop_end).
        self._loop_watchers: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, AsyncGenerator[None, None]
        ] = weakref.WeakKeyDictionary()
        # The injected async_http_client's client serves every loop; a client asked for with no
        # loop running is kept for later callers with none (its pool binds to the loop that
        # first uses it).
        self._shared_async: AsyncDeepSeekClient | None = None

    def __repr__(self) -> str:
        return f"ClientHolder(base_url={self._options.base_url!r})"

    @property
    def options(self) -> ClientOptions:
        """The options the clients are built from."""
        return self._options

    def update(self, **changes: Any) -> None:
        """Change options; clients built from the old ones are closed and rebuilt on next use."""
        options = dataclasses.replace(self._options, **changes)
        with self._lock:
            self._options = options
            self._drop_clients()

    @property
    def client(self) -> DeepSeekClient:
        """The sync client, built on first use."""
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = self._new_client()
        return client

    @property
    def async_client(self) -> AsyncDeepSeekClient:
        """The async client for the running event loop (any loop with an injected client)."""
        shared = self._shared_async
        if shared is not None and self._options.async_http_client is not None:
            return shared
        loop = _running_loop()
        client = self._async_clients.get(loop) if loop is not None else None
        if client is None:
            with self._lock:
                client = self._async_clients.get(loop) if loop is not None else self._shared_async
                if client is None:
                    client = self._build_async(loop)
        return client

    def _new_client(self) -> DeepSeekClient:
        return DeepSeekClient(self._options, sleep=self._wait)

    def _new_async_client(self) -> AsyncDeepSeekClient:
        return AsyncDeepSeekClient(self._options, sleep=self._async_wait)

    def _build_async(self, loop: asyncio.AbstractEventLoop | None) -> AsyncDeepSeekClient:
        options = self._options
        client = self._new_async_client()
        if options.async_http_client is not None or loop is None:
            self._shared_async = client
        elif loop is not None:
            # Clients of loops that have ended hold only dead connections: let them go.
            for old_loop in [old for old in self._async_clients if old.is_closed()]:
                del self._async_clients[old_loop]
                finish_quietly(self._loop_watchers.pop(old_loop, None))
            self._async_clients[loop] = client
            self._loop_watchers[loop] = close_with_loop(client.aclose, loop)
        return client

    # ------------------------------------------------------------------------------------
    # Calls: the options' client policy (reuse_client, stream_chunk_timeout) applied once

    def chat(self, request: ChatRequest, options: RequestOptions | None = None) -> ChatCompletion:
        """Send ``request`` with the sync client (a one-request one if ``reuse_client`` is off)."""
        return cast("ChatCompletion", self._send("chat", request, options))

    async def achat(
        self, request: ChatRequest, options: RequestOptions | None = None
    ) -> ChatCompletion:
        """Send ``request`` with the running loop's async client (or a one-request one)."""
        return cast("ChatCompletion", await self._asend("chat", request, options))

    def stream_chat(
        self, request: ChatRequest, options: RequestOptions | None = None
    ) -> Iterator[ChatCompletionChunk]:
        """Stream ``request``'s reply; checked now, sent when iteration starts.

        A one-request client (``reuse_client=False``) is closed when the stream ends, fails or
        is closed early.
        """
        return self._open_stream("stream_chat", request, options)

    def astream_chat(
        self, request: ChatRequest, options: RequestOptions | None = None
    ) -> AsyncIterator[ChatCompletionChunk]:
        """Async :meth:`stream_chat`: checked now, sent when iteration starts."""
        return self._aopen_stream("stream_chat", request, options)

    def fim(self, request: FIMRequest, options: RequestOptions | None = None) -> FIMCompletion:
        """Send a FIM completion ``request`` (as :meth:`chat` sends a chat request)."""
        return cast("FIMCompletion", self._send("fim", request, options))

    async def afim(
        self, request: FIMRequest, options: RequestOptions | None = None
    ) -> FIMCompletion:
        """Send a FIM completion ``request`` with the running loop's async client."""
        return cast("FIMCompletion", await self._asend("fim", request, options))

    def stream_fim(
        self, request: FIMRequest, options: RequestOptions | None = None
    ) -> Iterator[FIMChunk]:
        """Stream a FIM completion (as :meth:`stream_chat`)."""
        return self._open_stream("stream_fim", request, options)

    def astream_fim(
        self, request: FIMRequest, options: RequestOptions | None = None
    ) -> AsyncIterator[FIMChunk]:
        """Async :meth:`stream_fim`."""
        return self._aopen_stream("stream_fim", request, options)

    # One body per call shape, whatever the endpoint: the client method is named.

    def _send(self, method: str, request: Any, options: RequestOptions | None) -> Any:
        if self._options.reuse_client:
            return getattr(self.client, method)(request, options=options)
        with self._new_client() as client:
            return getattr(client, method)(request, options=options)

    async def _asend(self, method: str, request: Any, options: RequestOptions | None) -> Any:
        if self._options.reuse_client:
            return await getattr(self.async_client, method)(request, options=options)
        async with self._new_async_client() as client:
            return await getattr(client, method)(request, options=options)

    def _open_stream(
        self, method: str, request: Any, options: RequestOptions | None
    ) -> Iterator[Any]:
        options = self._streaming(options)
        if self._options.reuse_client:
            return cast("Iterator[Any]", getattr(self.client, method)(request, options=options))
        client = self._new_client()
        try:
            chunks = getattr(client, method)(request, options=options)
        except BaseException:
            client.close()
            raise
        return _closing_client(chunks, client)

    def _aopen_stream(
        self, method: str, request: Any, options: RequestOptions | None
    ) -> AsyncIterator[Any]:
        options = self._streaming(options)
        if self._options.reuse_client:
            stream = getattr(self.async_client, method)(request, options=options)
            return cast("AsyncIterator[Any]", stream)
        client = self._new_async_client()
        # Validation fails before any connection is opened: nothing to close then.
        chunks = getattr(client, method)(request, options=options)
        return _aclosing_client(chunks, client)

    def _streaming(self, options: RequestOptions | None) -> RequestOptions | None:
        """``options`` with ``stream_chunk_timeout`` as the read timeout, unless the call
        set a timeout of its own."""
        read = self._options.stream_chunk_timeout
        if read is None or (options is not None and options.timeout is not None):
            return options
        base = resolve_timeout(self._options.timeout)
        timeout = httpx.Timeout(read, connect=base.connect, write=base.write, pool=base.pool)
        return (options or RequestOptions()).merged(RequestOptions(timeout=timeout))

    def _wait(self, seconds: float) -> None:
        (self.sleep or time.sleep)(seconds)

    async def _async_wait(self, seconds: float) -> None:
        await (self.async_sleep or asyncio.sleep)(seconds)

    def _drop_clients(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
        for loop, async_client in list(self._async_clients.items()):
            _close_in_loop(loop, async_client)
        self._async_clients.clear()
        for loop, watcher in list(self._loop_watchers.items()):
            if loop.is_closed():
                finish_quietly(watcher)
            # else: dropped, the loop's generator finalizer closes the client (already closed
            # above when the loop runs; closing twice is harmless).
        self._loop_watchers.clear()
        self._shared_async = None

    def close(self) -> None:
        """Close the clients built here (injected HTTP clients stay open)."""
        with self._lock:
            self._drop_clients()

    async def aclose(self) -> None:
        """Close the clients built here, awaiting the running loop's async client."""
        loop = _running_loop()
        with self._lock:
            current = self._async_clients.pop(loop, None) if loop is not None else None
            self._drop_clients()
        if current is not None:
            await current.aclose()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._drop_clients()

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientHolder:
        """A copy shares the options (transports, HTTP clients) and builds its own clients."""
        return ClientHolder(self._options, sleep=self.sleep, async_sleep=self.async_sleep)

    def __copy__(self) -> ClientHolder:
        return self.__deepcopy__({})

    def __getstate__(self) -> dict[str, Any]:
        return {"options": self._options, "sleep": self.sleep, "async_sleep": self.async_sleep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["options"], sleep=state["sleep"], async_sleep=state["async_sleep"]
        )


def _closing_client(chunks: Iterator[_C], client: DeepSeekClient) -> Iterator[_C]:
    try:
        yield from chunks
    finally:
        client.close()


async def _aclosing_client(
    chunks: AsyncIterator[_C], client: AsyncDeepSeekClient
) -> AsyncIterator[_C]:
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        # The stream's response goes back to the pool before the pool closes.
        if isinstance(chunks, AsyncGenerator):
            await chunks.aclose()
        await client.aclose()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_closing: set[concurrent.futures.Future[None]] = set()


def _close_in_loop(loop: asyncio.AbstractEventLoop, client: AsyncDeepSeekClient) -> None:
    """Close ``client`` in its own loop if that loop still runs; a closed loop took its
    connections with it (their sockets close when collected)."""
    if loop.is_closed() or not loop.is_running():
        return
    with contextlib.suppress(RuntimeError):
        future = asyncio.run_coroutine_threadsafe(client.aclose(), loop)
        _closing.add(future)
        future.add_done_callback(_closing.discard)
