"""A request into bytes, with no I/O: keyword parameters validated into a :class:`ChatRequest`
(each refused field named), and the body written as UTF-8 JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..accounting._preflight import check_context_window
from ..wire._models import ChatRequest, json_problem
from ..wire._registry import Era
from ._errors import InvalidRequestError

_RequestT = TypeVar("_RequestT", bound=BaseModel)


def coerce_request(
    kind: type[_RequestT], request: _RequestT | None, params: Mapping[str, Any], method: str
) -> _RequestT:
    """A ``kind`` request (:class:`ChatRequest`, ``FIMRequest``) from an instance or from
    keyword parameters, validated; ``method`` is the client method the fields go to.

    Raises :class:`InvalidRequestError` naming each offending field.
    """
    name = kind.__name__
    if request is not None:
        if params:
            raise InvalidRequestError(f"pass either a {name} or keyword parameters, not both")
        if not isinstance(request, kind):
            raise InvalidRequestError(
                f"the request must be a {name}, not {type(request).__name__}; pass its "
                f"fields as keyword arguments instead (client.{method}(**fields))"
            )
        return request
    try:
        return kind.model_validate(params)
    except ValidationError as exc:
        raise invalid_request_from(exc) from None


def coerce_chat_request(request: ChatRequest | None, params: Mapping[str, Any]) -> ChatRequest:
    """A :class:`ChatRequest` from an instance or from keyword parameters, validated."""
    return coerce_request(ChatRequest, request, params, "chat")


# Pydantic puts the union member tried into an error's location ("stop.str",
# "tool_choice.literal['none','auto','required']", "thinking.ThinkingConfig"); it is no field.
_UNION_MEMBER = re.compile(
    r"^(?:str|int|float|bool|none|(?:list|dict|tuple|set|literal|function-[a-z-]+)\[.*\]"
    r"|[A-Z][A-Za-z0-9_]*)$"
)


def _field_path(error: ErrorDetails) -> str:
    loc = error["loc"]
    extra = error["type"] == "extra_forbidden"  # the last part is the caller's unknown key
    parts = [
        str(part)
        for index, part in enumerate(loc)
        if isinstance(part, int)
        or (extra and index == len(loc) - 1)
        or not _UNION_MEMBER.match(part)
    ]
    return ".".join(parts) or "request"


def invalid_request_from(exc: ValidationError) -> InvalidRequestError:
    """An :class:`InvalidRequestError` that lists each field pydantic refused and why."""
    problems: list[str] = []
    first_field: str | None = None
    for error in exc.errors(include_url=False, include_input=False):
        where = _field_path(error)
        first_field = first_field or where
        problem = f"{where}: {error['msg'].removeprefix('Value error, ')}"
        if problem not in problems:
            problems.append(problem)
    return InvalidRequestError("Invalid request: " + "; ".join(problems), param=first_field)


def serialise(body: dict[str, Any], era: Era) -> bytes:
    """The body's UTF-8 JSON, checked against the model's context window.

    Raises :class:`InvalidRequestError` naming what cannot be sent.
    """
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        # A value nested where the models accept Any (tool schemas, extra_body fields
        # assigned after validation): name it rather than pass on json's bare TypeError.
        problem = json_problem(body, "request") or "the request cannot be written as JSON"
        where = problem.split(" ", 1)[0]
        raise InvalidRequestError(f"Invalid request: {problem}", param=where) from None
    try:
        encoded = text.encode()
    except UnicodeEncodeError:
        where = _surrogate_path(body) or "request"
        raise InvalidRequestError(
            f"Invalid request: {where}: text contains a lone surrogate (not valid Unicode, "
            "so it cannot be sent as UTF-8); decode your input with errors='replace'",
            param=where,
        ) from None
    check_context_window(body, len(encoded), era=era)
    return encoded


def _surrogate_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return path or "request"
        return None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = _surrogate_path(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None
