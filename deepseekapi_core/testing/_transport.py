"""The in-process httpx transport (sync and async) in front of an :class:`Emulator`."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import anyio
import httpx

from ._wire import EmulatedResponse

if TYPE_CHECKING:
    from ._app import Emulator

__all__ = ["EmulatorTransport"]

_CUT_MESSAGE = (
    "peer closed connection without sending complete message body: incomplete chunked read"
)
_DROP_MESSAGE = "Server disconnected without sending a response."


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        value = timeout.get("read")
        return float(value) if value is not None else None
    return None


def _wait_sync(seconds: float, timeout: float | None, request: httpx.Request) -> None:
    """Wait ``seconds`` (``math.inf``: for ever), or time out as a socket read would."""
    if timeout is not None and seconds > timeout:
        time.sleep(timeout)
        raise httpx.ReadTimeout("timed out", request=request)
    if math.isinf(seconds):
        threading.Event().wait()
    else:
        time.sleep(seconds)


async def _wait_async(seconds: float, timeout: float | None, request: httpx.Request) -> None:
    """Wait ``seconds`` (``math.inf``: for ever), or time out as a socket read would."""
    if timeout is not None and seconds > timeout:
        await anyio.sleep(timeout)
        raise httpx.ReadTimeout("timed out", request=request)
    if math.isinf(seconds):
        await anyio.sleep_forever()
    else:
        await anyio.sleep(seconds)


class _Events(httpx.SyncByteStream, httpx.AsyncByteStream):
    """An SSE body for either kind of client: whole when no fault applies, else frame by frame
    with the injected delay between frames, and the cut or stall where it falls.

    The response is closed (its in-flight slot freed) when the body ends, fails, or the
    client closes it."""

    def __init__(self, response: EmulatedResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    def _frames(self) -> Iterator[tuple[bytes, float]]:
        """Each frame with the wait before it; raises where the stream is cut.

        A stall is a last, empty frame after a wait of the stall's length (``math.inf``:
        for ever), then a cut.
        """
        response = self._response
        events = response.events or []
        cut = response.cut_after
        stall = response.stall_after
        delay = response.event_delay
        if cut is None and stall is None and not delay:
            yield b"".join(events), 0.0
            return
        for index, frame in enumerate(events):
            if stall is not None and index >= stall:
                seconds = response.stall_seconds
                yield b"", math.inf if seconds is None else seconds
                raise httpx.RemoteProtocolError(_CUT_MESSAGE, request=self._request)
            if cut is not None and index >= cut:
                raise httpx.RemoteProtocolError(_CUT_MESSAGE, request=self._request)
            yield frame, delay if index else 0.0

    def __iter__(self) -> Iterator[bytes]:
        timeout = _read_timeout(self._request)
        try:
            for frame, wait in self._frames():
                if wait:
                    _wait_sync(wait, timeout, self._request)
                if frame:
                    yield frame
        finally:
            self._response.close()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        timeout = _read_timeout(self._request)
        try:
            for frame, wait in self._frames():
                if wait:
                    await _wait_async(wait, timeout, self._request)
                if frame:
                    yield frame
        finally:
            self._response.close()

    def close(self) -> None:
        """The client closed the response."""
        self._response.close()

    async def aclose(self) -> None:
        """The client closed the response."""
        self._response.close()


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport that answers from an :class:`Emulator` without any network.

    The same object works as ``httpx.Client(transport=...)`` and
    ``httpx.AsyncClient(transport=...)``. The URL's host is ignored; its path is routed
    (``/v1/chat/completions`` and ``/chat/completions`` alike). Faults behave as they would
    on a socket: a dropped connection raises ``httpx.RemoteProtocolError``, a stream cut
    raises it from the body iterator, and latency beyond the request's read timeout raises
    ``httpx.ReadTimeout``.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __repr__(self) -> str:
        return f"EmulatorTransport({self.emulator!r})"

    def _respond(self, request: httpx.Request, body: bytes) -> EmulatedResponse:
        return self.emulator.handle(
            request.method, request.url.raw_path.decode(), request.headers, body
        )

    @staticmethod
    def _build(
        response: EmulatedResponse,
        request: httpx.Request,
        stream: httpx.SyncByteStream | httpx.AsyncByteStream | None,
    ) -> httpx.Response:
        if stream is None:
            return httpx.Response(
                response.status, headers=response.headers, content=response.body, request=request
            )
        return httpx.Response(
            response.status, headers=response.headers, stream=stream, request=request
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` synchronously."""
        response = self._respond(request, request.read())
        try:
            if response.delay:
                _wait_sync(response.delay, _read_timeout(request), request)
            return self._deliver(response, request)
        except BaseException:
            response.close()
            raise

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` asynchronously (latency never blocks the event loop)."""
        response = self._respond(request, await request.aread())
        try:
            if response.delay:
                await _wait_async(response.delay, _read_timeout(request), request)
            return self._deliver(response, request)
        except BaseException:
            response.close()
            raise

    def _deliver(self, response: EmulatedResponse, request: httpx.Request) -> httpx.Response:
        if response.drop:
            raise httpx.RemoteProtocolError(_DROP_MESSAGE, request=request)
        if response.events is None:
            # A whole body is delivered at once: the request is no longer in flight.
            response.close()
            return self._build(response, request, None)
        return self._build(response, request, _Events(response, request))

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""
