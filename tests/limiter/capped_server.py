"""A loopback server that answers as the emulator does, with the service's per-key in-flight cap.

Above ``cap`` requests in flight for one key it answers 429 with ``Retry-After``, as the service
does (deepseek-wire.md 1.16). Each admitted request takes ``latency`` seconds, then gets the
emulator's own reply. Counts are kept for the report: admitted, refused (429), peak in flight.
Plain (non-streamed) chat completions only: the load tests need nothing else.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import threading
from types import TracebackType

from deepseekapi_core.emulator import Emulator

_RATE_LIMITED = json.dumps(
    {
        "error": {
            "message": "Rate Limit Reached",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
).encode()


class CappedServer:
    """Serve an :class:`Emulator` on 127.0.0.1 with a per-key cap on requests in flight."""

    def __init__(
        self,
        *,
        cap: int,
        latency: float,
        retry_after: float = 1.0,
        emulator: Emulator | None = None,
    ) -> None:
        self.cap = cap
        self.latency = latency
        self.retry_after = retry_after
        self.emulator = emulator or Emulator(record_requests=False)
        self.port = 0
        self.admitted = 0
        self.refused = 0
        self.peak = 0
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The URL to give a client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def reset_counts(self) -> None:
        """Start a new measurement (from the server's own thread, so no count is torn)."""
        assert self._loop is not None

        def reset() -> None:
            self.admitted = self.refused = self.peak = 0

        done = threading.Event()
        self._loop.call_soon_threadsafe(lambda: (reset(), done.set()))
        done.wait(5)

    def __enter__(self) -> CappedServer:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            server = loop.run_until_complete(
                asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=4096)
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            try:
                loop.run_forever()
            finally:
                server.close()
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="capped-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ValueError):
            while await self._exchange(reader, writer):
                pass
        with contextlib.suppress(Exception):
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or "0")
        body = await reader.readexactly(length) if length else b""
        key = headers.get("authorization", "")
        if self._in_flight[key] >= self.cap:
            self.refused += 1
            await self._write(
                writer,
                429,
                [("retry-after", f"{self.retry_after:g}"), ("content-type", "application/json")],
                _RATE_LIMITED,
            )
            return True
        self._in_flight[key] += 1
        self.admitted += 1
        self.peak = max(self.peak, self._in_flight[key])
        try:
            await asyncio.sleep(self.latency)
            reply = self.emulator.handle(method, target, headers, body)
        finally:
            # Counted out before the answer is written: a client that has its answer is never
            # still counted here when it sends its next request.
            self._in_flight[key] -= 1
        await self._write(writer, reply.status, reply.headers, reply.body)
        return True

    @staticmethod
    async def _write(
        writer: asyncio.StreamWriter, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        head = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}", "connection: keep-alive"]
        head.extend(f"{name}: {value}" for name, value in headers if name != "content-length")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
