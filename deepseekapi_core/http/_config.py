"""Configuration: arguments first, then the environment, then defaults.

Where requests go and which key they carry are decided together (:func:`resolve_endpoint`), so
a key is only ever sent to the host its owner named. Two families of environment variables
exist: this package's (``DEEPSEEKAPI_API_KEY`` + ``DEEPSEEKAPI_BASE_URL``, default the proxy)
and the one langchain-deepseek and other DeepSeek tools use (``DEEPSEEK_API_KEY`` +
``DEEPSEEK_API_BASE`` or ``DEEPSEEK_BASE_URL``, default DeepSeek's own host). A key and its base
URL always come from one family:

=====================  =====================  ==========================================
``api_key`` argument   ``base_url`` argument  what is used
=====================  =====================  ==========================================
given                  given                  both arguments
none                   given                  the argument's URL; the key from
                                              ``DEEPSEEKAPI_API_KEY``, else
                                              ``DEEPSEEK_API_KEY`` (you named the host)
given                  none                   the key's family's URL: a key equal to
                                              ``$DEEPSEEK_API_KEY`` (and not to
                                              ``$DEEPSEEKAPI_API_KEY``) goes to
                                              ``DEEPSEEK_API_BASE``/``DEEPSEEK_BASE_URL``
                                              or ``https://api.deepseek.com``; a key equal
                                              to ``$DEEPSEEKAPI_API_KEY`` to
                                              ``DEEPSEEKAPI_BASE_URL`` or the proxy; any
                                              other key to the first base URL variable
                                              set (``DEEPSEEKAPI_BASE_URL``, then
                                              ``DEEPSEEK_API_BASE``, ``DEEPSEEK_BASE_URL``),
                                              else the proxy
none                   none                   ``DEEPSEEKAPI_API_KEY`` with
                                              ``DEEPSEEKAPI_BASE_URL`` or the proxy; else
                                              ``DEEPSEEK_API_KEY`` with
                                              ``DEEPSEEK_API_BASE``/``DEEPSEEK_BASE_URL``
                                              or ``https://api.deepseek.com``; with no key
                                              at all, the first base URL variable set or
                                              the proxy (and an error at the first request)
=====================  =====================  ==========================================

DeepSeek's beta features (strict tools, chat prefix completion, fill-in-the-middle) are served
under another base URL (``https://api.deepseek.com/beta``). Where the proxy serves them is not
documented, so :func:`resolve_beta_base_url` takes it from the ``beta_base_url`` argument, else
from the beta variable of the family the endpoint came from (``DEEPSEEKAPI_BETA_BASE_URL`` or
``DEEPSEEK_BETA_BASE_URL``), else from the base URL itself: its last path segment ``/v1``
replaced by ``/beta``, or ``/beta`` appended. So the key goes to the beta URL only when its owner
named it, or to the host the key already goes to.
"""

from __future__ import annotations

import ipaddress
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import httpx
from pydantic import SecretStr

from ._errors import InvalidAPIKeyError, InvalidRequestError, MissingAPIKeyError

OWN_API_KEY_ENV_VAR = "DEEPSEEKAPI_API_KEY"
DEEPSEEK_API_KEY_ENV_VAR = "DEEPSEEK_API_KEY"
API_KEY_ENV_VARS = (OWN_API_KEY_ENV_VAR, DEEPSEEK_API_KEY_ENV_VAR)
BASE_URL_ENV_VAR = "DEEPSEEKAPI_BASE_URL"
DEEPSEEK_BASE_URL_ENV_VARS = ("DEEPSEEK_API_BASE", "DEEPSEEK_BASE_URL")
BETA_BASE_URL_ENV_VAR = "DEEPSEEKAPI_BETA_BASE_URL"
DEEPSEEK_BETA_BASE_URL_ENV_VAR = "DEEPSEEK_BETA_BASE_URL"
ENV_VARS = (
    *API_KEY_ENV_VARS,
    BASE_URL_ENV_VAR,
    *DEEPSEEK_BASE_URL_ENV_VARS,
    BETA_BASE_URL_ENV_VAR,
    DEEPSEEK_BETA_BASE_URL_ENV_VAR,
)
"""Every environment variable :func:`resolve_endpoint` reads (tests clear them all)."""
DEFAULT_BASE_URL = "https://api.deepseekapi.dev/v1"
DEEPSEEK_DEFAULT_BASE_URL = "https://api.deepseek.com"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2

_TIMEOUT_PARTS = ("connect", "read", "write", "pool")

TimeoutSpec = float | tuple[float | None, float | None] | httpx.Timeout | None
"""Seconds (read, and between stream events), a ``(connect, read)`` pair, an ``httpx.Timeout``."""

Family = Literal["arguments", "deepseekapi", "deepseek", "default"]


@dataclass(frozen=True)
class Endpoint:
    """A key and the base URL it may be sent to, resolved together.

    ``source`` says where the pair came from: ``"arguments"`` (both given), ``"deepseekapi"``
    (this package's variables or defaults), ``"deepseek"`` (``DEEPSEEK_*`` variables or
    DeepSeek's own host) or ``"default"`` (no key anywhere).
    """

    api_key: SecretStr | None
    base_url: str
    source: Family


def _env(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def _given_key(api_key: str | SecretStr | None) -> SecretStr | None:
    if isinstance(api_key, SecretStr):
        api_key = api_key.get_secret_value()
    return _checked(api_key, "the api_key argument") if api_key else None


def _env_key(environ: Mapping[str, str], name: str) -> str | None:
    """A key variable's value, stripped and checked (None when unset or blank)."""
    value = environ.get(name)
    checked = _checked(value, f"the {name} environment variable") if value else None
    return checked.get_secret_value() if checked is not None else None


def _own_base(environ: Mapping[str, str]) -> str:
    return _env(environ, BASE_URL_ENV_VAR) or DEFAULT_BASE_URL


def _deepseek_base(environ: Mapping[str, str]) -> str:
    return _env(environ, *DEEPSEEK_BASE_URL_ENV_VARS) or DEEPSEEK_DEFAULT_BASE_URL


def resolve_endpoint(
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Endpoint:
    """The key and base URL to use, as a pair, by the rule in this module's docstring.

    An explicit argument wins; otherwise key and URL come from one family of environment
    variables, so a key from one family never reaches the other family's default host. A
    base URL with credentials in it is refused (:func:`check_base_url`).
    """
    env = os.environ if environ is None else environ
    endpoint = _resolve(api_key, base_url, env)
    if base_url:
        check_base_url(base_url)
    else:
        check_base_url(endpoint.base_url, source=_ENV_URL_SOURCE)
    return endpoint


_ENV_URL_SOURCE = (
    f"the base URL environment variable ({BASE_URL_ENV_VAR}, "
    f"{' or '.join(DEEPSEEK_BASE_URL_ENV_VARS)})"
)


class InsecureBaseURLWarning(UserWarning):
    """The base URL is plain ``http://`` to a host other than this machine: the API key
    would cross the network unencrypted."""


def check_base_url(
    url: str | None, *, source: str = "the base_url argument", param: str = "base_url"
) -> None:
    """Refuse a base URL with credentials in it (``https://user:pass@host/v1``).

    Refused rather than moved out of the URL: httpx would send them as Basic auth in place of
    the bearer key, and a URL is printed in reprs, logs, traces and limiter account names.
    The message names the problem and the host, never the credentials.
    """
    if not url or "@" not in url:
        return
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return  # not a URL at all: httpx says so at the first request, as before
    if parsed.userinfo:
        raise InvalidRequestError(
            f"{source} has credentials in it (a user name or password before '@' in the URL "
            f"to {parsed.host!r}); a URL is shown in reprs, logs and traces, and the API key "
            "would not be sent. Remove them; pass a gateway's own credentials in "
            "default_headers instead. Nothing was sent.",
            param=param,
        )


_WARNED: set[str] = set()


def warn_if_unencrypted(base_url: str) -> None:
    """Warn once per host when the key would go over plain ``http://`` to another machine."""
    if not base_url.startswith("http://"):
        return
    host = httpx.URL(base_url).host
    if host in _WARNED or _is_loopback(host):
        return
    _WARNED.add(host)
    warnings.warn(
        f"base_url is plain http:// to {host!r}: the API key goes over the network "
        "unencrypted. Use https://, or a host on this machine.",
        InsecureBaseURLWarning,
        stacklevel=4,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _resolve(
    api_key: str | SecretStr | None, base_url: str | None, env: Mapping[str, str]
) -> Endpoint:
    key = _given_key(api_key)
    url = base_url.rstrip("/") if base_url else None
    own_key = _env_key(env, OWN_API_KEY_ENV_VAR)
    deepseek_key = _env_key(env, DEEPSEEK_API_KEY_ENV_VAR)
    if key is not None and url is not None:
        return Endpoint(key, url, "arguments")
    if url is not None:
        found = own_key or deepseek_key
        return Endpoint(SecretStr(found) if found else None, url, "arguments")
    if key is not None:
        value = key.get_secret_value()
        if value == deepseek_key and value != own_key:
            return Endpoint(key, _deepseek_base(env).rstrip("/"), "deepseek")
        if value == own_key:
            return Endpoint(key, _own_base(env).rstrip("/"), "deepseekapi")
        named = _env(env, BASE_URL_ENV_VAR, *DEEPSEEK_BASE_URL_ENV_VARS) or DEFAULT_BASE_URL
        return Endpoint(key, named.rstrip("/"), "arguments")
    if own_key:
        return Endpoint(SecretStr(own_key), _own_base(env).rstrip("/"), "deepseekapi")
    if deepseek_key:
        return Endpoint(SecretStr(deepseek_key), _deepseek_base(env).rstrip("/"), "deepseek")
    named = _env(env, BASE_URL_ENV_VAR, *DEEPSEEK_BASE_URL_ENV_VARS) or DEFAULT_BASE_URL
    return Endpoint(None, named.rstrip("/"), "default")


_BETA_ENV_VAR_OF: dict[Family, str] = {
    "deepseekapi": BETA_BASE_URL_ENV_VAR,
    "deepseek": DEEPSEEK_BETA_BASE_URL_ENV_VAR,
}


def resolve_beta_base_url(
    beta_base_url: str | None, endpoint: Endpoint, *, environ: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The base URL of the beta features and the setting it came from (for error messages).

    A beta variable is read only when the endpoint came from the same family of variables: a
    key given with an explicit ``base_url`` never follows a variable to another host.
    """
    if beta_base_url:
        check_base_url(beta_base_url, source="the beta_base_url argument", param="beta_base_url")
        return beta_base_url.rstrip("/"), "the beta_base_url argument"
    env = os.environ if environ is None else environ
    variable = _BETA_ENV_VAR_OF.get(endpoint.source)
    named = env.get(variable) if variable else None
    if variable and named:
        source = f"the {variable} environment variable"
        check_base_url(named, source=source, param="beta_base_url")
        return named.rstrip("/"), source
    return default_beta_base_url(endpoint.base_url), "the default (the base URL's /v1 as /beta)"


def default_beta_base_url(base_url: str) -> str:
    """``base_url`` with its last path segment ``/v1`` replaced by ``/beta`` (else ``/beta``
    appended): DeepSeek's own layout, ``https://api.deepseek.com`` and ``.../beta``."""
    base = base_url.rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    return f"{base}/beta"


def resolve_api_key(api_key: str | SecretStr | None) -> SecretStr | None:
    """The key :func:`resolve_endpoint` would use with no base URL argument.

    Surrounding whitespace (a trailing newline from a file, a space from a copy) is stripped
    from the argument and the variables; any other character that cannot go in an HTTP header
    raises :class:`InvalidAPIKeyError` naming the problem and where the key came from, never
    the key.
    """
    return resolve_endpoint(api_key, None).api_key


def _checked(value: str, source: str) -> SecretStr | None:
    key = value.strip()
    if not key:
        return None
    check_api_key(key, source=source)
    return SecretStr(key)


def _describe(char: str) -> str:
    if char in "\r\n":
        return "a line break"
    if char == "\x00":
        return "a NUL byte"
    if char in " \t" or char.isspace():
        return f"a space character (U+{ord(char):04X})"
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"a control character (U+{ord(char):04X})"
    return f"a non-ASCII character (U+{ord(char):04X})"


def check_api_key(key: str, *, source: str = "the API key") -> None:
    """Refuse a key with a character an HTTP header cannot carry (or a space inside it).

    The message says what is wrong and where (position and length), never the key itself.
    """
    for index, char in enumerate(key):
        if not "\x21" <= char <= "\x7e":
            raise InvalidAPIKeyError(
                f"The API key from {source} contains {_describe(char)} at position {index + 1} "
                f"of {len(key)}; a key is printable ASCII without spaces (a copy-paste or "
                ".env accident?). Nothing was sent."
            )


def check_header_values(headers: Mapping[str, str]) -> None:
    """Refuse extra headers that HTTP cannot carry, naming the header but not its value
    (a header may hold a credential)."""
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidRequestError(
                f"default_headers: header {name!r} must map a string name to a string value",
                param="default_headers",
            )
        bad_name = next((c for c in name if not "\x21" <= c <= "\x7e" or c == ":"), None)
        if bad_name is not None or not name:
            raise InvalidRequestError(
                f"default_headers: {name!r} is not a valid header name", param="default_headers"
            )
        bad = next((c for c in value if not ("\x20" <= c <= "\x7e" or c == "\t")), None)
        if bad is not None:
            raise InvalidRequestError(
                f"default_headers: the value of {name!r} contains {_describe(bad)}, which an "
                "HTTP header cannot carry. Nothing was sent.",
                param="default_headers",
            )


def require_api_key(api_key: SecretStr | None) -> str:
    """The key's value, or a :class:`MissingAPIKeyError` that says where to put one."""
    if api_key is None:
        raise MissingAPIKeyError(
            "No DeepSeek API key: pass api_key=... or set DEEPSEEKAPI_API_KEY "
            "(or DEEPSEEK_API_KEY) in the environment"
        )
    return api_key.get_secret_value()


def resolve_base_url(base_url: str | None) -> str:
    """The base URL :func:`resolve_endpoint` would use with no key argument."""
    return resolve_endpoint(None, base_url).base_url


def resolve_timeout(timeout: TimeoutSpec) -> httpx.Timeout:
    """An ``httpx.Timeout`` from seconds, a ``(connect, read)`` pair or an ``httpx.Timeout``.

    Seconds set the read timeout (also the longest wait between stream events) and cap the
    10 s connect timeout; a pair is ``(connect, read)`` as requests and openai take it.
    """
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, Mapping):  # httpx.Timeout.as_dict(), e.g. after a JSON round trip
        return httpx.Timeout(**{key: timeout.get(key) for key in _TIMEOUT_PARTS})
    if isinstance(timeout, list):  # a (connect, read) pair after a JSON round trip
        timeout = tuple(timeout)
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise ValueError(f"a timeout tuple is (connect, read), not {len(timeout)} values")
        connect, read = timeout
        return httpx.Timeout(read, connect=connect)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(
            f"timeout must be positive seconds, a (connect, read) tuple or an httpx.Timeout, "
            f"not {timeout!r}"
        )
    return httpx.Timeout(float(timeout), connect=min(10.0, float(timeout)))
