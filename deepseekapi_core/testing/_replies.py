"""Deterministic reply material: token counts, text, tool choice and schema-valid instances.

Nothing here is a model. Every function is a pure function of the request, so the same request
always gets the same reply, and every reply says it is emulated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "Hints",
    "count_tokens",
    "find_json_in_text",
    "instance_for_schema",
    "pick_tool",
    "snippet",
]

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")
"""The emulator's tokens: words and punctuation marks (counted, and cut on, the same way)."""
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|`([^`\n]{1,200})`|(?<!\w)'([^'\n]{1,200})'(?!\w)")
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z]+(?:[ -][A-Z][a-zA-Z]+)*")
_AFTER_PREPOSITION = re.compile(
    r"\b(?:in|at|for|of|about|from|to|on|near|called|named)\s+([a-z][a-z-]{2,})"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPACES = re.compile(r"\s+")

_STOPWORDS = frozenset(
    """a an and are as at be but by can could did do does for from get give has have how i if in
    into is it its me my of on or please should so tell than that the their them then there these
    this to us use using was we what when where which who why will with would you your yes no not
    hello hi hey thanks thank call run find show let lets what's whats okay ok""".split()  # noqa: SIM905
)

_TEXT_PROPERTIES = frozenset(
    {
        "query",
        "q",
        "question",
        "text",
        "input",
        "prompt",
        "message",
        "search",
        "content",
        "sentence",
        "topic",
        "request",
        "instruction",
        "task",
        "body",
        "statement",
        "expression",
    }
)

_FORMATS: dict[str, str] = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "hostname": "example.com",
}

_MAX_DEPTH = 8

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "times": ("multiply", "product"),
    "multiplied": ("multiply", "product"),
    "product": ("multiply",),
    "plus": ("add", "sum"),
    "sum": ("add",),
    "total": ("add", "sum"),
    "minus": ("subtract", "difference"),
    "difference": ("subtract",),
    "divided": ("divide", "quotient"),
    "temperature": ("weather",),
    "forecast": ("weather",),
    "look": ("search", "lookup"),
    "find": ("search", "lookup"),
}


def count_tokens(text: str) -> int:
    """A deterministic token count: words and punctuation marks."""
    return len(TOKEN_PATTERN.findall(text)) if text else 0


def snippet(text: str, limit: int = 400) -> str:
    """``text`` on one line, shortened to ``limit`` characters."""
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _words(text: str) -> set[str]:
    found: set[str] = set()
    for word in _WORD.findall(_CAMEL.sub(" ", text.replace("_", " ").replace("-", " "))):
        lower = word.lower()
        found.update(_SYNONYMS.get(lower, ()))
        if lower not in _STOPWORDS and len(lower) > 2:
            found.add(lower)
            if lower.endswith("s") and len(lower) > 3:
                found.add(lower[:-1])
    return found


def pick_tool(tools: Sequence[Mapping[str, Any]], text: str) -> Mapping[str, Any]:
    """The function spec whose name and description share most words with ``text``.

    Name matches count double; ties go to the tool offered first.
    """
    wanted = _words(text)
    best: Mapping[str, Any] = tools[0]["function"]
    best_score = -1
    for tool in tools:
        function = tool["function"]
        name_words = _words(str(function.get("name", "")))
        description_words = _words(str(function.get("description") or ""))
        score = 2 * len(wanted & name_words) + len(wanted & description_words)
        if score > best_score:
            best, best_score = function, score
    return best


class Hints:
    """Plausible argument values pulled from the user's text, handed out in order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lower = text.lower()
        self.numbers: list[str] = _NUMBER.findall(text)
        quoted = [a or b or c for a, b, c in _QUOTED.findall(text)]
        names: list[str] = []
        for match in _CAPITALISED.finditer(text):
            words = match.group().split()
            before = text[: match.start()].rstrip()
            if len(words) == 1 and (not before or before[-1] in ".!?:\n"):
                # A lone capitalised word starting a sentence is usually not a name.
                continue
            if words and words[0].lower() not in _STOPWORDS:
                names.append(" ".join(words))
        after = [w for w in _AFTER_PREPOSITION.findall(text) if w not in _STOPWORDS]
        self.strings: list[str] = quoted + names + after
        self._next_number = 0
        self._next_string = 0

    def number(self) -> str | None:
        """The next number in the text not handed out yet."""
        if self._next_number < len(self.numbers):
            self._next_number += 1
            return self.numbers[self._next_number - 1]
        return None

    def remaining_numbers(self) -> list[str]:
        """Every number not handed out yet (all of them are handed out now)."""
        rest = self.numbers[self._next_number :]
        self._next_number = len(self.numbers)
        return rest

    def string(self) -> str | None:
        """The next quoted string, capitalised name or place-like word in the text."""
        if self._next_string < len(self.strings):
            self._next_string += 1
            return self.strings[self._next_string - 1]
        return None

    def mentions(self, word: str) -> bool:
        """Whether ``word`` (or its spaced-out form) appears in the text."""
        lower = word.lower()
        return lower in self.lower or lower.replace("_", " ") in self.lower


def instance_for_schema(schema: Mapping[str, Any], hints: Hints) -> Any:
    """A value valid against the JSON schema ``schema``, filled from ``hints`` where sensible.

    Handles ``type`` (also lists of types), ``enum``, ``const``, ``default``, ``required``,
    nested objects and arrays, ``anyOf``/``oneOf``/``allOf``, ``$ref`` into ``$defs`` or
    ``definitions``, string ``format``/length bounds and numeric bounds.
    """
    return _instance(schema, hints, root=schema, name="", depth=0)


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < _MAX_DEPTH:
        ref = str(schema["$ref"])
        target: Any = root
        if ref.startswith("#"):
            for part in ref.lstrip("#").strip("/").split("/"):
                if not part:
                    continue
                if not isinstance(target, Mapping) or part not in target:
                    return {}
                target = target[part]
        else:
            return {}
        merged = dict(target) if isinstance(target, Mapping) else {}
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        schema = merged
        seen += 1
    return schema


def _merge_all_of(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties", {}))
    required: list[str] = list(merged.get("required", []))
    for part in schema["allOf"]:
        if not isinstance(part, Mapping):
            continue
        part = _resolve(part, root)
        for key, value in part.items():
            if key == "properties" and isinstance(value, Mapping):
                properties.update(value)
            elif key == "required" and isinstance(value, list):
                required.extend(r for r in value if r not in required)
            elif key not in merged:
                merged[key] = value
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


def _schema_type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return str(non_null[0]) if non_null else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _instance(
    schema: Mapping[str, Any], hints: Hints, *, root: Mapping[str, Any], name: str, depth: int
) -> Any:
    if not isinstance(schema, Mapping):
        return None
    schema = _resolve(schema, root)
    if "allOf" in schema and isinstance(schema["allOf"], list):
        schema = _merge_all_of(schema, root)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        for value in enum:
            if isinstance(value, str) and value and hints.mentions(value):
                return value
        return enum[0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            chosen = next(
                (
                    o
                    for o in options
                    if isinstance(o, Mapping) and _resolve(o, root).get("type") != "null"
                ),
                options[0],
            )
            base = {k: v for k, v in schema.items() if k != key}
            merged = {**base, **_resolve(chosen, root)} if isinstance(chosen, Mapping) else base
            return _instance(merged, hints, root=root, name=name, depth=depth)
    kind = _schema_type(schema)
    if depth > _MAX_DEPTH:
        return {} if kind == "object" else [] if kind == "array" else None
    if kind == "object":
        return _object(schema, hints, root=root, depth=depth)
    if kind == "array":
        return _array(schema, hints, root=root, name=name, depth=depth)
    if kind in ("integer", "number"):
        return _number(schema, hints, integer=kind == "integer")
    if kind == "boolean":
        default = schema.get("default")
        return default if isinstance(default, bool) else True
    if kind == "null":
        return None
    if kind == "string" or kind is None:
        return _string(schema, hints, name=name)
    return None


def _object(
    schema: Mapping[str, Any], hints: Hints, *, root: Mapping[str, Any], depth: int
) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    required = schema.get("required")
    required_names = set(required) if isinstance(required, list) else set()
    result: dict[str, Any] = {}
    for prop, prop_schema in properties.items():
        mentioned = _mentioned(str(prop), prop_schema, hints)
        if prop in required_names and not mentioned and _nullable(prop_schema):
            # What strict mode makes of an optional property: present, null when not asked for.
            result[prop] = None
        elif prop in required_names or mentioned:
            result[prop] = _instance(prop_schema, hints, root=root, name=str(prop), depth=depth + 1)
    return result


def _nullable(schema: object) -> bool:
    """Whether a schema is a union with ``null`` (``anyOf``/``type`` list)."""
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        return True
    branches = schema.get("anyOf")
    return isinstance(branches, list) and any(
        isinstance(b, Mapping) and b.get("type") == "null" for b in branches
    )


def _mentioned(name: str, schema: object, hints: Hints) -> bool:
    """Whether an optional property is asked for: its name or one of its enum values is in
    the text."""
    if len(name) > 2 and hints.mentions(name):
        return True
    enum = schema.get("enum") if isinstance(schema, Mapping) else None
    return isinstance(enum, list) and any(
        isinstance(value, str) and len(value) > 2 and hints.mentions(value) for value in enum
    )


def _array(
    schema: Mapping[str, Any], hints: Hints, *, root: Mapping[str, Any], name: str, depth: int
) -> list[Any]:
    items = schema.get("items")
    item_schema: Mapping[str, Any] = items if isinstance(items, Mapping) else {}
    min_items = int(schema.get("minItems", 1) or 0)
    max_items = schema.get("maxItems")
    item_kind = _schema_type(_resolve(item_schema, root))
    values: list[Any]
    if item_kind in ("integer", "number") and "enum" not in item_schema:
        numbers = hints.remaining_numbers()
        values = [
            _number(item_schema, Hints(number), integer=item_kind == "integer")
            for number in numbers
        ]
    else:
        values = []
    while len(values) < max(min_items, 1 if not values else 0):
        values.append(_instance(item_schema, hints, root=root, name=name, depth=depth + 1))
    if isinstance(max_items, int):
        values = values[:max_items]
    return values


def _number(schema: Mapping[str, Any], hints: Hints, *, integer: bool) -> int | float:
    raw = hints.number()
    value: float
    if raw is not None:
        value = float(raw)
    elif isinstance(schema.get("default"), (int, float)) and not isinstance(
        schema.get("default"), bool
    ):
        value = float(schema["default"])
    else:
        value = 1.0
    low = schema.get("minimum")
    high = schema.get("maximum")
    ex_low = schema.get("exclusiveMinimum")
    ex_high = schema.get("exclusiveMaximum")
    step = 1.0 if integer else 0.5
    if isinstance(low, (int, float)) and value < low:
        value = float(low)
    if isinstance(high, (int, float)) and value > high:
        value = float(high)
    if isinstance(ex_low, (int, float)) and not isinstance(ex_low, bool) and value <= ex_low:
        value = float(ex_low) + step
    if isinstance(ex_high, (int, float)) and not isinstance(ex_high, bool) and value >= ex_high:
        value = float(ex_high) - step
    if integer:
        return round(value)
    return int(value) if value.is_integer() and raw is not None and "." not in raw else value


def _string(schema: Mapping[str, Any], hints: Hints, *, name: str) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    value: str | None
    if name.lower() in _TEXT_PROPERTIES:
        value = snippet(hints.text, 200)
    else:
        value = hints.string()
        if value is None:
            default = schema.get("default")
            value = default if isinstance(default, str) else snippet(hints.text, 100) or name
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        value = value[:max_length]
    if isinstance(min_length, int) and len(value) < min_length:
        value = value + "x" * (min_length - len(value))
    return value


def find_json_in_text(text: str) -> list[Any]:
    """The JSON objects embedded in ``text`` (schemas or examples in a prompt), in order."""
    found: list[Any] = []
    if "{" not in text:
        return found
    decoder = json.JSONDecoder()
    position = text.find("{")
    attempts = 0
    while position != -1 and attempts < 40:
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = text.find("{", end)
    return found


def looks_like_schema(value: Mapping[str, Any]) -> bool:
    """Whether a JSON object found in a prompt is a JSON schema rather than an example."""
    return (
        isinstance(value.get("properties"), Mapping)
        or value.get("type") == "object"
        or "$defs" in value
        or "anyOf" in value
    )
