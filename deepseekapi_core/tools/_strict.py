"""Strict function calling (beta): a tool's JSON schema in the closed form the service accepts.

DeepSeek honours ``"strict": true`` on a function only at its beta base URL, and there it
validates the schema first (tool calls guide, strict mode section,
https://api-docs.deepseek.com/guides/tool_calls, read 2026-12-06; see docs/strict_tools.md):

* supported types: ``object``, ``string``, ``number``, ``integer``, ``boolean``, ``array``,
  ``enum``, ``anyOf``; ``$ref``/``$def`` may define modules;
* every property of an ``object`` must be ``required`` and ``additionalProperties`` must be
  ``false``;
* ``string`` takes ``pattern`` and ``format`` (only ``email``, ``hostname``, ``ipv4``,
  ``ipv6``, ``uuid``), not ``minLength``/``maxLength``; ``number``/``integer`` take ``const``,
  ``default``, ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``,
  ``multipleOf``; ``array`` takes ``items``, not ``minItems``/``maxItems``.

:func:`strict_schema` closes a schema: each object gets ``additionalProperties: false`` and all
its properties in ``required``; a property that was optional without a default (or with
``null`` as default) becomes nullable (its schema ``S`` becomes
``{"anyOf": [S, {"type": "null"}]}``, as OpenAI's strict mode spells optional fields), so the
model sends ``null`` where it would have left the key out; one with another default is simply
required (null would not be a value the tool takes); ``$ref`` is inlined
from ``$defs``/``definitions``; what :data:`KEYWORD_RULES` says to drop is dropped. Parts that
cannot be closed without changing what the tool accepts raise :class:`StrictSchemaError`
naming the tool and the JSON path of the part, before anything is sent.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from ..http._errors import StrictSchemaError
from ..wire._models import ToolSpec

__all__ = ["KEYWORD_RULES", "STRING_FORMATS", "strict_schema", "strict_tool"]

DOCS_URL: Final = "https://api-docs.deepseek.com/guides/tool_calls"

STRING_FORMATS: Final = frozenset({"email", "hostname", "ipv4", "ipv6", "uuid"})
"""The string formats strict mode supports (``DOCS_URL``); other formats are dropped."""

_NUMERIC: Final = frozenset({"number", "integer"})

Action = Literal["keep", "drop", "refuse", "rewrite"]

KEYWORD_RULES: Final[Mapping[str, tuple[Action, frozenset[str] | None, str]]] = {
    # keyword: (what becomes of it, the types it is kept on (None: any), why)
    "type": ("keep", None, "a list of types becomes an anyOf of one type each"),
    "description": ("keep", None, "read by the model"),
    "enum": ("keep", None, "supported type `enum`"),
    "anyOf": ("keep", None, "supported type `anyOf`; each branch is closed"),
    "properties": ("keep", frozenset({"object"}), "object"),
    "required": ("rewrite", frozenset({"object"}), "object: set to every property"),
    "additionalProperties": ("rewrite", frozenset({"object"}), "object: set to false"),
    "items": ("keep", frozenset({"array"}), "array"),
    "pattern": ("keep", frozenset({"string"}), "string"),
    "format": ("keep", frozenset({"string"}), "string; only the formats in STRING_FORMATS"),
    "const": ("keep", _NUMERIC, "number/integer; elsewhere it becomes a one-value enum"),
    "default": ("keep", _NUMERIC, "number/integer; dropped elsewhere"),
    "minimum": ("keep", _NUMERIC, "number/integer"),
    "maximum": ("keep", _NUMERIC, "number/integer"),
    "exclusiveMinimum": ("keep", _NUMERIC, "number/integer"),
    "exclusiveMaximum": ("keep", _NUMERIC, "number/integer"),
    "multipleOf": ("keep", _NUMERIC, "number/integer"),
    "$ref": ("rewrite", None, "inlined from $defs/definitions; a recursive one is refused"),
    "$defs": ("drop", None, "inlined where referenced"),
    "definitions": ("drop", None, "inlined where referenced"),
    "oneOf": ("rewrite", None, "sent as anyOf (the branches of a closed union rarely overlap)"),
    "allOf": ("rewrite", None, "a single schema is merged in; several are refused"),
    "minLength": ("drop", None, "documented as unsupported for string"),
    "maxLength": ("drop", None, "documented as unsupported for string"),
    "minItems": ("drop", None, "documented as unsupported for array"),
    "maxItems": ("drop", None, "documented as unsupported for array"),
    "uniqueItems": ("drop", None, "not among the documented array keywords"),
    "minProperties": ("drop", None, "meaningless once every property is required"),
    "maxProperties": ("drop", None, "meaningless once every property is required"),
    "title": ("drop", None, "annotation, not among the documented keywords"),
    "examples": ("drop", None, "annotation, not among the documented keywords"),
    "discriminator": ("drop", None, "OpenAPI annotation of a oneOf"),
    "not": ("refuse", None, "no strict equivalent"),
    "if": ("refuse", None, "no strict equivalent"),
    "then": ("refuse", None, "no strict equivalent"),
    "else": ("refuse", None, "no strict equivalent"),
    "patternProperties": ("refuse", None, "open keys cannot be closed"),
    "propertyNames": ("refuse", None, "open keys cannot be closed"),
    "dependentRequired": ("refuse", None, "conditional keys cannot be closed"),
    "dependentSchemas": ("refuse", None, "conditional keys cannot be closed"),
    "dependencies": ("refuse", None, "conditional keys cannot be closed"),
    "prefixItems": ("refuse", None, "tuples are not supported"),
    "contains": ("refuse", None, "not among the documented array keywords"),
    "unevaluatedProperties": ("refuse", None, "not supported"),
    "unevaluatedItems": ("refuse", None, "not supported"),
}
"""What strict mode does with each JSON-schema keyword (source: ``DOCS_URL``, strict mode).
Keywords not listed (``$schema``, ``$id``, ``$comment``, ``readOnly``, extensions ...) are
annotations and dropped."""

_TYPES: Final = frozenset({"object", "string", "number", "integer", "boolean", "array", "null"})
_NULL: Final[dict[str, Any]] = {"type": "null"}


def strict_tool(spec: ToolSpec) -> ToolSpec:
    """``spec`` with its parameters closed by :func:`strict_schema` when it is strict (else
    as it is). Raises :class:`StrictSchemaError` naming the tool and the part."""
    function = spec.function
    if not function.strict:
        return spec
    parameters = strict_schema(function.parameters or {}, tool=function.name)
    if parameters == function.parameters:
        return spec
    return spec.model_copy(
        update={"function": function.model_copy(update={"parameters": parameters})}
    )


def strict_schema(schema: Mapping[str, Any], *, tool: str) -> dict[str, Any]:
    """The closed form of a function's parameters schema (see the module's docstring).

    ``tool`` names the function in errors. The schema given is not changed.

    Raises:
        StrictSchemaError: a part that cannot be made strict (an open map, a recursive
            ``$ref``, a schema with no type, ``not``/``if``/``patternProperties`` ...), with
            its JSON path (``$`` is the parameters object).
    """
    closer = _Closer(schema, tool)
    root = dict(schema)
    shaped = {"properties", "additionalProperties", "$ref", "allOf", "anyOf", "oneOf"}
    if not root.keys() & shaped and (root.get("type", "object") == "object"):
        # A function without parameters: the service's form of "no arguments".
        root["properties"] = {}
        root["type"] = "object"
    return closer.close(root, "$")


class _Closer:
    """One schema's closing: its definitions, the refs being inlined, the tool's name."""

    def __init__(self, root: Mapping[str, Any], tool: str) -> None:
        self.tool = tool
        self.root = root
        self.expanding: list[str] = []

    def refuse(self, path: str, problem: str) -> StrictSchemaError:
        return StrictSchemaError(
            f"tool {self.tool!r} cannot be made strict: at {path}, {problem}",
            tool=self.tool,
            path=path,
        )

    def close(self, node: Mapping[str, Any], path: str) -> dict[str, Any]:
        if not isinstance(node, Mapping):
            raise self.refuse(path, f"expected a JSON schema object, got {node!r}")
        node = self._merged_all_of(node, path)
        if "$ref" in node:
            return self._inline(node, path)
        for keyword, (action, _, why) in KEYWORD_RULES.items():
            if action == "refuse" and keyword in node:
                raise self.refuse(f"{path}.{keyword}", f"{keyword!r} is not supported ({why})")
        union = node.get("anyOf", node.get("oneOf"))
        if union is not None:
            return self._union(node, union, path)
        kind = node.get("type")
        if isinstance(kind, list):
            return self._type_list(node, kind, path)
        kind = _implied_type(node)
        if kind is None:
            if "enum" in node or "const" in node:
                return _kept(node, None)
            raise self.refuse(
                path, f"the schema has no type; strict mode needs one of {sorted(_TYPES)}"
            )
        if kind not in _TYPES:
            raise self.refuse(f"{path}.type", f"type {kind!r} is not supported")
        closed = _kept(node, kind)
        if kind == "object":
            self._close_object(node, closed, path)
        elif kind == "array":
            self._close_array(node, closed, path)
        return closed

    def _inline(self, node: Mapping[str, Any], path: str) -> dict[str, Any]:
        ref = node["$ref"]
        if ref in self.expanding:
            raise self.refuse(
                path,
                f"$ref {ref!r} is recursive ({' -> '.join([*self.expanding, ref])}); a "
                "recursive schema cannot be inlined",
            )
        target = self._target(ref, path)
        # Keywords beside the $ref (pydantic puts a field's description there) win.
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        self.expanding.append(ref)
        try:
            return self.close(merged, path)
        finally:
            self.expanding.pop()

    def _target(self, ref: object, path: str) -> Mapping[str, Any]:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise self.refuse(f"{path}.$ref", f"only local refs can be inlined, not {ref!r}")
        target: Any = self.root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                raise self.refuse(f"{path}.$ref", f"{ref!r} points at nothing")
            target = target[part]
        if not isinstance(target, Mapping):
            raise self.refuse(f"{path}.$ref", f"{ref!r} is not a schema")
        return target

    def _merged_all_of(self, node: Mapping[str, Any], path: str) -> Mapping[str, Any]:
        parts = node.get("allOf")
        if parts is None:
            return node
        if not isinstance(parts, list) or len(parts) != 1:
            raise self.refuse(
                f"{path}.allOf", "allOf with several schemas cannot be made strict; merge them"
            )
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return {**parts[0], **rest}

    def _union(self, node: Mapping[str, Any], union: object, path: str) -> dict[str, Any]:
        keyword = "anyOf" if "anyOf" in node else "oneOf"
        if not isinstance(union, list) or not union:
            raise self.refuse(f"{path}.{keyword}", f"{keyword} must be a non-empty list")
        branches = [self.close(b, f"{path}.{keyword}[{i}]") for i, b in enumerate(union)]
        closed: dict[str, Any] = {"anyOf": branches}
        if isinstance(node.get("description"), str):
            closed["description"] = node["description"]
        return closed

    def _type_list(self, node: Mapping[str, Any], kinds: list[Any], path: str) -> dict[str, Any]:
        if len(kinds) == 1:
            return self.close({**node, "type": kinds[0]}, path)
        rest = {k: v for k, v in node.items() if k not in ("type", "description")}
        union = {"anyOf": [{**rest, "type": kind} for kind in kinds]}
        if "description" in node:
            union["description"] = node["description"]
        return self.close(union, path)

    def _close_object(self, node: Mapping[str, Any], closed: dict[str, Any], path: str) -> None:
        properties = node.get("properties")
        extra = node.get("additionalProperties", None)
        if properties is None:
            if extra is False:
                properties = {}
            else:
                raise self.refuse(
                    path,
                    "an object with no properties (a free-form map) cannot be closed; give "
                    "it properties, or send a list of key/value objects",
                )
        if not isinstance(properties, Mapping):
            raise self.refuse(f"{path}.properties", "properties must map names to schemas")
        required = node.get("required") or []
        closed_properties: dict[str, Any] = {}
        for name, schema in properties.items():
            prop = self.close(schema, f"{path}.properties.{name}")
            optional = name not in required and _default_of(schema) is None
            closed_properties[name] = _nullable(prop) if optional else prop
        closed["properties"] = closed_properties
        closed["required"] = list(closed_properties)
        closed["additionalProperties"] = False

    def _close_array(self, node: Mapping[str, Any], closed: dict[str, Any], path: str) -> None:
        items = node.get("items")
        if items is None:
            raise self.refuse(path, "an array needs an items schema in strict mode")
        if isinstance(items, Sequence) and not isinstance(items, Mapping):
            raise self.refuse(f"{path}.items", "tuple items are not supported")
        closed["items"] = self.close(items, f"{path}.items")


def _implied_type(node: Mapping[str, Any]) -> str | None:
    kind = node.get("type")
    if isinstance(kind, str):
        return kind
    if "properties" in node or "additionalProperties" in node:
        return "object"
    if "items" in node:
        return "array"
    return None


def _kept(node: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
    """The keywords of ``node`` strict mode keeps for ``kind`` (children are closed later)."""
    kept: dict[str, Any] = {}
    for keyword, value in node.items():
        rule = KEYWORD_RULES.get(keyword)
        if rule is None or rule[0] != "keep" or keyword in ("properties", "items"):
            continue
        types = rule[1]
        if keyword == "const" and (kind is None or kind not in _NUMERIC):
            kept["enum"] = [value]
        elif (keyword == "format" and value not in STRING_FORMATS) or (
            keyword == "default" and value is None
        ):
            continue
        elif types is None or kind in types:
            kept[keyword] = copy.deepcopy(value)
    if kind is not None:
        kept["type"] = kind
    return kept


def _default_of(schema: object) -> object:
    """A property's default (None when it has none): an optional property with a default
    stays non-nullable, since null would not be its value (pydantic refuses it)."""
    return schema.get("default") if isinstance(schema, Mapping) else None


def _allows_null(schema: Mapping[str, Any]) -> bool:
    if schema.get("type") == "null":
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and None in enum:
        return True
    return any(_allows_null(branch) for branch in schema.get("anyOf", ()))


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional property's schema once it must be present: it also takes ``null``."""
    if _allows_null(schema):
        return schema
    if "anyOf" in schema:
        return {**schema, "anyOf": [*schema["anyOf"], dict(_NULL)]}
    inner = {k: v for k, v in schema.items() if k != "description"}
    nullable: dict[str, Any] = {"anyOf": [inner, dict(_NULL)]}
    if "description" in schema:
        nullable["description"] = schema["description"]
    return nullable
