"""Our errors carry openai's attribute names, so handlers written for openai's keep working."""

from __future__ import annotations

import inspect

import httpx
import openai
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
from deepseekapi_core.http._errors import make_status_error

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
