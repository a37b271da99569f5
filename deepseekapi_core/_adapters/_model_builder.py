"""Building trusted pydantic models fast, for adapters that build several per stream chunk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

_ModelT = TypeVar("_ModelT", bound=BaseModel)
_set_attribute = object.__setattr__


def model_builder(
    cls: type[_ModelT], fields: tuple[str, ...]
) -> Callable[[dict[str, Any]], _ModelT]:
    """A function doing ``cls.model_construct(**values)`` for ``values`` that give exactly
    ``fields``, in that order (the order is kept: it is the order of ``repr`` and dumps).

    Nothing is validated, as with ``model_construct``: for data the caller built itself.
    ``model_construct`` walks every field of the model in Python on each call (about 2 us for
    a small model); a framework that wants several models per streamed chunk pays that per
    chunk. For a model whose fields are exactly ``fields`` and that has no private attributes,
    extra fields or post-init hook, constructing amounts to setting four slots, which the
    returned function does directly. A model of any other shape (a framework release that adds
    a field, say) is built by ``model_construct`` itself, so the result is the same either way.

    This is the project's one fast path into pydantic's internals (it writes ``__dict__``,
    ``__pydantic_fields_set__``, ``__pydantic_extra__`` and ``__pydantic_private__``), kept
    because it pays: on LlamaIndex's ``stream_chat`` of a 118-chunk reasoner reply against the
    emulator it saves about 4 us a chunk, 15 % of the whole stream (docs/performance.md). Drop
    it if that figure falls under 5 %.
    """
    plain = (
        tuple(cls.model_fields) == fields
        and not cls.__private_attributes__
        and cls.model_config.get("extra") != "allow"
        and cls.__pydantic_post_init__ is None
        and not cls.__pydantic_root_model__
    )
    if not plain:
        return lambda values: cls.model_construct(**values)
    new = cls.__new__

    def build(values: dict[str, Any]) -> _ModelT:
        model = new(cls)
        _set_attribute(model, "__dict__", values)
        _set_attribute(model, "__pydantic_fields_set__", set(fields))
        _set_attribute(model, "__pydantic_extra__", None)
        _set_attribute(model, "__pydantic_private__", None)
        return model

    return build
