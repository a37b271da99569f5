"""How a check refuses a request: the two kinds of answer the service gives."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .._wire import EmulatedResponse, error_response, plain_error

__all__ = ["Rejected", "ShapeError", "bad_request", "describe", "expected", "unreadable"]


class Rejected(Exception):
    """A request the service refuses, carrying the response it sends."""

    def __init__(self, response: EmulatedResponse) -> None:
        super().__init__(response.status)
        self.response = response


class ShapeError(Exception):
    """A body the service's deserialiser cannot read (answered 422, plain text).

    ``detail`` is serde's description of the problem, e.g. ``missing field `model```.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def unreadable(error: ShapeError, size: int) -> Rejected:
    """The service's 422 for a body of ``size`` bytes its deserialiser could not read (plain
    text, serde's words, the position at the body's end)."""
    return Rejected(
        plain_error(
            422,
            "Failed to deserialize the JSON body into the target type: "
            f"{error.detail} at line 1 column {size}",
        )
    )


def bad_request(message: str) -> Rejected:
    """The service's 400 with its JSON error body."""
    return Rejected(error_response(400, message))


def describe(value: object) -> str:
    """A value as serde describes it in its deserialisation errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    if isinstance(value, list):
        return "a sequence"
    return "a map"


def expected(variants: Sequence[str]) -> str:
    """serde's list of the variants it would have accepted."""
    quoted = [f"`{variant}`" for variant in variants]
    if len(quoted) == 1:
        return f"expected {quoted[0]}"
    if len(quoted) == 2:
        return f"expected {quoted[0]} or {quoted[1]}"
    return "expected one of " + ", ".join(quoted)
