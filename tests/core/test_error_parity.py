"""Our errors carry openai's attribute names, so handlers written for openai's keep working."""

from __future__ import annotations

import inspect
import subprocess
import sys

import httpx
import pytest

from deepseekapi_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DeepSeekAPIError,
    InvalidRequestError,
    StreamInterruptedError,
)
from deepseekapi_core.http import ConflictError
from deepseekapi_core.http._errors import (
    APIStreamError,
    DeadlineExceededError,
    InsufficientCreditsError,
    RateLimitError,
    make_status_error,
    status_error_class,
)

openai = pytest.importorskip("openai")

REQUEST = httpx.Request("POST", "https://api.deepseekapi.dev/v1/chat/completions")

# The README's errors table, as data: our class for a status -> openai's class name.
STATUS_TO_OPENAI = {
    400: "BadRequestError",
    401: "AuthenticationError",
    402: "APIStatusError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "InternalServerError",
}


def _openai_attributes(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("openai"):
            names.update(inspect.get_annotations(klass))
    return {name for name in names if not name.startswith("_")}


def _status_error(status: int) -> APIStatusError:
    response = httpx.Response(
        status,
        json={"error": {"message": "m", "type": "t", "code": "c"}},
        headers={"retry-after": "1", "x-request-id": "req-1"},
        request=REQUEST,
    )
    return make_status_error(response, retry_after=1.0)


@pytest.mark.parametrize("status", sorted(STATUS_TO_OPENAI))
def test_status_errors_have_every_attribute_of_the_matching_openai_class(status: int) -> None:
    error = _status_error(status)
    openai_class = getattr(openai, STATUS_TO_OPENAI[status])
    assert issubclass(openai_class, openai.APIStatusError)
    for name in _openai_attributes(openai_class) - {"status_code"}:
        assert hasattr(error, name), name
    assert error.status_code == status
    assert error.response.status_code == status and error.request is REQUEST
    assert error.body == {"message": "m", "type": "t", "code": "c"}
    assert (error.type, error.code, error.request_id, error.retry_after) == ("t", "c", "req-1", 1.0)
    # openai's class name for the status is ours too, where openai has one
    if STATUS_TO_OPENAI[status] != "APIStatusError" and status != 503:
        assert type(error).__name__ == STATUS_TO_OPENAI[status]


def test_409_is_a_conflict_error() -> None:
    assert isinstance(_status_error(409), ConflictError)


@pytest.mark.parametrize(
    "error",
    [
        APIConnectionError(request=REQUEST),
        APITimeoutError(REQUEST),
        StreamInterruptedError("broken", request=REQUEST),
        InvalidRequestError("bad", param="x"),
    ],
)
def test_every_error_answers_openais_attribute_names(error: DeepSeekAPIError) -> None:
    for name in _openai_attributes(openai.APIError) | {"status_code", "response", "retry_after"}:
        assert hasattr(error, name), name
    assert error.body is None and error.response is None and error.status_code is None


# When openai is installed and imported, our errors are also openai's classes (issue 22, point 1).

OPENAI_CLASS_OF = {
    400: "BadRequestError",
    401: "AuthenticationError",
    402: "APIStatusError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    502: "InternalServerError",
    503: "InternalServerError",
}


@pytest.mark.parametrize("status", sorted(OPENAI_CLASS_OF))
def test_status_errors_are_caught_as_openais_class(status: int) -> None:
    openai_class = getattr(openai, OPENAI_CLASS_OF[status])
    with pytest.raises(openai_class) as caught:
        raise _status_error(status)
    error = caught.value
    assert isinstance(error, (openai.APIStatusError, openai.APIError, openai.OpenAIError))
    assert isinstance(error, APIStatusError) and type(error) is status_error_class(status)
    # openai's attributes, set by us (openai's __init__ never ran)
    assert error.status_code == status and error.response.status_code == status
    assert error.request is REQUEST and error.body == {"message": "m", "type": "t", "code": "c"}
    assert (error.type, error.code, error.param, error.request_id) == ("t", "c", None, "req-1")
    assert error.message == str(error) and str(error).startswith(f"Error code: {status} - m")
    if status != 402:
        others = set(OPENAI_CLASS_OF.values()) - {OPENAI_CLASS_OF[status], "APIStatusError"}
        assert not any(isinstance(error, getattr(openai, name)) for name in others)


@pytest.mark.parametrize(
    ("error", "openai_name"),
    [
        (APIConnectionError(request=REQUEST), "APIConnectionError"),
        (APITimeoutError(REQUEST), "APITimeoutError"),
        (DeadlineExceededError(REQUEST, "deadline passed"), "APITimeoutError"),
        (StreamInterruptedError("cut", request=REQUEST), "APIError"),
        (APIStreamError("event", error={"message": "x", "code": "c"}, request=REQUEST), "APIError"),
        (InvalidRequestError("bad", param="x"), "OpenAIError"),
        (DeepSeekAPIError("any"), "OpenAIError"),
    ],
)
def test_other_errors_are_caught_as_openais_class(
    error: DeepSeekAPIError, openai_name: str
) -> None:
    with pytest.raises(getattr(openai, openai_name)) as caught:
        raise error
    assert caught.value is error and str(error) == error.message
    assert not isinstance(error, openai.APIStatusError)
    if openai_name == "APITimeoutError":
        assert isinstance(error, openai.APIConnectionError)
    if isinstance(error, APIStreamError):
        assert error.code == "c" and error.body == {"message": "x", "code": "c"}


def test_openai_rules_pick_our_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """What with_retry / with_fallbacks / tenacity do: issubclass against openai's classes."""
    assert issubclass(RateLimitError, openai.RateLimitError)
    assert issubclass(InsufficientCreditsError, openai.APIStatusError)
    assert issubclass(StreamInterruptedError, openai.APIError)
    assert issubclass(DeepSeekAPIError, openai.OpenAIError)
    assert not issubclass(RateLimitError, openai.BadRequestError)
    # our own hierarchy and type identity are unchanged
    assert RateLimitError.__mro__[:3] == (RateLimitError, APIStatusError, DeepSeekAPIError)
    assert isinstance(InvalidRequestError("x"), ValueError)


IMPORTS_WITHOUT_OPENAI = """
import importlib.util, sys
import deepseekapi_core, deepseekapi_core.http
from deepseekapi_core import RateLimitError, DeepSeekAPIError
# Each adapter whose framework is installed (the core's own CI leg has neither).
if importlib.util.find_spec("langchain_core") is not None:
    from langchain_deepseekapi import ChatDeepSeekAPI
if importlib.util.find_spec("llama_index.core") is not None:
    from llama_index_deepseekapi import DeepSeekAPI
import httpx
request = httpx.Request("POST", "https://api.deepseekapi.dev/v1/chat/completions")
response = httpx.Response(429, json={"error": {"message": "slow"}}, request=request)
from deepseekapi_core.http._errors import make_status_error
error = make_status_error(response, retry_after=None)
assert isinstance(error, RateLimitError) and str(error).startswith("Error code: 429")
loaded = sorted(name for name in sys.modules if name == "openai" or name.startswith("openai."))
print(loaded)
"""


def test_importing_and_raising_does_not_import_openai() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_WITHOUT_OPENAI],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == "[]", result.stdout


OPENAI_IMPORTED_LATER = """
import deepseekapi_core, httpx
from deepseekapi_core import RateLimitError
from deepseekapi_core.http._errors import make_status_error
request = httpx.Request("POST", "https://api.deepseekapi.dev/v1/chat/completions")
response = httpx.Response(429, json={"error": {"message": "slow"}}, request=request)
import openai
try:
    raise make_status_error(response, retry_after=None)
except openai.RateLimitError as error:
    assert type(error) is RateLimitError
    print("caught")
"""


def test_openai_imported_after_us_still_catches() -> None:
    result = subprocess.run(
        [sys.executable, "-c", OPENAI_IMPORTED_LATER],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == "caught"
