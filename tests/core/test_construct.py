"""model_builder: model_construct's result without its per-field loop, or model_construct itself."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from deepseekapi_core._adapters._model_builder import model_builder


def model_slots(model: BaseModel) -> tuple[object, ...]:
    """What model_construct sets on a model: compared whole, so any difference shows."""
    return (
        type(model),
        list(model.__dict__.items()),  # the order too: it is the order of repr and dumps
        model.__pydantic_fields_set__,
        model.__pydantic_extra__,
        model.__pydantic_private__,
    )


class _Plain(BaseModel):
    name: str
    count: int = 0
    tags: list[str] = Field(default_factory=list)


class _WithPrivate(BaseModel):
    text: str
    _seen: int = PrivateAttr(default=3)


class _WithDefault(BaseModel):
    text: str
    added_later: str = "default"


class _WithExtra(BaseModel):
    model_config = ConfigDict(extra="allow")
    text: str


class _WithPostInit(BaseModel):
    text: str

    def model_post_init(self, context: Any, /) -> None:
        object.__setattr__(self, "__pydantic_private__", {"hooked": True})


def test_a_plain_model_is_built_as_model_construct_builds_it() -> None:
    build = model_builder(_Plain, ("name", "count", "tags"))
    values = {"name": "x", "count": 2, "tags": ["a"]}
    built = build(dict(values))
    assert model_slots(built) == model_slots(_Plain.model_construct(**values))
    assert built == _Plain.model_construct(**values)
    assert repr(built) == repr(_Plain.model_construct(**values))
    built.model_fields_set.discard("name")  # each model has a field set of its own
    assert "name" in build(dict(values)).model_fields_set


@pytest.mark.parametrize("cls", [_WithPrivate, _WithDefault, _WithExtra, _WithPostInit])
def test_a_model_of_another_shape_gets_model_construct(cls: type[BaseModel]) -> None:
    built = model_builder(cls, ("text",))({"text": "x"})
    assert model_slots(built) == model_slots(cls.model_construct(text="x"))


def test_fields_in_another_order_get_model_construct() -> None:
    built = model_builder(_Plain, ("count", "name", "tags"))({"count": 1, "name": "n", "tags": []})
    assert list(built.__dict__) == ["name", "count", "tags"]
