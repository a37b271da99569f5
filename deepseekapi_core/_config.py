"""Configuration: arguments first, then the environment, then defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx
from pydantic import SecretStr

from ._exceptions import InvalidAPIKeyError, InvalidRequestError, MissingAPIKeyError

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "check_api_key",
    "check_header_values",
    "resolve_api_key",
    "resolve_base_url",
    "resolve_timeout",
]

API_KEY_ENV_VARS = ("DEEPSEEKAPI_API_KEY", "DEEPSEEK_API_KEY")
BASE_URL_ENV_VAR = "DEEPSEEKAPI_BASE_URL"
DEFAULT_BASE_URL = "https://api.deepseekapi.dev/v1"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2


def resolve_api_key(api_key: str | SecretStr | None) -> SecretStr | None:
    """The key from the argument, else ``DEEPSEEKAPI_API_KEY``, else ``DEEPSEEK_API_KEY``.

    Surrounding whitespace (a trailing newline from a file, a space from a copy) is stripped;
    any other character that cannot go in an HTTP header raises :class:`InvalidAPIKeyError`
    naming the problem and where the key came from, never the key.
    """
    if isinstance(api_key, SecretStr):
        api_key = api_key.get_secret_value()
    if api_key:
        return _checked(api_key, "the api_key argument")
    for name in API_KEY_ENV_VARS:
        value = os.environ.get(name)
        if value and value.strip():
            return _checked(value, f"the {name} environment variable")
    return None


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
    """The base URL from the argument, else ``DEEPSEEKAPI_BASE_URL``, else the proxy's."""
    url = base_url or os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
    return url.rstrip("/")


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """A read timeout in seconds (connect stays 10 s), an ``httpx.Timeout``, or the default."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(float(timeout), connect=min(10.0, float(timeout)))
