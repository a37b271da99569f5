"""One driver for every reliability scenario: the core and both adapters, sync and async,
plain and streamed, against the emulator (in process or on loopback) or a real socket.

Waits are recorded, never slept, wherever a layer lets a test inject them:

- the core takes ``sleep=`` (sync and async);
- the LlamaIndex adapter's client holder takes ``sleep``/``async_sleep`` (``llm.clients``);
- the LangChain adapter takes no sleep function, but takes a core ``retry_policy``: a
  :class:`RecordingPolicy` records each wait the policy chooses and lets the client sleep 0 s.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient, RetryPolicy
from deepseekapi_core.testing import Emulator

API_KEY = "sk-reliability-5be1c0d2e9f84a7b93c6d1e0f2a4b6c8"
MODEL = "deepseek-chat"
TARGETS = ("core", "langchain", "llama_index")
MODES = ("sync", "async")
DELIVERIES = ("plain", "stream")


def expected_reply(prompt: str) -> str:
    """What the emulator answers a one-message conversation with (deterministic)."""
    return f'[emulated deepseek-flash] You said: "{prompt}"'


# --------------------------------------------------------------------------------------------
# Recording waits


@dataclass(frozen=True)
class RecordingPolicy(RetryPolicy):
    """A :class:`RetryPolicy` that records the waits it chooses and has the client sleep 0 s."""

    waits: list[float] = field(default_factory=list, compare=False, repr=False)

    def wait_before_retry(self, error: Any, retries_taken: int) -> float | None:
        wait = super().wait_before_retry(error, retries_taken)
        if wait is None:
            return None
        self.waits.append(wait)
        return 0.0


class SleepRecorder:
    """``sleep`` and ``async_sleep`` that record the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sync(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


# --------------------------------------------------------------------------------------------
# Transports


class CountingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Real sockets (sync and async), counting the requests sent."""

    def __init__(self) -> None:
        self.count = 0
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The faults the first attempt of a faulted request gets: (status, headers, the wait asked).
# A request's nonce names its fault ("...k0": none, "...k1": the first kind, ...), so an
# emulator in another process needs no plan.
FAULT_KINDS: list[tuple[int, list[tuple[str, str]], float | None]] = [
    (429, [("retry-after-ms", "150")], 0.150),
    (429, [("retry-after", "1")], 1.0),
    (503, [("retry-after-ms", "80")], 0.080),
    (503, [], None),
    (429, [("retry-after", "0.3")], 0.3),
]
ARRIVALS_PATH = "/_reliability/arrivals"


class TimedEmulator(Emulator):
    """An emulator that notes when each attempt of each request arrived (monotonic clock).

    Requests are told apart by a nonce in their body (``nonce-<id>k<kind>``); the first attempt
    of a request whose kind is not 0 is answered with ``FAULT_KINDS[kind - 1]``, so the share
    of faulted requests is exact whatever the retries. ``GET /_reliability/arrivals`` returns
    the arrival times as JSON (for a server in another process).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self._arrival_lock = threading.Lock()

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Any:
        from deepseekapi_core.testing._wire import (
            DEFAULT_ERRORS,
            EmulatedResponse,
            dumps,
            error_response,
        )

        now = time.monotonic()
        if path == ARRIVALS_PATH:
            with self._arrival_lock:
                body = dumps(self.arrivals)
            return EmulatedResponse(200, [("content-type", "application/json")], body)
        nonce = nonce_of(body)
        if nonce is None:
            return super().handle(method, path, headers, body)
        with self._arrival_lock:
            arrivals = self.arrivals[nonce]
            arrivals.append(now)
            first = len(arrivals) == 1
        kind = int(nonce.rpartition("k")[2] or 0)
        if first and kind:
            status, retry_headers, _ = FAULT_KINDS[kind - 1]
            with self._lock:
                self.request_count += 1
            message, error_type = DEFAULT_ERRORS[status]
            return error_response(status, message, error_type=error_type, headers=retry_headers)
        return super().handle(method, path, headers, body)


def nonce_of(body: bytes) -> str | None:
    marker = body.find(b"nonce-")
    if marker < 0:
        return None
    end = marker + 6
    while end < len(body) and chr(body[end]).isalnum():
        end += 1
    return body[marker:end].decode()


def serve_timed_emulator() -> None:
    """Serve a :class:`TimedEmulator` on loopback until stdin closes; print the base URL."""
    import sys

    from deepseekapi_core.testing import EmulatorServer

    with EmulatorServer(TimedEmulator(record_requests=False)) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


# --------------------------------------------------------------------------------------------
# Running one scenario


@dataclass
class Outcome:
    """What the caller saw."""

    text: str | None = None
    tokens: list[str] = field(default_factory=list)
    """Non-empty text pieces the caller's loop received, in order (streams)."""
    callback_tokens: list[str] = field(default_factory=list)
    """Non-empty tokens LangChain's ``on_llm_new_token`` received (LangChain streams)."""
    error: BaseException | None = None
    waits: list[float] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Setup:
    """How to reach the service: a transport (emulator or counting socket) and a base URL."""

    transport: Any
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int = 2
    options: dict[str, Any] = field(default_factory=dict)


def make_core(setup: Setup, mode: str, recorder: SleepRecorder) -> Any:
    options = {
        "api_key": API_KEY,
        "base_url": setup.base_url,
        "timeout": setup.timeout,
        "max_retries": setup.max_retries,
        "transport": setup.transport,
        **setup.options,
    }
    if mode == "sync":
        return DeepSeekClient(**options, sleep=recorder.sync)
    return AsyncDeepSeekClient(**options, sleep=recorder.async_)


def make_langchain(setup: Setup, policy: RetryPolicy | None) -> Any:
    from langchain_deepseekapi import ChatDeepSeekAPI

    options: dict[str, Any] = {
        "model": MODEL,
        "api_key": API_KEY,
        "base_url": setup.base_url,
        "timeout": setup.timeout,
        "max_retries": setup.max_retries,
        "transport": setup.transport,
        **setup.options,
    }
    if policy is not None:
        options["retry_policy"] = policy
    return ChatDeepSeekAPI(**options)


def make_llama_index(setup: Setup, recorder: SleepRecorder | None) -> Any:
    from llama_index_deepseekapi import DeepSeekAPI

    options: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": setup.base_url,
        "timeout": setup.timeout,
        "max_retries": setup.max_retries,
        "transport": setup.transport,
        **setup.options,
    }
    llm = DeepSeekAPI(MODEL, **options)
    if recorder is not None:
        llm.clients.sleep = recorder.sync
        llm.clients.async_sleep = recorder.async_
    return llm


def _token_handler(sink: list[str]) -> Any:
    from langchain_core.callbacks import BaseCallbackHandler

    class TokenHandler(BaseCallbackHandler):
        run_inline = True

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            if token:
                sink.append(token)

    return TokenHandler()


def run(target: str, mode: str, delivery: str, setup: Setup, prompt: str) -> Outcome:
    """Send ``prompt`` through ``target`` and report what the caller saw (errors caught)."""
    outcome = Outcome()
    recorder = SleepRecorder()
    policy = RecordingPolicy(max_retries=setup.max_retries)
    started = time.monotonic()
    try:
        if mode == "sync":
            _run_sync(target, delivery, setup, prompt, outcome, recorder, policy)
        else:
            asyncio.run(_run_async(target, delivery, setup, prompt, outcome, recorder, policy))
    except Exception as error:  # the scenario's outcome, inspected by the test
        outcome.error = error
    outcome.seconds = time.monotonic() - started
    outcome.waits = policy.waits if target == "langchain" else recorder.waits
    return outcome


def _core_messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def _run_sync(
    target: str,
    delivery: str,
    setup: Setup,
    prompt: str,
    outcome: Outcome,
    recorder: SleepRecorder,
    policy: RecordingPolicy,
) -> None:
    if target == "core":
        with make_core(setup, "sync", recorder) as client:
            if delivery == "plain":
                outcome.text = client.chat(
                    model=MODEL, messages=_core_messages(prompt)
                ).message.content
                return
            for chunk in client.stream_chat(model=MODEL, messages=_core_messages(prompt)):
                if chunk.choices and chunk.choices[0].delta.content:
                    outcome.tokens.append(chunk.choices[0].delta.content)
    elif target == "langchain":
        llm = make_langchain(setup, policy)
        config = {"callbacks": [_token_handler(outcome.callback_tokens)]}
        if delivery == "plain":
            outcome.text = llm.invoke(prompt, config=config).content
            return
        for piece in llm.stream(prompt, config=config):
            if piece.content:
                outcome.tokens.append(piece.content)
    else:
        from llama_index.core.llms import ChatMessage

        llm = make_llama_index(setup, recorder)
        messages = [ChatMessage(role="user", content=prompt)]
        if delivery == "plain":
            outcome.text = llm.chat(messages).message.content
            return
        for response in llm.stream_chat(messages):
            if response.delta:
                outcome.tokens.append(response.delta)
    outcome.text = "".join(outcome.tokens)


async def _run_async(
    target: str,
    delivery: str,
    setup: Setup,
    prompt: str,
    outcome: Outcome,
    recorder: SleepRecorder,
    policy: RecordingPolicy,
) -> None:
    if target == "core":
        async with make_core(setup, "async", recorder) as client:
            if delivery == "plain":
                reply = await client.chat(model=MODEL, messages=_core_messages(prompt))
                outcome.text = reply.message.content
                return
            async for chunk in client.stream_chat(model=MODEL, messages=_core_messages(prompt)):
                if chunk.choices and chunk.choices[0].delta.content:
                    outcome.tokens.append(chunk.choices[0].delta.content)
    elif target == "langchain":
        llm = make_langchain(setup, policy)
        config = {"callbacks": [_token_handler(outcome.callback_tokens)]}
        if delivery == "plain":
            outcome.text = (await llm.ainvoke(prompt, config=config)).content
            return
        async for piece in llm.astream(prompt, config=config):
            if piece.content:
                outcome.tokens.append(piece.content)
    else:
        from llama_index.core.llms import ChatMessage

        llm = make_llama_index(setup, recorder)
        messages = [ChatMessage(role="user", content=prompt)]
        if delivery == "plain":
            outcome.text = (await llm.achat(messages)).message.content
            return
        async for response in await llm.astream_chat(messages):
            if response.delta:
                outcome.tokens.append(response.delta)
    outcome.text = "".join(outcome.tokens)


def within(seconds: float, low: float, high: float) -> bool:
    return low - 1e-9 <= seconds <= high + 1e-9


Check = Callable[[Outcome], None]


if __name__ == "__main__":
    serve_timed_emulator()
