"""Each socket read, write and connect of a call with a deadline gets at most the time left.

httpcore takes a request's read timeout once and applies it to every read, so a server that
sends its status line and headers a byte at a time (each within the timeout) holds a call for
as long as it likes. The clients set :data:`CALL_END` (a ``time.monotonic()`` instant) while
they send a call with a deadline and read its body; the network streams of their own pools
clamp each operation's timeout to the time left. Calls without a deadline leave it None and
pay one context-variable read per socket operation.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextvars import ContextVar, Token
from typing import Any

import httpcore
import httpx

CALL_END: ContextVar[float | None] = ContextVar("deepseekapi_call_end", default=None)


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    end = CALL_END.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class within:  # lower case: it reads as ``with within(end):``
    """Sets :data:`CALL_END` to ``end`` for the socket operations inside the block (nothing
    when ``end`` is None, the common case)."""

    __slots__ = ("_end", "_token")

    def __init__(self, end: float | None) -> None:
        self._end = end
        self._token: Token[float | None] | None = None

    def __enter__(self) -> None:
        if self._end is not None:
            self._token = CALL_END.set(self._end)

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            CALL_END.reset(self._token)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(
            ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
        )
        return _Stream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _Stream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(
            path, _left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _Stream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._stream.start_tls(
            ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
        )
        return _AsyncStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(
            path, _left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _AsyncStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def clamp_network(client: httpx.Client | httpx.AsyncClient) -> None:
    """Wrap the network backend of ``client``'s own transport (one of our pools).

    The one write into httpcore's internals (``ConnectionPool._network_backend``, read when a
    connection is opened): httpx offers no way to pass a backend without also giving up the
    proxy settings it reads from the environment. A pool of another shape is left as it is
    (the deadline then still caps each attempt's timeouts, as before).
    """
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
    elif isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = _AsyncBackend(backend)  # type: ignore[union-attr]


def bounded(pieces: Iterator[bytes], end: float) -> Iterator[bytes]:
    """``pieces`` (a stream's body), each read with :data:`CALL_END` set to ``end``.

    Set around each read only, never across a ``yield``: the caller's own code between two
    pieces runs with its context as it was.
    """
    while True:
        token = CALL_END.set(end)
        try:
            piece = next(pieces)
        except StopIteration:
            return
        finally:
            CALL_END.reset(token)
        yield piece


async def abounded(pieces: AsyncIterator[bytes], end: float) -> AsyncIterator[bytes]:
    """As :func:`bounded`, for an async body."""
    while True:
        token = CALL_END.set(end)
        try:
            piece = await pieces.__anext__()
        except StopAsyncIteration:
            return
        finally:
            CALL_END.reset(token)
        yield piece
