"""Helpers of the limiter tests: a transport that measures concurrency, sleep recorders."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from deepseekapi_core.testing import Emulator

API_KEY = "sk-limiter-test-5d7f9b1d3a5c7e9f"
BASE_URL = "https://limited.test.invalid/v1"
HELLO = [{"role": "user", "content": "Hello"}]


class CountingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The emulator's transport, each request held ``hold`` seconds, the peak in flight kept."""

    def __init__(self, emulator: Emulator, hold: float = 0.0) -> None:
        self._inner = emulator.transport()
        self._hold = hold
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            time.sleep(self._hold)
            response = self._inner.handle_request(request)
            response.read()
            return response
        finally:
            self._leave()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            await asyncio.sleep(self._hold)
            response = await self._inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self._leave()


async def settle(turns: int = 20) -> None:
    """Let the event loop run its ready callbacks a few times."""
    for _ in range(turns):
        await asyncio.sleep(0)
