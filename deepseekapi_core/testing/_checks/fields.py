"""The request fields the emulator knows, read from the wire request model.

:class:`~deepseekapi_core.wire.ChatRequest` is the one list of request parameters, so the
emulator takes its field list from there: a field added to the model is type- and range-checked
here without an edit. The fields whose checks follow the service's own rules (messages, tools,
``tool_choice``, ``stop``, the era-dependent switches ...) keep their own checks, listed in
:data:`OWN_CHECKS`; every other wire field is checked by its kind:

* a number, bool or string field by its JSON type, with serde's wording (422), see
  :data:`SCALAR_KINDS`;
* a number field's bounds (``ge``/``gt``/``le``/``lt`` on the model) with the service's
  "Invalid ... value, the valid range of ... is [a, b]" (400), see :data:`BOUNDS`;
* any other field (an object) by validating it against the model's type (400), see
  :data:`OBJECT_FIELDS`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union

import annotated_types
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from ...wire._models import ChatRequest

__all__ = ["BOUNDS", "OBJECT_FIELDS", "OWN_CHECKS", "SCALAR_KINDS", "Bound", "object_problem"]

OWN_CHECKS = frozenset(
    {
        "model",
        "messages",
        "stop",
        "response_format",
        "tools",
        "tool_choice",
        "stream_options",
        "thinking",
        "reasoning_effort",
    }
)
"""Wire fields with checks of their own (shape, tools and era modules)."""

_KINDS: Mapping[type, str] = {bool: "a boolean", int: "u32", float: "f32", str: "a string"}


@dataclass(frozen=True)
class Bound:
    """A number field's valid range, as the model constrains it."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` is within the range."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.high_open else value > self.high)
        )

    def shown(self, high: float | None = None) -> str:
        """The range as the service writes it: ``[0, 2.0]``, ``(0, 1.0]``, ``[1, 8192]``."""
        top = self.high if high is None else high
        return (
            f"{'(' if self.low_open else '['}{self._number(self.low)}, "
            f"{self._number(top)}{')' if self.high_open else ']'}"
        )

    def _number(self, value: float | None) -> str:
        if value is None:
            return "inf"
        if self.integer or value == 0:
            return str(int(value))
        return str(float(value))


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The annotation without ``None`` and ``Annotated``, and the constraints found on the way."""
    constraints: list[Any] = []
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            return annotation, constraints
        annotation = members[0]
    if typing.get_origin(annotation) is Annotated:
        annotation, *extras = typing.get_args(annotation)
        for extra in extras:
            constraints.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return annotation, constraints


def _bound(base: type, constraints: list[Any]) -> Bound | None:
    values: dict[str, Any] = {}
    for constraint in constraints:
        if isinstance(constraint, annotated_types.Ge):
            values["low"] = constraint.ge
        elif isinstance(constraint, annotated_types.Gt):
            values.update(low=constraint.gt, low_open=True)
        elif isinstance(constraint, annotated_types.Le):
            values["high"] = constraint.le
        elif isinstance(constraint, annotated_types.Lt):
            values.update(high=constraint.lt, high_open=True)
    return Bound(integer=base is int, **values) if values else None


def derive_checks(
    model: type[BaseModel], skip: frozenset[str]
) -> tuple[dict[str, str], dict[str, Bound], dict[str, TypeAdapter[Any]]]:
    """Per wire field of the request ``model`` (those in ``skip`` aside): its JSON kind, its
    bounds, or a validator of its type (chat's request here; FIM's in ``testing._fim``)."""
    kinds: dict[str, str] = {}
    bounds: dict[str, Bound] = {}
    objects: dict[str, TypeAdapter[Any]] = {}
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        base, constraints = _unwrap(info.annotation)
        constraints.extend(info.metadata)
        if base in _KINDS:
            kinds[name] = _KINDS[base]
            bound = _bound(base, constraints) if base in (int, float) else None
            if bound is not None:
                bounds[name] = bound
        else:
            objects[name] = TypeAdapter(info.rebuild_annotation())
    return kinds, bounds, objects


SCALAR_KINDS, BOUNDS, OBJECT_FIELDS = derive_checks(
    ChatRequest, ChatRequest.NON_WIRE_FIELDS | OWN_CHECKS
)
"""Per scalar wire field its JSON kind in serde's words; per number field its bounds; per
other wire field a validator of its type."""


def object_problem(name: str, value: object) -> str | None:
    """Why ``value`` is not a valid ``name`` object (the first error), or None."""
    try:
        OBJECT_FIELDS[name].validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{name}{'.' + where if where else ''}: {first['msg']}"
    return None
