"""Strict function calling at the beta base URL: the service validates a strict function's schema
before answering (tool calls guide, strict mode: "The server will validate the JSON Schema of
the Function provided by the user"; https://api-docs.deepseek.com/guides/tool_calls, read
2026-12-06).

The rules checked are the documented ones: supported types ``object``, ``string``,
``number``, ``integer``, ``boolean``, ``array`` (and ``enum``, ``anyOf``, local ``$ref`` into
``$defs``); every object lists all its properties in ``required`` and sets
``additionalProperties`` to ``false``; ``minLength``/``maxLength``/``minItems``/``maxItems``
and string formats other than ``email``, ``hostname``, ``ipv4``, ``ipv6``, ``uuid`` are
refused. The service's wording of the refusal is not documented; the message here is the
emulator's own (docs/emulator.md). This checker is written apart from the core's closer
(``tools/_strict.py``) so that each tests the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import Rejected, bad_request

__all__ = ["check_strict_function"]

_TYPES = frozenset({"object", "string", "number", "integer", "boolean", "array", "null"})
_FORMATS = frozenset({"email", "hostname", "ipv4", "ipv6", "uuid"})
_UNSUPPORTED = frozenset({"minLength", "maxLength", "minItems", "maxItems"})
_REFUSED_ANYWHERE = frozenset(
    {"allOf", "oneOf", "not", "if", "then", "else", "patternProperties", "prefixItems"}
)
_MAX_DEPTH = 64


def check_strict_function(index: int, function: Mapping[str, Any]) -> None:
    """Refuse (400) a strict function whose schema the service would not accept."""
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    problem = _problem(schema, schema, "parameters", 0, ())
    if problem is not None:
        raise _refusal(index, str(function.get("name", "")), *problem)


def _refusal(index: int, name: str, where: str, what: str) -> Rejected:
    return bad_request(
        f"Invalid strict schema for tools[{index}].function '{name}': {what} (at {where}). "
        "In strict mode every object must list all its properties in 'required' and set "
        "'additionalProperties' to false, and only the supported JSON Schema types and "
        "keywords may be used"
    )


def _problem(
    node: object, root: Mapping[str, Any], where: str, depth: int, refs: tuple[str, ...]
) -> tuple[str, str] | None:
    if not isinstance(node, Mapping):
        return where, "a schema must be an object"
    if depth > _MAX_DEPTH:
        return where, "the schema nests too deeply"
    for keyword in node:
        if keyword in _UNSUPPORTED or keyword in _REFUSED_ANYWHERE:
            return f"{where}.{keyword}", f"'{keyword}' is not supported"
    if "$ref" in node:
        return _ref_problem(node["$ref"], root, where, depth, refs)
    if "anyOf" in node:
        branches = node["anyOf"]
        if not isinstance(branches, list) or not branches:
            return f"{where}.anyOf", "'anyOf' must be a non-empty array"
        for i, branch in enumerate(branches):
            found = _problem(branch, root, f"{where}.anyOf[{i}]", depth + 1, refs)
            if found is not None:
                return found
        return None
    kind = node.get("type")
    if kind is None:
        return None if "enum" in node else (where, "the schema has no 'type'")
    if not isinstance(kind, str) or kind not in _TYPES:
        return f"{where}.type", f"type {kind!r} is not supported"
    if kind == "string" and "format" in node and node["format"] not in _FORMATS:
        return f"{where}.format", f"format {node['format']!r} is not supported"
    if kind == "array":
        return _problem(node.get("items"), root, f"{where}.items", depth + 1, refs)
    if kind == "object":
        return _object_problem(node, root, where, depth, refs)
    return None


def _object_problem(
    node: Mapping[str, Any], root: Mapping[str, Any], where: str, depth: int, refs: tuple[str, ...]
) -> tuple[str, str] | None:
    if node.get("additionalProperties") is not False:
        return f"{where}.additionalProperties", "'additionalProperties' must be false"
    properties = node.get("properties", {})
    if not isinstance(properties, Mapping):
        return f"{where}.properties", "'properties' must be an object"
    missing = [name for name in properties if name not in (node.get("required") or [])]
    if missing:
        return f"{where}.required", f"properties {missing} are not in 'required'"
    for name, schema in properties.items():
        found = _problem(schema, root, f"{where}.properties.{name}", depth + 1, refs)
        if found is not None:
            return found
    return None


def _ref_problem(
    ref: object, root: Mapping[str, Any], where: str, depth: int, refs: tuple[str, ...]
) -> tuple[str, str] | None:
    if not isinstance(ref, str) or not ref.startswith(("#/$defs/", "#/definitions/")):
        return f"{where}.$ref", f"$ref {ref!r} must point into '$defs'"
    if ref in refs:
        return None  # checked where it was first followed
    _, section, name = ref.split("/", 2)
    target = root.get(section, {}).get(name) if isinstance(root.get(section), Mapping) else None
    if target is None:
        return f"{where}.$ref", f"$ref {ref!r} points at nothing"
    return _problem(target, root, f"{where}.$ref", depth + 1, (*refs, ref))
