"""The sync and async clients: thin I/O shells (send, read, sleep, the limiter's slot) around
one :class:`~deepseekapi_core.http._exchange.Exchange` per call, built from one
:class:`ClientOptions`."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import difflib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx

from .._loop_end import close_with_loop
from .._version import __version__
from ..accounting._limiter import AccountGate
from ..wire._fim import FIMChunk, FIMCompletion, FIMRequest
from ..wire._models import ChatRequest
from ..wire._prepare import build_request_body
from ..wire._responses import (
    ChatCompletion,
    ChatCompletionChunk,
    Model,
    ModelList,
    attach_response_headers,
)
from ._clamp import abounded, bounded, clamp_network, within
from ._config import (
    check_header_values,
    require_api_key,
    resolve_beta_base_url,
    resolve_endpoint,
    resolve_timeout,
    warn_if_unencrypted,
)
from ._decode import finish_completion, parse_body
from ._encode import coerce_chat_request as coerce_chat_request
from ._encode import serialise
from ._errors import InvalidRequestError
from ._exchange import STREAM_BREAKS, BetaRoute, Exchange, Retry
from ._fim_calls import FIMCalls
from ._options import ClientOptions, RequestOptions
from ._retry import RetryPolicy

_USER_AGENT = f"deepseekapi-integrations/{__version__}"
_OUR_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": _USER_AGENT,
}
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_T = TypeVar("_T")
_Build = Callable[[], httpx.Request]
_Parse = Callable[[httpx.Response], _T]
_DEFAULT_OPTIONS = ClientOptions()
_ClientT = TypeVar("_ClientT", bound="_BaseClient")

# Shared by reference: a transport (the emulator's holds its state), the sleep function, the
# retry policy (frozen), the key (immutable), the concurrency limits (shared on purpose) and
# the options (frozen; they hold the transport and any injected HTTP client).
_SHARED_ON_COPY = frozenset(
    {"_transport", "_sleep", "retry_policy", "_api_key", "limits", "options"}
)


def _options_from(
    options: ClientOptions | None, fields: dict[str, Any], owner: str
) -> ClientOptions:
    """``options`` (or the defaults) with ``fields`` on top; an unknown name is refused with
    the closest option's name."""
    base = options if options is not None else _DEFAULT_OPTIONS
    if not fields:
        return base
    known = [field.name for field in dataclasses.fields(base)]
    for name in fields:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the options are {known}"
            raise InvalidRequestError(f"unknown {owner} option {name!r}{hint}", param=name)
    return dataclasses.replace(base, **fields)


class _BaseClient(FIMCalls):
    """The options, and the parts of a call that do no I/O, shared by both clients."""

    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        options: ClientOptions,
        http: httpx.Client | httpx.AsyncClient | None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
    ) -> None:
        self.options = options
        """What this client was built from (any field added to :class:`ClientOptions`
        reaches the client here)."""
        check_header_values(options.default_headers or {})
        endpoint = resolve_endpoint(options.api_key, options.base_url)
        self._api_key = endpoint.api_key
        self.base_url = endpoint.base_url
        warn_if_unencrypted(self.base_url)
        self.beta_base_url, self._beta_source = resolve_beta_base_url(
            options.beta_base_url, endpoint
        )
        """Where requests using a beta feature go (see :class:`ClientOptions`)."""
        if self.beta_base_url != self.base_url:
            warn_if_unencrypted(self.beta_base_url)
        self.timeout = resolve_timeout(options.timeout)
        self.deadline = None if options.deadline is None else float(options.deadline)
        self.recover_tool_calls = options.recover_tool_calls
        self._caps = (options.max_response_bytes, options.max_sse_line_bytes)
        self.era = options.era
        self.reasoning_replay = options.reasoning_replay
        # Set on each request only when asked for, so an injected client keeps its own timeout
        # unless the caller gave one (which must then take effect, not be dropped).
        self._defaults = RequestOptions(
            timeout=self.timeout if options.timeout is not None else None,
            headers=dict(options.default_headers or {}),
            query=dict(options.default_query or {}),
        )
        self.retry_policy = options.retry_policy or RetryPolicy(max_retries=options.max_retries)
        self._chat_url = httpx.URL(f"{self.base_url}/chat/completions")
        self._models_url = httpx.URL(f"{self.base_url}/models")
        self._beta_chat_url = httpx.URL(f"{self.beta_base_url}/chat/completions")
        self._fim_url = httpx.URL(f"{self.beta_base_url}/completions")
        self.limits = AccountGate(
            options.limiter,
            options.max_concurrency,
            base_url=self.base_url,
            api_key=self._api_key,
            max_pause=self.retry_policy.max_retry_after,
        )
        self._owns_http = http is None
        self._transport = transport
        self._http = http or self._new_pool()
        self._plain_headers = self._plain_template() if http is None else None
        self._plain_timeout = self.timeout.as_dict()

    def _plain_template(self) -> list[tuple[bytes, bytes]] | None:
        """The headers (names as written) of a request of our own pool that the call adds
        nothing to, as ``build_request`` would merge them (see :meth:`_build`)."""
        if self._defaults.query:
            return None
        merged = httpx.Headers(self._http.headers)
        merged.update({**_OUR_HEADERS, **self._defaults.headers})
        return list(merged.raw)

    def _new_pool(self) -> httpx.Client | httpx.AsyncClient:
        """A connection pool of this client's own (closed by it)."""
        raise NotImplementedError

    def _pool_settings(self) -> dict[str, Any]:
        """What this client's own pools are built with (sync and async alike)."""
        return {
            "transport": self._transport,
            "timeout": self.timeout,
            "limits": _LIMITS,
            "proxy": self.options.proxy,
        }

    def __deepcopy__(self: _ClientT, memo: dict[int, Any]) -> _ClientT:
        """A copy with the same settings: a connection pool holds locks and sockets, which
        cannot be copied, so a copy shares an injected HTTP client and builds its own pool
        otherwise."""
        twin = object.__new__(type(self))
        memo[id(self)] = twin
        for name, value in vars(self).items():
            if name in ("_loop", "_watcher"):  # the copy's pool is bound when first used
                setattr(twin, name, None)
            elif name != "_http":
                shared = name in _SHARED_ON_COPY
                setattr(twin, name, value if shared else copy.deepcopy(value, memo))
        twin._http = twin._new_pool() if self._owns_http else self._http
        return twin

    def __repr__(self) -> str:
        key = "set" if self._api_key is not None else "missing"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=<{key}>)"

    @property
    def has_api_key(self) -> bool:
        """Whether a key was configured (the key itself is never exposed)."""
        return self._api_key is not None

    def build_body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        """The JSON body this client would send for ``request`` (reasoner rules applied)."""
        return build_request_body(
            request, stream=stream, era=self.era, reasoning_replay=self.reasoning_replay
        )

    def _call(
        self,
        request: ChatRequest | None,
        params: Mapping[str, Any],
        options: RequestOptions | None,
        sleep: Callable[[float], Any],
        *,
        stream: bool,
    ) -> tuple[Exchange, Callable[[], httpx.Request]]:
        """A chat call checked and encoded: its exchange, and how to build each attempt."""
        chat_request = coerce_chat_request(request, params)
        content = serialise(self.build_body(chat_request, stream=stream), self.era)
        # Only function calls can leak into the text; built-in tools run on the service.
        tools = chat_request.function_tools or None if self.recover_tool_calls else None
        ticket = self.limits.ticket(chat_request.model, sleep)
        url, beta = self._route(chat_request.beta_features, self._chat_url, self._beta_chat_url)
        exchange = Exchange(self.retry_policy, self.deadline, ticket, tools, self._caps, beta)
        return exchange, lambda: self._build("POST", url, options, content)

    def _route(
        self, features: tuple[str, ...], plain: httpx.URL, beta: httpx.URL
    ) -> tuple[httpx.URL, BetaRoute | None]:
        """Where a call goes: the beta URL when it uses a beta feature (a 404 there then
        names that URL, why it was used and where it came from)."""
        if not features:
            return plain, None
        return beta, (str(beta), self._beta_source, features)

    def _completion(self, exchange: Exchange) -> Callable[[httpx.Response], ChatCompletion]:
        tools = exchange.recovery_tools

        def parse(response: httpx.Response) -> ChatCompletion:
            completion = parse_body(ChatCompletion, response)
            completion = finish_completion(completion, response.request, tools)
            # The headers object itself: response_headers copies it only when read.
            attach_response_headers(completion, response.headers)
            return completion

        return parse

    def _build(
        self, method: str, url: httpx.URL, options: RequestOptions | None, content: bytes | None
    ) -> httpx.Request:
        # Last, so no header option can send the key elsewhere or replace it.
        authorization = f"Bearer {require_api_key(self._api_key)}"
        if self._plain_headers is not None and not options and not self._http.cookies:
            # A pool of our own, no per-request options, no cookies: what build_request would
            # merge is known, so the request is made directly (half of build_request's cost).
            headers = httpx.Headers(self._plain_headers)
            headers["Authorization"] = authorization
            timeout = {"timeout": self._plain_timeout}
            return httpx.Request(method, url, content=content, headers=headers, extensions=timeout)
        effective = self._defaults.merged(options)
        headers_in = {**_OUR_HEADERS, **effective.headers, "Authorization": authorization}
        extra: dict[str, Any] = {}
        if effective.timeout is not None:
            extra["timeout"] = effective.timeout
        if effective.query:
            extra["params"] = dict(effective.query)
        return self._http.build_request(method, url, content=content, headers=headers_in, **extra)

    def _models_call(
        self, sleep: Callable[[float], Any]
    ) -> tuple[Exchange, _Build, _Parse[list[Model]]]:
        """``GET /models``: its exchange, how to build each attempt, how to parse the reply."""
        return (
            Exchange(
                self.retry_policy, self.deadline, self.limits.ticket(None, sleep), caps=self._caps
            ),
            lambda: self._build("GET", self._models_url, None, None),
            lambda response: parse_body(ModelList, response).data,
        )


class DeepSeekClient(_BaseClient):
    """A synchronous client of the DeepSeek chat-completions API.

    Built from a :class:`ClientOptions` and/or its fields as keywords (``DeepSeekClient(
    api_key=..., base_url=..., transport=..., max_retries=...)``); an unknown keyword is refused
    with the closest option's name. The options, in short:

    - ``api_key``: the key; else from the environment, paired with its base URL
      (``DEEPSEEKAPI_API_KEY`` with ``DEEPSEEKAPI_BASE_URL`` or the proxy, else
      ``DEEPSEEK_API_KEY`` with ``DEEPSEEK_API_BASE``/``DEEPSEEK_BASE_URL`` or
      ``https://api.deepseek.com``). A key a header cannot carry raises
      :class:`InvalidAPIKeyError` here.
    - ``timeout``: read timeout in seconds (also between stream events), a ``(connect, read)``
      tuple, or an ``httpx.Timeout``; ``max_retries``/``retry_policy``: retries.
    - ``era``, ``reasoning_replay``: the reasoner's history rules.
    - ``default_headers``, ``default_query``: added to every request.
    - ``deadline``: seconds one request may take in all (attempts, waits, streaming), or None.
    - ``recover_tool_calls``: recover tool calls leaked into ``content`` (on by default).
    - ``http_client`` (not closed here) or ``transport`` (e.g. the emulator's).
    - ``limiter``, ``max_concurrency``: the account's in-flight limit.

    ``sleep`` is how to wait between retries and out a shared pause (tests inject a recorder).
    """

    _http: httpx.Client
    _transport: httpx.BaseTransport | None

    def __init__(
        self,
        options: ClientOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        **option_fields: Any,
    ) -> None:
        options = _options_from(options, option_fields, "DeepSeekClient")
        super().__init__(options, options.http_client, options.sync_transport())
        self._sleep = sleep

    def chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> ChatCompletion:
        """Send a chat request and return the completion.

        Takes a :class:`ChatRequest` or its fields as keyword arguments; ``options`` are this
        request's timeout, extra headers and query parameters.
        """
        exchange, build = self._call(request, params, options, self._sleep, stream=False)
        return self._send(exchange, build, self._completion(exchange))

    def stream_chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> Iterator[ChatCompletionChunk]:
        """Send a chat request and iterate over the streamed chunks.

        The request is validated now; nothing is sent until iteration starts. A failure before
        any data was delivered is retried; after that it raises :class:`StreamInterruptedError`.
        """
        exchange, build = self._call(request, params, options, self._sleep, stream=True)
        return self._stream(exchange, build)

    def fim(
        self,
        request: FIMRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> FIMCompletion:
        """Send a fill-in-the-middle completion (beta, ``<beta_base_url>/completions``).

        Takes a :class:`FIMRequest` or its fields as keywords (``prompt=``, ``suffix=``,
        ``max_tokens=`` up to 4096, ...); the completion's ``text`` is the middle.
        """
        exchange, build = self._fim_call(request, params, options, self._sleep, stream=False)
        return self._send(exchange, build, self._fim_parse)

    def stream_fim(
        self,
        request: FIMRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> Iterator[FIMChunk]:
        """Send a FIM completion and iterate over its chunks (validated now, sent when
        iteration starts; retried as :meth:`stream_chat` is)."""
        exchange, build = self._fim_call(request, params, options, self._sleep, stream=True)
        return self._stream(exchange, build)

    def list_models(self) -> list[Model]:
        """The models the account may use (``GET /models``)."""
        return self._send(*self._models_call(self._sleep))

    def _send(self, exchange: Exchange, build: _Build, parse: _Parse[_T]) -> _T:
        try:
            while True:
                request = build()
                exchange.ticket.acquire(**exchange.terms)
                exchange.begin(request)
                outcome = exchange.settle(self._fetch(request, exchange), parse)
                if not isinstance(outcome, Retry):
                    return outcome
                self._sleep(exchange.wait(outcome))
        finally:
            exchange.ticket.release()

    def _fetch(
        self, request: httpx.Request, exchange: Exchange
    ) -> httpx.Response | httpx.RequestError:
        """The response with its body read, or the transport's error."""
        try:
            with within(exchange.deadline.end):
                response = exchange.arrived(self._http.send(request, stream=True))
                return self._read(response, exchange)
        except httpx.RequestError as exc:
            return exc

    @staticmethod
    def _read(response: httpx.Response, exchange: Exchange) -> httpx.Response:
        """A streamed response's body: in one go when its length is known to be within the cap
        and no deadline is to be checked, else piece by piece (size and deadline checked)."""
        try:
            if exchange.deadline.end is None and exchange.read_whole(response):
                response.read()
                return response
            return exchange.with_body(response, [exchange.piece(p) for p in response.iter_bytes()])
        finally:
            response.close()

    def _stream(self, exchange: Exchange, build: _Build) -> Iterator[Any]:
        try:
            while True:
                request = build()
                exchange.ticket.acquire(**exchange.terms)
                exchange.begin(request)
                try:
                    response = self._send_stream(request, exchange.deadline.end)
                except httpx.RequestError as exc:
                    retry: Retry | None = exchange.failed(exc)
                else:
                    decoder = exchange.decoder(response)
                    if decoder is None:
                        retry = exchange.rejected(self._read(response, exchange))
                        self._sleep(exchange.wait(retry))
                        continue
                    try:
                        body = response.iter_bytes()
                        # Each read within the deadline's time left (no wrapper without one).
                        body = body if decoder.end is None else bounded(body, decoder.end)
                        for raw in body:
                            yield from decoder.feed(raw)
                            if decoder.stop or (decoder.end and decoder.past_deadline()):
                                break
                        yield from decoder.finish()
                        return
                    except STREAM_BREAKS as exc:
                        retry = exchange.broke(exc, decoder)
                    finally:
                        response.close()
                if retry is None:  # complete: only [DONE] was lost
                    return
                self._sleep(exchange.wait(retry))
        finally:
            exchange.ticket.release()

    def _send_stream(self, request: httpx.Request, end: float | None) -> httpx.Response:
        """A stream's status line and headers, each socket operation within the deadline."""
        with within(end):
            return self._http.send(request, stream=True)

    def _new_pool(self) -> httpx.Client:
        pool = httpx.Client(**self._pool_settings())
        clamp_network(pool)
        return pool

    def close(self) -> None:
        """Close the connection pool (unless it was injected)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> DeepSeekClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncDeepSeekClient(_BaseClient):
    """An asynchronous client of the DeepSeek chat-completions API.

    Takes the same options as :class:`DeepSeekClient`, with an async transport and an async
    ``sleep`` (``asyncio.sleep``: the event loop never blocks). Its HTTP client is the
    options' ``async_http_client``; ``http_client=`` given an ``httpx.AsyncClient`` is taken
    as that (the one spelling both clients share).
    """

    _http: httpx.AsyncClient
    _transport: httpx.AsyncBaseTransport | None

    def __init__(
        self,
        options: ClientOptions | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **option_fields: Any,
    ) -> None:
        if isinstance(option_fields.get("http_client"), httpx.AsyncClient):
            option_fields["async_http_client"] = option_fields.pop("http_client")
        options = _options_from(options, option_fields, "AsyncDeepSeekClient")
        super().__init__(options, options.async_http_client, options.async_transport_to_use())
        self._sleep = sleep
        self._loop: asyncio.AbstractEventLoop | None = None
        """The event loop the pool's connections belong to (the first to use it)."""
        self._watcher: AsyncGenerator[None, None] | None = None

    def _follow_loop(self) -> None:
        """Bind the pool to the running loop; after ``asyncio.run`` closed its loop, a new
        pool for the new one (the old pool's connections belong to a closed loop, and
        reusing them fails with a bare ``Event loop is closed``)."""
        loop = asyncio.get_running_loop()
        bound = self._loop
        if bound is loop:
            return
        if self._owns_http:
            if bound is not None:
                # The old pool's connections belong to the other loop (closed by now, after
                # asyncio.run; its watcher closed them). An injected pool is its owner's.
                self._http = self._new_pool()
            self._watcher = close_with_loop(self._http.aclose)
        self._loop = loop

    async def chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> ChatCompletion:
        """Send a chat request and return the completion (``options`` as in the sync client)."""
        self._follow_loop()
        exchange, build = self._call(request, params, options, self._sleep, stream=False)
        return await self._send(exchange, build, self._completion(exchange))

    def stream_chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> AsyncIterator[ChatCompletionChunk]:
        """Send a chat request and iterate asynchronously over the streamed chunks.

        Validation happens now; the request is sent when iteration starts.
        """
        exchange, build = self._call(request, params, options, self._sleep, stream=True)
        return self._stream(exchange, build)

    async def fim(
        self,
        request: FIMRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> FIMCompletion:
        """Send a fill-in-the-middle completion (as :meth:`DeepSeekClient.fim`)."""
        self._follow_loop()
        exchange, build = self._fim_call(request, params, options, self._sleep, stream=False)
        return await self._send(exchange, build, self._fim_parse)

    def stream_fim(
        self,
        request: FIMRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> AsyncIterator[FIMChunk]:
        """Send a FIM completion and iterate asynchronously over its chunks (validated now,
        sent when iteration starts)."""
        exchange, build = self._fim_call(request, params, options, self._sleep, stream=True)
        return self._stream(exchange, build)

    async def list_models(self) -> list[Model]:
        """The models the account may use (``GET /models``)."""
        self._follow_loop()
        return await self._send(*self._models_call(self._sleep))

    async def _send(self, exchange: Exchange, build: _Build, parse: _Parse[_T]) -> _T:
        try:
            while True:
                request = build()
                await exchange.ticket.aacquire(**exchange.terms)
                exchange.begin(request)
                outcome = exchange.settle(await self._fetch(request, exchange), parse)
                if not isinstance(outcome, Retry):
                    return outcome
                await self._sleep(exchange.wait(outcome))
        finally:
            exchange.ticket.release()

    async def _fetch(
        self, request: httpx.Request, exchange: Exchange
    ) -> httpx.Response | httpx.RequestError:
        try:
            with within(exchange.deadline.end):
                response = exchange.arrived(await self._http.send(request, stream=True))
                return await self._read(response, exchange)
        except httpx.RequestError as exc:
            return exc

    @staticmethod
    async def _read(response: httpx.Response, exchange: Exchange) -> httpx.Response:
        try:
            if exchange.deadline.end is None and exchange.read_whole(response):
                await response.aread()
                return response
            raw = [exchange.piece(p) async for p in response.aiter_bytes()]
            return exchange.with_body(response, raw)
        finally:
            await response.aclose()

    async def _stream(self, exchange: Exchange, build: _Build) -> AsyncIterator[Any]:
        # As the sync loop; a cancelled task or an abandoned loop ends in the finally too.
        self._follow_loop()
        try:
            while True:
                request = build()
                await exchange.ticket.aacquire(**exchange.terms)
                exchange.begin(request)
                try:
                    response = await self._send_stream(request, exchange.deadline.end)
                except httpx.RequestError as exc:
                    retry: Retry | None = exchange.failed(exc)
                else:
                    decoder = exchange.decoder(response)
                    if decoder is None:
                        retry = exchange.rejected(await self._read(response, exchange))
                        await self._sleep(exchange.wait(retry))
                        continue
                    try:
                        abody = response.aiter_bytes()
                        if decoder.end is not None:
                            abody = abounded(abody, decoder.end)
                        async for raw in abody:
                            for chunk in decoder.feed(raw):
                                yield chunk
                            if decoder.stop or (decoder.end and decoder.past_deadline()):
                                break
                        for chunk in decoder.finish():
                            yield chunk
                        return
                    except STREAM_BREAKS as exc:
                        retry = exchange.broke(exc, decoder)
                    finally:
                        await response.aclose()
                if retry is None:  # complete: only [DONE] was lost
                    return
                await self._sleep(exchange.wait(retry))
        finally:
            exchange.ticket.release()

    async def _send_stream(self, request: httpx.Request, end: float | None) -> httpx.Response:
        with within(end):
            return await self._http.send(request, stream=True)

    def _new_pool(self) -> httpx.AsyncClient:
        pool = httpx.AsyncClient(**self._pool_settings())
        clamp_network(pool)
        return pool

    async def aclose(self) -> None:
        """Close the connection pool (unless it was injected)."""
        bound = self._loop
        if bound is not None and bound.is_closed() and bound is not asyncio.get_running_loop():
            return  # its connections died with their loop; closing them would fail
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncDeepSeekClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
