"""The error hierarchy, mapped from HTTP status codes.

Every error is a :class:`DeepSeekAPIError`. Errors that come with a response carry it, the
request, the parsed ``type``/``code``/``param``, the request id header and ``retry_after``.
No error text ever includes the API key: the key lives only in the request's
``Authorization`` header, which httpx masks in its own ``repr``.

When ``openai`` is loaded, each class also becomes openai's matching class (``RateLimitError``
is an ``openai.RateLimitError``, a cut stream an ``openai.APIError``, the base an
``openai.OpenAIError``), so ``except openai.X`` and retry or fallback rules keyed on openai's
classes work unchanged. This module never imports ``openai``: the classes gain openai's as
extra bases (:func:`_adopt_openai_bases`) once ``openai`` is found in ``sys.modules`` — when
this module is imported or when an error is built — so a program that never loads ``openai``
pays nothing. Errors pickle (process pools) without the API key (``__reduce__``).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from typing import Any

import httpx

REQUEST_ID_HEADERS = ("x-ds-trace-id", "x-request-id")
_EXCERPT_CHARS = 200


class _ErrorRoot(Exception):
    """Gives our base the instance layout of openai's (a plain ``Exception`` subclass), which
    Python requires for :func:`_adopt_openai_bases` to add openai's classes as bases."""


class DeepSeekAPIError(_ErrorRoot):
    """Base class of every error raised by this package.

    Every error has openai's attribute names (``message``, ``status_code``, ``body``,
    ``request``, ``response``, ``type``, ``code``, ``param``, ``request_id``), set to ``None``
    where they do not apply (no response, for instance), so handlers written for openai's
    exceptions can read them; ``retry_after`` is this package's addition.
    """

    message: str
    request: httpx.Request | None = None
    response: httpx.Response | None = None
    body: object | None = None
    status_code: int | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    request_id: str | None = None
    retry_after: float | None = None

    def __init__(self, message: str) -> None:
        # Not super(): once openai's classes are bases, the next __init__ in the MRO is
        # openai's, whose signature differs; ours set every attribute openai's would.
        Exception.__init__(self, message)
        self.message = message
        if _openai_pending and "openai" in sys.modules:
            _adopt_openai_bases()

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException's reduce calls cls(*args), which keyword-only __init__s refuse; the
        # state is rebuilt instead, with the request and response stripped of the key.
        state = dict(self.__dict__)
        for name in ("request", "response"):
            value = state.get(name)
            if isinstance(value, (httpx.Request, httpx.Response)):
                state[name] = _key_free(value)
        return (_rebuild_error, (type(self), self.args, state))


class InvalidRequestError(DeepSeekAPIError, ValueError):
    """A request refused before anything was sent; the message names the offending field."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class UnsupportedParameterError(InvalidRequestError):
    """A parameter the chosen model (or its thinking mode) rejects."""


class StrictSchemaError(InvalidRequestError):
    """A tool's JSON schema has a part strict mode cannot express (``param="tools"``).

    ``tool`` is the tool's name and ``path`` the JSON path of the part inside its
    parameters (``$`` is the parameters object), e.g. ``$.properties.tags``.
    """

    def __init__(self, message: str, *, tool: str, path: str) -> None:
        super().__init__(message, param="tools")
        self.tool = tool
        self.path = path


class MissingAPIKeyError(DeepSeekAPIError):
    """No API key was given as an argument or found in the environment."""


class InvalidAPIKeyError(DeepSeekAPIError, ValueError):
    """The configured key (or an extra header) holds a character HTTP headers cannot carry.

    Raised when the client is built, before anything is sent; the message never quotes the key.
    """


class APIConnectionError(DeepSeekAPIError):
    """No response arrived: the connection failed or was dropped."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read between events, write or pool)."""

    def __init__(self, request: httpx.Request, message: str = "Request timed out.") -> None:
        super().__init__(message, request=request)


class DeadlineExceededError(APITimeoutError):
    """The request's overall ``deadline`` passed (attempts, waits and reading all counted).

    The read timeout applies to each read, so a server sending keep-alive lines for ever never
    trips it; the deadline does. Not retried. When a stream had delivered data, the partial
    reply is in ``partial_content``, ``partial_reasoning`` and ``partial_tool_calls``.
    """

    def __init__(
        self,
        request: httpx.Request,
        message: str,
        *,
        partial_content: str = "",
        partial_reasoning: str = "",
        partial_tool_calls: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(request, message)
        self.partial_content = partial_content
        self.partial_reasoning = partial_reasoning
        self.partial_tool_calls = partial_tool_calls or []


class APIResponseValidationError(DeepSeekAPIError):
    """A successful response whose body is not what the service's wire format promises."""

    def __init__(self, message: str, *, response: httpx.Response, body: object = None) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.body = body
        self.request_id = _request_id(response)


class StreamInterruptedError(DeepSeekAPIError):
    """A stream broke after data was delivered; it is not replayed.

    Replaying would show the caller tokens it has already seen, so the partial reply is handed
    over instead: ``partial_content``, ``partial_reasoning`` and ``partial_tool_calls``
    (a list of ``{"id", "name", "arguments"}`` dicts).
    """

    def __init__(
        self,
        message: str,
        *,
        partial_content: str = "",
        partial_reasoning: str = "",
        partial_tool_calls: list[dict[str, str]] | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message)
        self.partial_content = partial_content
        self.partial_reasoning = partial_reasoning
        self.partial_tool_calls = partial_tool_calls or []
        self.request = request


class APIStreamError(StreamInterruptedError):
    """The service sent an error object inside an accepted (HTTP 200) stream.

    Not retried: the request was accepted and may have been billed. Whatever was streamed
    before the error is kept in the ``partial_*`` attributes.
    """

    def __init__(
        self,
        message: str,
        *,
        error: dict[str, Any],
        partial_content: str = "",
        partial_reasoning: str = "",
        partial_tool_calls: list[dict[str, str]] | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(
            message,
            partial_content=partial_content,
            partial_reasoning=partial_reasoning,
            partial_tool_calls=partial_tool_calls,
            request=request,
        )
        self.type = _str_or_none(error.get("type"))
        self.code = _str_or_none(error.get("code"))
        self.param = _str_or_none(error.get("param"))
        self.body = error


class InsufficientSystemResourceError(StreamInterruptedError):
    """The reply ended with ``finish_reason: "insufficient_system_resource"``: the service ran
    short of capacity while generating.

    With nothing delivered (``delivered`` False) the request is retried like a 503. With a
    partial reply (text, reasoning or tool calls) it is not retried: the partial reply is in
    the ``partial_*`` attributes and the completion or last chunk in ``reply``.
    """

    def __init__(
        self,
        message: str,
        *,
        partial_content: str = "",
        partial_reasoning: str = "",
        partial_tool_calls: list[dict[str, str]] | None = None,
        request: httpx.Request | None = None,
        reply: object = None,
    ) -> None:
        super().__init__(
            message,
            partial_content=partial_content,
            partial_reasoning=partial_reasoning,
            partial_tool_calls=partial_tool_calls,
            request=request,
        )
        self.reply = reply
        self.code = "insufficient_system_resource"

    @property
    def delivered(self) -> bool:
        """Whether any part of a reply arrived before the service gave up."""
        return bool(self.partial_content or self.partial_reasoning or self.partial_tool_calls)


class EmptyJSONReplyError(DeepSeekAPIError, ValueError):
    """JSON mode answered with whitespace only (the service replaces output that is not JSON
    with spaces). Carries the ``finish_reason`` and the raw ``content``."""

    def __init__(self, message: str, *, content: str = "", finish_reason: str | None = None):
        super().__init__(message)
        self.content = content
        self.finish_reason = finish_reason


class APIStatusError(DeepSeekAPIError):
    """The service answered with a non-2xx status."""

    hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.body = body
        self.retry_after = retry_after
        self.request_id = _request_id(response)
        if isinstance(body, dict):
            self.type = _str_or_none(body.get("type"))
            self.code = _str_or_none(body.get("code"))
            self.param = _str_or_none(body.get("param"))


class BadRequestError(APIStatusError):
    """400: the service could not accept the request body."""

    hint = "Fix the request as the message says."


class AuthenticationError(APIStatusError):
    """401: the API key is wrong, revoked or missing."""

    hint = "Check the API key (DEEPSEEKAPI_API_KEY or DEEPSEEK_API_KEY)."


class InsufficientCreditsError(APIStatusError):
    """402: the account's balance is used up."""

    hint = "Your balance is used up: top up your credits, then retry."


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this resource."""

    hint = "This key is not allowed to use this resource."


class NotFoundError(APIStatusError):
    """404: the path or model does not exist."""

    hint = "Check the base URL (it should end in /v1) and the model id."


class BetaEndpointNotFoundError(NotFoundError):
    """404 from the beta base URL: the endpoint does not serve DeepSeek's beta features there.

    ``beta_url`` is the URL tried and ``features`` what needed it; the message names the
    setting that moves it (``beta_base_url``, ``DEEPSEEKAPI_BETA_BASE_URL``).
    """

    hint = (
        "Point beta_base_url (or DEEPSEEKAPI_BETA_BASE_URL; DEEPSEEK_BETA_BASE_URL for "
        "DeepSeek's own keys) at where your endpoint serves DeepSeek's beta features"
    )
    beta_url: str = ""
    features: tuple[str, ...] = ()


def beta_not_found(
    error: APIStatusError,
    response: httpx.Response,
    beta_url: str,
    source: str,
    features: tuple[str, ...],
) -> BetaEndpointNotFoundError:
    """The 404 ``error`` from the beta endpoint, retold: which URL was tried, why, and where
    that URL came from."""
    needed = ", ".join(features) or "a beta feature"
    message = (
        f"Error code: 404 from the beta endpoint {beta_url} (needed for {needed}; the URL is "
        f"{source}). {BetaEndpointNotFoundError.hint}. Nothing was generated."
    )
    beta = BetaEndpointNotFoundError(
        message, response=response, body=error.body, retry_after=error.retry_after
    )
    beta.beta_url, beta.features = beta_url, features
    return beta


class UnprocessableEntityError(APIStatusError):
    """422: the body parsed but a parameter is invalid."""

    hint = "A parameter is invalid: fix it as the message says."


class ConflictError(APIStatusError):
    """409: the request conflicts with the state of a resource (retried)."""


class RateLimitError(APIStatusError):
    """429: too many requests or too much concurrency."""

    hint = "Rate limited: slow down, or retry after the time the service asked for."


class InternalServerError(APIStatusError):
    """5xx: trouble on the service or a gateway in front of it."""

    hint = "The service had trouble; retrying later usually helps."


class ServiceUnavailableError(InternalServerError):
    """503: the service is overloaded."""

    hint = "The service is overloaded; retry after a short wait."


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


# Each class that gains an openai class as an extra base; subclasses inherit it
# (ServiceUnavailableError is an InternalServerError, a 402 a plain APIStatusError).
_OPENAI_BASES: tuple[tuple[type[DeepSeekAPIError], str], ...] = (
    (DeepSeekAPIError, "OpenAIError"),
    (APIConnectionError, "APIConnectionError"),
    (APITimeoutError, "APITimeoutError"),
    (APIResponseValidationError, "APIResponseValidationError"),
    (StreamInterruptedError, "APIError"),
    (APIStatusError, "APIStatusError"),
    (BadRequestError, "BadRequestError"),
    (AuthenticationError, "AuthenticationError"),
    (PermissionDeniedError, "PermissionDeniedError"),
    (NotFoundError, "NotFoundError"),
    (ConflictError, "ConflictError"),
    (UnprocessableEntityError, "UnprocessableEntityError"),
    (RateLimitError, "RateLimitError"),
    (InternalServerError, "InternalServerError"),
)
_openai_pending = True
_adopt_lock = threading.Lock()


def _adopt_openai_bases() -> None:
    """Add openai's matching classes as extra bases of ours, once, with ``openai`` loaded.

    Our classes keep their identity and their place first in every MRO (``str``, ``__init__``
    and the attributes stay ours); ``except openai.RateLimitError`` then catches our 429.
    An ``openai`` too different (no such classes, another instance layout) is left alone.
    """
    global _openai_pending
    with _adopt_lock:
        openai = sys.modules.get("openai")
        if not _openai_pending or openai is None:
            return
        if getattr(getattr(openai, "__spec__", None), "_initializing", False):
            return  # another thread is still importing it: the next error tries again
        _openai_pending = False
        pairs: list[tuple[type, type]] = []
        for ours, name in _OPENAI_BASES:
            base = getattr(openai, name, None)
            if not (isinstance(base, type) and issubclass(base, Exception)):
                return
            pairs.append((ours, base))
        done: list[tuple[type, tuple[type, ...]]] = []
        try:
            for ours, base in pairs:
                if not issubclass(ours, base):
                    original = ours.__bases__
                    ours.__bases__ = (*original, base)
                    done.append((ours, original))
        except TypeError:
            for ours, original in reversed(done):
                ours.__bases__ = original


def _rebuild_error(
    cls: type[DeepSeekAPIError], args: tuple[Any, ...], state: dict[str, Any]
) -> DeepSeekAPIError:
    """Unpickle an error without calling its ``__init__`` (see ``DeepSeekAPIError.__reduce__``)."""
    if _openai_pending and "openai" in sys.modules:
        _adopt_openai_bases()
    error = cls.__new__(cls, *args)
    error.__dict__.update(state)
    return error


_REDACTED = "[redacted]"
# Header names that may hold a credential (a gateway's own key, a cookie), besides
# any header whose value holds the bearer key.
_SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie|passw", re.IGNORECASE)


def _key_free(message: httpx.Request | httpx.Response) -> httpx.Request | httpx.Response:
    """A copy of a request or response fit to leave the process: no key in it anywhere."""
    if isinstance(message, httpx.Request):
        return _key_free_request(message)
    try:
        request: httpx.Request | None = message.request
    except RuntimeError:
        request = None
    key = _bearer_key(request) if request is not None else None
    try:
        content = message.content
    except httpx.ResponseNotRead:
        content = b""
    if key:
        content = content.replace(key.encode(), _REDACTED.encode())
    # The content is already decoded: a copied Content-Encoding would decode it twice.
    headers = [
        (name, value)
        for name, value in _key_free_headers(message.headers, key)
        if name.lower() != "content-encoding"
    ]
    return httpx.Response(
        message.status_code,
        headers=headers,
        content=content,
        request=_key_free_request(request) if request is not None else None,
    )


def _key_free_request(request: httpx.Request) -> httpx.Request:
    key = _bearer_key(request)
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    url = request.url.copy_with(userinfo=b"") if request.url.userinfo else request.url
    if key:
        content = content.replace(key.encode(), _REDACTED.encode())
        url = httpx.URL(str(url).replace(key, _REDACTED))
    headers = _key_free_headers(request.headers, key)
    return httpx.Request(request.method, url, headers=headers, content=content)


def _key_free_headers(headers: httpx.Headers, key: str | None) -> list[tuple[str, str]]:
    return [
        (name, _REDACTED if _SECRET_HEADER.search(name) or (key and key in value) else value)
        for name, value in headers.multi_items()
    ]


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The exception class for an HTTP status code."""
    cls = _STATUS_CLASSES.get(status_code)
    if cls is not None:
        return cls
    return InternalServerError if status_code >= 500 else APIStatusError


def make_status_error(response: httpx.Response, *, retry_after: float | None) -> APIStatusError:
    """Build the error for a non-2xx ``response`` whose body has been read.

    The body is parsed as JSON whatever its Content-Type (the service serves JSON errors as
    ``application/octet-stream`` and some as plain text); a body that is not JSON, such as a
    gateway's HTML page, is quoted as a short excerpt.
    """
    text = response.content.decode("utf-8", errors="replace")
    body = _parse_error_body(redact_credentials(text, response.request))
    if isinstance(body, dict):
        detail = _str_or_none(body.get("message")) or _dumps(body)
    else:
        detail = _excerpt(body) or response.reason_phrase or "no body"
    cls = status_error_class(response.status_code)
    message = f"Error code: {response.status_code} - {detail}"
    if cls.hint:
        message = f"{message}. {cls.hint}"
    if retry_after is not None:
        message = f"{message} (retry after {retry_after:g} s)"
    request_id = _request_id(response)
    if request_id:
        message = f"{message} [request id {request_id}]"
    message = redact_credentials(message, response.request)
    return cls(message, response=response, body=body, retry_after=retry_after)


# The error types the service (and OpenAI-compatible gateways) put in an error body, for a body
# that arrives with HTTP 200 and so has no status to go by.
_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "insufficient_quota": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "server_error": 500,
    "api_error": 500,
    "overloaded_error": 503,
    "service_unavailable": 503,
}


def error_from_ok_body(
    response: httpx.Response, parsed: dict[str, Any], *, streaming: bool
) -> APIStatusError:
    """The typed error for an error body the service sent with HTTP 200.

    The class follows the body's numeric ``code`` if it is an HTTP status, else its ``type``;
    ``status_code`` is that status (the HTTP status was 200). Not retried by the clients.
    """
    error = parsed.get("error")
    if json_deeper_than(error, _MAX_BODY_DEPTH):  # keep what a handler reads, drop the nesting
        error = {k: v for k, v in error.items() if _is_scalar(v)} if isinstance(error, dict) else {}
    elif not isinstance(error, dict):
        error = {"message": str(error)}
    body: dict[str, Any] = json.loads(redact_credentials(json.dumps(error), response.request))
    status = _status_of(body)
    cls = status_error_class(status) if status else APIStatusError
    detail = _str_or_none(body.get("message")) or _dumps(body)
    what = "a stream request" if streaming else "the request"
    message = f"The service answered {what} with an error body and HTTP 200: {detail}"
    if cls.hint:
        message = f"{message}. {cls.hint}"
    request_id = _request_id(response)
    if request_id:
        message = f"{message} [request id {request_id}]"
    error_object = cls(message, response=response, body=body)
    error_object.status_code = status or response.status_code
    return error_object


def _status_of(body: dict[str, Any]) -> int | None:
    for value in (body.get("code"), body.get("status")):
        if isinstance(value, int) and 400 <= value <= 599:
            return value
        if isinstance(value, str) and value.isdigit() and 400 <= int(value) <= 599:
            return int(value)
    kind = body.get("type")
    return _TYPE_STATUS.get(kind) if isinstance(kind, str) else None


def redact_credentials(text: str, request: httpx.Request) -> str:
    """``text`` with the request's bearer key replaced, should a server or proxy echo it."""
    key = _bearer_key(request)
    return text.replace(key, _REDACTED) if key else text


def _bearer_key(request: httpx.Request) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and len(key) >= 8 else None


_ILLEGAL_HEADER = re.compile(r"(Illegal header (?:name|value))\b.*", re.DOTALL)


def scrub_transport_message(text: str, request: httpx.Request) -> str:
    """A transport error's text with any echoed header value removed.

    h11 and httpx quote the offending header in full ("Illegal header value b'Bearer ...'"),
    and a header may hold the key.
    """
    text = _ILLEGAL_HEADER.sub(r"\1 (value not shown)", text)
    return redact_credentials(text, request)


# Deeper than any error object a service sends; a hostile body nested past Python's recursion
# limit is quoted as text, so neither parsing, the message nor a later repr or pickle recurses.
_MAX_BODY_DEPTH = 64


def _parse_error_body(text: str) -> object:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return text
    # Counting brackets (in C) spares the walk for the usual small body.
    if text.count("[") + text.count("{") > _MAX_BODY_DEPTH and json_deeper_than(
        parsed, _MAX_BODY_DEPTH
    ):
        return text
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict):
            return error
        if isinstance(error, str):
            return {"message": error}
        return parsed
    return text


def json_deeper_than(value: object, limit: int) -> bool:
    """Whether JSON ``value`` nests past ``limit`` levels (walked without recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _dumps(body: object) -> str:
    try:
        return json.dumps(body, ensure_ascii=False)
    except (ValueError, RecursionError):  # bodies are depth-checked first: a last resort
        return "(error body not shown)"


_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _excerpt(text: object) -> str:
    plain = _SPACE.sub(" ", _TAGS.sub(" ", str(text))).strip()
    return plain if len(plain) <= _EXCERPT_CHARS else plain[: _EXCERPT_CHARS - 1] + "…"


def _request_id(response: httpx.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


if "openai" in sys.modules:  # loaded before us: adopt its classes now, not at the first error
    _adopt_openai_bases()
