"""Configuration: arguments first, then the environment, then defaults."""

from __future__ import annotations

import os

import httpx
from pydantic import SecretStr

from ._exceptions import MissingAPIKeyError

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
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
    """The key from the argument, else ``DEEPSEEKAPI_API_KEY``, else ``DEEPSEEK_API_KEY``."""
    if isinstance(api_key, SecretStr):
        return api_key if api_key.get_secret_value() else None
    if api_key:
        return SecretStr(api_key)
    for name in API_KEY_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return SecretStr(value)
    return None


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
