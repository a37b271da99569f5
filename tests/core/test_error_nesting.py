"""A hostile error body (nested about 1,000 levels, a 2 KB body) maps to our status error with
a short excerpt, never a bare ``RecursionError`` (issue 23, point 14)."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest

from deepseekapi_core.http._errors import (
    APIStatusError,
    BadRequestError,
    error_from_ok_body,
    make_status_error,
)

REQUEST = httpx.Request("POST", "https://api.deepseekapi.dev/v1/chat/completions")


DEPTHS = [1_000, 5_000, 100_000]


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_deeply_nested_error_body_maps_to_the_status_error(depth: int) -> None:
    text = '{"error": ' + "[" * depth + "]" * depth + "}"
    response = httpx.Response(400, content=text.encode(), request=REQUEST)
    error = make_status_error(response, retry_after=None)
    assert isinstance(error, BadRequestError) and error.status_code == 400
    assert len(str(error)) < 400 and str(error).startswith("Error code: 400 - {")


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_deeply_nested_field_beside_a_message(depth: int) -> None:
    text = '{"error": {"message": "too deep", "x": ' + "[" * depth + "]" * depth + "}}"
    response = httpx.Response(400, content=text.encode(), request=REQUEST)
    error = make_status_error(response, retry_after=None)
    assert isinstance(error, BadRequestError) and len(str(error)) < 400
    assert "Error code: 400 - " in str(error)


def test_a_deeply_nested_ok_error_body_maps_to_our_error() -> None:
    nested: Any = []
    for _ in range(2_000):
        nested = [nested]
    ok = httpx.Response(200, content=b"{}", request=REQUEST)
    error = error_from_ok_body(ok, {"error": {"message": "m", "x": nested}}, streaming=True)
    assert isinstance(error, APIStatusError) and "m" in str(error) and len(str(error)) < 400
    pickle.dumps(error)  # and it still leaves the process


def test_a_deeply_nested_ok_error_list_maps_to_our_error() -> None:
    nested: Any = []
    for _ in range(2_000):
        nested = [nested]
    ok = httpx.Response(200, content=b"{}", request=REQUEST)
    error = error_from_ok_body(ok, {"error": nested}, streaming=False)
    assert isinstance(error, APIStatusError) and len(str(error)) < 400
    assert error.body == {}
