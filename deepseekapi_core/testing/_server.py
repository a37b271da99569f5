"""A loopback HTTP/1.1 server for the emulator (asyncio streams in a background thread)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from email.utils import formatdate
from types import TracebackType

from ._app import Emulator
from ._wire import REASONS, EmulatedResponse

__all__ = ["EmulatorServer"]

_LOOPBACK = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}
_MAX_HEAD = 64 * 1024


class _Date:
    """The ``Date`` header, formatted once a second."""

    def __init__(self) -> None:
        self._second = 0
        self._value = b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


class EmulatorServer:
    """Serve an :class:`Emulator` over HTTP/1.1 on the loopback interface only.

    A context manager; ``port=0`` picks a free port. The official OpenAI SDK, httpx, curl or
    anything else that speaks HTTP can use ``server.base_url`` (``http://127.0.0.1:PORT/v1``).
    Keep-alive connections, chunked transfer for streams, ``Expect: 100-continue`` and
    thousands of concurrent connections are supported. Faults behave as on a real network:
    a dropped connection or a cut stream closes the socket.

    Example::

        with EmulatorServer(Emulator()) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="sk-anything")

    Args:
        emulator: The emulator to serve (a fresh one if omitted).
        host: ``127.0.0.1`` (default), ``localhost`` or ``::1``; nothing else is allowed.
        port: The TCP port; 0 for an ephemeral one.
    """

    def __init__(
        self, emulator: Emulator | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if host not in _LOOPBACK:
            raise ValueError(
                f"the emulator only listens on the loopback interface (127.0.0.1), not {host!r}"
            )
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {port}")
        self.emulator = emulator if emulator is not None else Emulator()
        self.host = _LOOPBACK[host]
        self._requested_port = port
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._date = _Date()
        self._writers: set[asyncio.StreamWriter] = set()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EmulatorServer({self.url!r}, {state})"

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:8000``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ``url + "/v1"``."""
        return self.url + "/v1"

    # ----------------------------------------------------------------------------------------
    # Lifecycle

    def start(self) -> EmulatorServer:
        """Start serving in a background thread; returns once the port is bound.

        Raises ``OSError`` if the port cannot be bound.
        """
        if self.running:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                server = loop.run_until_complete(
                    asyncio.start_server(
                        self._connection,
                        self.host,
                        self._requested_port,
                        backlog=4096,
                        limit=_MAX_HEAD,
                    )
                )
            except BaseException as error:
                failure.append(error)
                ready.set()
                loop.close()
                return
            self._server = server
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            try:
                loop.run_forever()
            finally:
                server.close()
                for writer in list(self._writers):
                    writer.transport.abort()
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                with contextlib.suppress(Exception):
                    loop.run_until_complete(asyncio.wait_for(server.wait_closed(), 2))
                loop.close()

        thread = threading.Thread(target=run, name="deepseekapi-emulator", daemon=True)
        thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        self._loop = loop
        self._thread = thread
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = None
        self._thread = None
        self._server = None

    def serve_forever(self) -> None:
        """Start (if needed) and block until :meth:`stop` or Ctrl-C."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.25)
        finally:
            self.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------
    # HTTP/1.1

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._exchange(reader, writer):
                pass
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ):
            pass
        except asyncio.CancelledError:
            # Shutting down: end quietly (asyncio's stream callback logs cancelled handlers).
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; whether the connection stays open for another."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            writer.write(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            await writer.drain()
            return False
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        else:
            length = int(headers.get("content-length", "0") or "0")
            body = await reader.readexactly(length) if length else b""
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        if target.startswith(("http://", "https://")):
            target = "/" + target.split("://", 1)[1].partition("/")[2]

        response = self.emulator.handle(method, target, headers, body)
        try:
            if response.delay:
                await asyncio.sleep(response.delay)
            if response.drop:
                writer.transport.abort()
                return False
            await self._write(reader, writer, response, keep_alive=keep_alive)
        finally:
            # Delivered, cut, or the client left: the request is no longer in flight.
            response.close()
        return keep_alive

    async def _write(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        response: EmulatedResponse,
        *,
        keep_alive: bool,
    ) -> None:
        status = response.status
        head = [
            f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}".encode(),
            b"date: " + self._date(),
            b"server: deepseekapi-emulator",
            b"connection: keep-alive" if keep_alive else b"connection: close",
        ]
        head.extend(f"{name}: {value}".encode("latin-1") for name, value in response.headers)
        events = response.events
        if events is None:
            head.append(b"content-length: " + str(len(response.body)).encode())
            writer.write(b"\r\n".join(head) + b"\r\n\r\n" + response.body)
            await writer.drain()
            return
        head.append(b"transfer-encoding: chunked")
        writer.write(b"\r\n".join(head) + b"\r\n\r\n")
        cut = response.cut_after
        stall = response.stall_after
        delay = response.event_delay
        for index, frame in enumerate(events):
            if stall is not None and index >= stall:
                await writer.drain()
                await _stall(reader, response.stall_seconds)
                writer.transport.abort()
                raise ConnectionResetError("stream stalled by fault injection")
            if cut is not None and index >= cut:
                await writer.drain()
                writer.transport.abort()
                raise ConnectionResetError("stream cut by fault injection")
            if delay and index:
                await writer.drain()
                await asyncio.sleep(delay)
            writer.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            if delay or cut is not None or stall is not None:
                await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def _stall(reader: asyncio.StreamReader, seconds: float | None) -> None:
    """Stay silent for ``seconds`` (None: for ever), or until the client closes its side."""
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    while True:
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            return
        try:
            data = await asyncio.wait_for(reader.read(65536), remaining)
        except asyncio.TimeoutError:
            return
        if not data:
            return


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
