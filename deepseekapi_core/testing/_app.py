"""The emulator itself: request in, response out, with no I/O.

:meth:`Emulator.handle` is the whole service, read top to bottom: record the request, let
gateway faults answer first, route, authenticate, check the request (``_checks``), take the
reply (scripted, or composed in ``_compose``), put it on the wire (``_render``) and let wire
faults alter it (``_effects``). The transports in ``_transport.py`` and the server in
``_server.py`` only move bytes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..wire._registry import DEFAULT_ERA, Era, known_model_ids, listed_model_ids
from ._cache import PrefixCache
from ._checks import ChatRequest, Rejected, check_chat
from ._checks.eras import ERA_RULES
from ._compose import Reply, compose, limit, scripted
from ._effects import alter_on_wire, alter_reply, answer_at_gateway, delays
from ._faults import Faults, FaultStage
from ._fim import check_fim, fim_reply, render_fim
from ._ids import Ids
from ._in_flight import InFlight
from ._render import Envelope, completion_response, stream_response, usage
from ._script import Script, ScriptedError
from ._wire import (
    EMULATOR_HEADER,
    EmulatedResponse,
    RecordedRequest,
    dumps,
    error_response,
    plain_error,
    retry_headers,
    status_error,
)

if TYPE_CHECKING:
    from ._transport import EmulatorTransport

# The ids the proxy documents: the emulator stands for the proxy, so a model listing finds them
# in every era beside the upstream ids, even where upstream lists only its newer names
# (wire notes 1.10 and 1.16).
PROXY_MODEL_IDS = ("deepseek-chat", "deepseek-reasoner")

__all__ = ["Emulator"]

_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization"})
_BALANCE = {
    "is_available": True,
    "balance_infos": [
        {
            "currency": "USD",
            "total_balance": "10.00",
            "granted_balance": "0.00",
            "topped_up_balance": "10.00",
        }
    ],
}


class Emulator:
    """An offline, deterministic stand-in for the DeepSeek chat-completions service.

    It answers ``POST /v1/chat/completions`` (plain JSON and SSE), ``GET /v1/models`` and
    ``GET /v1/user/balance`` (also without the ``/v1`` prefix), and at the beta base URL
    ``POST /beta/chat/completions`` and ``POST /beta/completions`` (FIM), rejects what the
    service of ``era`` rejects with the service's error bodies, and labels every generated
    reply as emulated. Use :meth:`transport` for an in-process httpx transport, or
    :class:`~deepseekapi_core.testing.EmulatorServer` to serve it on 127.0.0.1.

    Args:
        era: Which period of the service to emulate (rules differ; the newest by default).
        api_key: If set, the only key accepted; otherwise any non-empty bearer token is.
        seed: Seeds ids and fault rates, so runs repeat exactly.
        keep_alive_comments: ``: keep-alive`` comments sent while "thinking" in streams.
        extra_models: Model ids to accept besides the registry's ones for ``era``.
        record_requests: Keep every request in :attr:`requests` (turn off on hot paths;
            :attr:`request_count` is always kept).
        max_in_flight_per_key: Answer 429 (with ``Retry-After``) to a chat request that
            would put more than this many in flight for one API key, as the service caps each
            account's concurrency (None, the default: no cap). See :attr:`in_flight`.
        in_flight_retry_after: The ``Retry-After`` seconds sent with those 429s.
    """

    def __init__(
        self,
        *,
        era: Era | str = DEFAULT_ERA,
        api_key: str | None = None,
        seed: int = 0,
        keep_alive_comments: int = 1,
        extra_models: Iterable[str] = (),
        record_requests: bool = True,
        max_in_flight_per_key: int | None = None,
        in_flight_retry_after: float = 1.0,
    ) -> None:
        self.era = Era(era)
        self.api_key = api_key
        self.keep_alive_comments = keep_alive_comments
        self.extra_models = tuple(extra_models)
        self.record_requests = record_requests
        self.script = Script()
        """Replies to hand out before generated ones (see :class:`Script`)."""
        self.clock: Callable[[], float] = time.time
        """The service's clock (unix seconds): replies say they were answered (``created``)
        at its time, so a test may answer at a chosen hour and date."""
        self.faults = Faults(seed=seed)
        """Faults to inject (see :class:`Faults`)."""
        self.requests: list[RecordedRequest] = []
        """Every request received, oldest first (unless ``record_requests`` is off)."""
        self.request_count = 0
        """How many requests arrived, faulted ones included."""
        self.in_flight = InFlight(max_in_flight_per_key, retry_after=in_flight_retry_after)
        """Chat requests in flight per key, their cap and counters (see :class:`InFlight`)."""
        self._lock = threading.Lock()
        self._ids = Ids(seed)
        self._cache = PrefixCache()
        self._fingerprint = ERA_RULES[self.era].fingerprint
        self._models = frozenset(self.model_ids())

    def __repr__(self) -> str:
        return f"Emulator(era={self.era.value!r}, requests={self.request_count})"

    # ----------------------------------------------------------------------------------------
    # Convenience

    @property
    def last_request(self) -> RecordedRequest | None:
        """The most recent recorded request."""
        return self.requests[-1] if self.requests else None

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The recorded chat-completions requests."""
        return [
            r
            for r in self.requests
            if r.path.split("?", 1)[0].rstrip("/").endswith("/chat/completions")
        ]

    @property
    def fim_requests(self) -> list[RecordedRequest]:
        """The recorded FIM completion requests (``POST /beta/completions``)."""
        return [
            r for r in self.requests if r.path.split("?", 1)[0].rstrip("/") == "/beta/completions"
        ]

    def reset(self) -> None:
        """Forget requests, scripted replies, faults and the context cache."""
        with self._lock:
            self.requests.clear()
            self.request_count = 0
        self._cache.clear()
        self._ids.reset()
        self.in_flight.reset_counters()
        self.script.clear()
        self.faults.clear()

    def transport(self) -> EmulatorTransport:
        """An httpx transport, usable both as sync and async transport, serving this emulator."""
        from ._transport import EmulatorTransport

        return EmulatorTransport(self)

    def model_ids(self) -> tuple[str, ...]:
        """The model ids this emulator accepts (aliases included)."""
        return known_model_ids(self.era) + self.extra_models

    def listed_model_ids(self) -> tuple[str, ...]:
        """The model ids ``GET /models`` lists: the era's own upstream ids, then the ids the
        proxy documents (in every era), then extras; each once."""
        listed = dict.fromkeys((*listed_model_ids(self.era), *PROXY_MODEL_IDS, *self.extra_models))
        return tuple(listed)

    # ----------------------------------------------------------------------------------------
    # The service

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> EmulatedResponse:
        """Answer one HTTP request. ``headers`` must allow lower-case lookups."""
        route = _route(path)
        parsed = _parse_chat_body(body) if route in _POSTED else None
        streaming = isinstance(parsed, dict) and parsed.get("stream") is True
        self._record(method, path, headers, parsed, body)
        gateway = self.faults.take(FaultStage.GATEWAY, streaming=streaming)
        response = answer_at_gateway(gateway, self._ids.trace_id)
        if response is None:
            response = self._serve_in_flight(route, method, headers, body, parsed)
            if response.status == 200 and route in _POSTED:
                alter_on_wire(response, self.faults.take(FaultStage.WIRE, streaming=streaming))
        before, between = delays(gateway)
        response.delay += before
        response.event_delay += between
        return response

    def _record(
        self, method: str, path: str, headers: Mapping[str, str], parsed: Any, body: bytes
    ) -> None:
        with self._lock:
            self.request_count += 1
            if self.record_requests:
                self.requests.append(
                    RecordedRequest(
                        method=method,
                        path=path,
                        headers={
                            k.lower(): v
                            for k, v in headers.items()
                            if k.lower() not in _SECRET_HEADERS
                        },
                        json=parsed,
                        body=body,
                    )
                )

    def _serve_in_flight(
        self,
        route: str | None,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        parsed: Any,
    ) -> EmulatedResponse:
        """Serve the request, holding a slot of its key's in-flight cap until it is delivered."""
        key = _bearer_key(headers) if route in _POSTED else ""
        release = self.in_flight.enter(key) if key else None
        if key and release is None:
            return status_error(
                429,
                trace_id=self._ids.trace_id(),
                headers=retry_headers(self.in_flight.retry_after, None),
            )
        try:
            response = self._serve(route, method, headers, body, parsed)
        except Rejected as rejected:
            response = rejected.response
        except BaseException:
            if release is not None:
                release()
            raise
        response.on_close = release
        return response

    def _serve(
        self,
        route: str | None,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        parsed: Any,
    ) -> EmulatedResponse:
        if route is None:
            return EmulatedResponse(404, [EMULATOR_HEADER], b"")
        wanted = "POST" if route in _POSTED else "GET"
        if method.upper() != wanted:
            return EmulatedResponse(405, [("allow", wanted), EMULATOR_HEADER], b"")
        self._authenticate(headers)
        if route == "models":
            models = [
                {"id": m, "object": "model", "owned_by": "deepseek"}
                for m in self.listed_model_ids()
            ]
            return self._json({"object": "list", "data": models})
        if route == "balance":
            return self._json(_BALANCE)
        if route == "beta fim":
            return self._fim(headers, body, parsed)
        return self._chat(headers, body, parsed, beta=route == "beta chat")

    def _fim(self, headers: Mapping[str, str], body: bytes, parsed: Any) -> EmulatedResponse:
        """``POST /beta/completions``: FIM completion (scripted text replies answer it too)."""
        unread = _unread_json(headers, body, parsed)
        if unread is not None:
            return unread
        call = check_fim(parsed, len(body), era=self.era, models=self._models)
        item = self.script.take()
        if isinstance(item, ScriptedError):
            return self._scripted_error(item)
        text, finish = fim_reply(call, item)
        envelope = Envelope(
            completion_id=self._ids.completion_id(),
            created=int(self.clock()),
            model=call.response_model,
            fingerprint=self._fingerprint,
            trace_id=self._ids.trace_id(),
        )
        return render_fim(call, text, finish, envelope)

    def _scripted_error(self, item: ScriptedError) -> EmulatedResponse:
        return status_error(
            item.status,
            trace_id=self._ids.trace_id(),
            message=item.message,
            error_type=item.error_type,
            code=item.code,
            headers=list(item.headers),
        )

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        key = _bearer_key(headers)
        if not key or (self.api_key is not None and key != self.api_key):
            # The service echoes the end of whatever credential came, bearer or not.
            key = headers.get("authorization", "").partition(" ")[2].strip()
            masked = "****" + (key[-4:] if len(key) >= 4 else "")
            raise Rejected(
                error_response(
                    401,
                    f"Authentication Fails, Your api key: {masked} is invalid",
                    error_type="authentication_error",
                    headers=[("x-ds-trace-id", self._ids.trace_id())],
                )
            )

    def _chat(
        self, headers: Mapping[str, str], body: bytes, parsed: Any, *, beta: bool
    ) -> EmulatedResponse:
        unread = _unread_json(headers, body, parsed)
        if unread is not None:
            return unread
        chat = check_chat(parsed, len(body), era=self.era, models=self._models, beta=beta)
        item = self.script.take()
        if isinstance(item, ScriptedError):
            return self._scripted_error(item)
        if item is not None:
            reply = scripted(item, chat, self._ids.call_id)
        else:
            reply = compose(chat, self._ids.call_id)
        reply = limit(reply, chat)
        faults = self.faults.take(
            FaultStage.REPLY,
            streaming=chat.stream,
            calls_tools=bool(reply.tool_calls),
            json_mode=chat.json_mode,
        )
        return self._render(chat, alter_reply(reply, faults))

    def _render(self, chat: ChatRequest, reply: Reply) -> EmulatedResponse:
        envelope = Envelope(
            completion_id=self._ids.completion_id(),
            created=int(self.clock()),
            model=chat.response_model,
            fingerprint=self._fingerprint,
            trace_id=self._ids.trace_id(),
        )
        # The cache learns every prompt, whether or not the stream reports usage.
        counts = usage(chat, reply, self._cache.hit(chat.messages, chat.prompt_tokens))
        if chat.stream:
            return stream_response(
                chat, reply, envelope, counts, keep_alive_comments=self.keep_alive_comments
            )
        return completion_response(reply, envelope, counts)

    def _json(self, body: Any) -> EmulatedResponse:
        return EmulatedResponse(
            200,
            [
                ("content-type", "application/json"),
                ("x-ds-trace-id", self._ids.trace_id()),
                EMULATOR_HEADER,
            ],
            dumps(body),
        )


# --------------------------------------------------------------------------------------------
# Helpers


_ROUTES = {"/chat/completions": "chat", "/models": "models", "/user/balance": "balance"}
# DeepSeek's beta base URL serves the beta features; any other path under it is a 404.
_BETA_ROUTES = {
    "/chat/completions": "beta chat",
    "/completions": "beta fim",
    "/models": "models",
}
_POSTED = frozenset({"chat", "beta chat", "beta fim"})
"""The routes that take a JSON body by POST (the others are GETs)."""


def _route(path: str) -> str | None:
    path = path.split("?", 1)[0].rstrip("/")
    if path.startswith("/beta/"):
        return _BETA_ROUTES.get(path[len("/beta") :])
    if path.startswith("/v1/"):
        path = path[len("/v1") :]
    return _ROUTES.get(path)


def _bearer_key(headers: Mapping[str, str]) -> str:
    """The key of an ``Authorization: Bearer <key>`` header ("" when there is none)."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _parse_chat_body(body: bytes) -> Any:
    """The parsed JSON body (None when there is none or it is not JSON)."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _unread_json(headers: Mapping[str, str], body: bytes, parsed: Any) -> EmulatedResponse | None:
    """The service's answer to a POST whose body is not JSON it can read, or None."""
    if "json" not in headers.get("content-type", "").lower():
        return plain_error(415, "Expected request with `Content-Type: application/json`")
    if parsed is None:
        return _syntax_error(body)
    return None


def _syntax_error(body: bytes) -> EmulatedResponse:
    try:
        json.loads(body)
    except ValueError as error:
        detail = str(error)
    else:
        detail = "expected value"
    return plain_error(400, f"Failed to parse the request body as JSON: {detail}")
