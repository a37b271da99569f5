"""Tool calls the service leaked into ``content``, recovered conservatively.

About one multi-turn tool-use reply in ten on V4-Pro ends with ``finish_reason: "stop"``, no
``tool_calls``, and the call written in ``content`` in one of four shapes (wire notes 1.16):

* ``dsml``: DeepSeek's own markup, with U+FF5C bars::

      <｜DSML｜tool_calls>
      <｜DSML｜invoke name="get_weather">
      <｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter>
      <｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter>
      </｜DSML｜invoke>
      </｜DSML｜tool_calls>

  (``function_calls`` for ``tool_calls`` in the V3.2 template; an invoke may hold a JSON object
  instead of parameters, and a block may hold JSON calls, one ``{"name", "arguments"}`` object
  or an array of them, instead of invokes);
* ``tool_call_tag``: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``;
* ``fenced_json``: a fenced block, ```` ```json {"name": ..., "arguments": {...}} ``` ````;
* ``bare_json``: the whole content is ``{"name": ..., "arguments": {...}}``.

Recovery changes a reply only when every one of these holds: tools were offered; the markup
is the end of the content (prose may come before it, nothing but whitespace after); every call
names an offered tool; every call's arguments parse to a JSON object that validates against
that tool's parameter schema (:func:`schema_problems`). Otherwise the text is left alone: an
answer that merely talks about JSON, or quotes a call, stays an answer.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..wire._builtin_tools import BuiltinToolSpec
from ..wire._models import FunctionCall, ToolCall, ToolSpec
from ._calls import loads_json

TOOL_CALLS_RECOVERED = "tool_calls_recovered"
"""The metadata key (LangChain ``response_metadata``, LlamaIndex ``additional_kwargs``) that
marks a reply whose tool calls the core recovered from its text; the value is the shape."""

_BAR = "\uff5c"
_DSML = f"{_BAR}DSML{_BAR}"
_DSML_BLOCK = re.compile(
    rf"<{_DSML}(?P<tag>tool_calls|function_calls)\b[^>]*>(?P<body>.*?)</{_DSML}(?P=tag)>",
    re.DOTALL,
)
_DSML_INVOKE = re.compile(
    rf'<{_DSML}invoke\s+name="(?P<name>[^"]*)"[^>]*>(?P<body>.*?)</{_DSML}invoke>', re.DOTALL
)
_DSML_PARAMETER = re.compile(
    rf'<{_DSML}parameter\s+name="(?P<name>[^"]*)"(?P<attrs>[^>]*)>(?P<value>.*?)'
    rf"</{_DSML}parameter>",
    re.DOTALL,
)
_STRING_ATTR = re.compile(r'string="(true|false)"')
_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(?P<body>.*?)\s*</tool_call>", re.DOTALL)
_JSON_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(?P<body>.*?)\n?[ \t]*```", re.DOTALL)


@dataclass(frozen=True)
class RecoveredToolCalls:
    """Tool calls found in a reply's content.

    ``shape`` names the form they leaked in (``dsml``, ``tool_call_tag``, ``fenced_json`` or
    ``bare_json``); ``text`` is the content without the markup (the prose before it, if any).
    """

    shape: str
    calls: list[ToolCall]
    text: str


def recover_tool_calls(
    content: str | None, tools: Sequence[ToolSpec | BuiltinToolSpec] | None
) -> RecoveredToolCalls | None:
    """The tool calls leaked into ``content``, or None to leave the text alone."""
    if not content or not tools:
        return None
    # Built-in tools run on the service: a leaked call is only ever of a function tool.
    offered = {tool.function.name: tool for tool in tools if isinstance(tool, ToolSpec)}
    for shape, finder in _FINDERS:
        found = finder(content)
        if found is None:
            continue
        prose, raw_calls = found
        calls = _validated_calls(raw_calls, offered)
        if calls is None:
            return None
        return RecoveredToolCalls(shape=shape, calls=calls, text=prose.strip())
    return None


# --------------------------------------------------------------------------------------------
# Finding each shape: (the prose before the markup, [(name, arguments or None)]) or None.

_RawCall = tuple[object, object]
_Found = tuple[str, list[_RawCall]]


def _find_dsml(content: str) -> _Found | None:
    if _DSML not in content:
        return None
    blocks = list(_DSML_BLOCK.finditer(content))
    if blocks:
        if content[blocks[-1].end() :].strip():
            return None
        start = blocks[0].start()
        between = "".join(
            content[first.end() : second.start()] for first, second in itertools.pairwise(blocks)
        )
        if between.strip():
            return None
        bodies = [block.group("body") for block in blocks]
    else:
        # Some templates leak the invokes without the enclosing block.
        invokes = list(_DSML_INVOKE.finditer(content))
        if not invokes or content[invokes[-1].end() :].strip():
            return None
        start = invokes[0].start()
        bodies = [content[start:]]
    calls: list[_RawCall] = []
    for body in bodies:
        found = _dsml_calls(body)
        if found is None:
            return None
        calls.extend(found)
    return content[:start], calls


def _dsml_calls(body: str) -> list[_RawCall] | None:
    """The calls of one DSML block: its invokes, else the JSON calls it holds instead (one
    ``{"name", "arguments"}`` object or an array of them, as strict as the other JSON shapes)."""
    invokes = list(_DSML_INVOKE.finditer(body))
    if not invokes:
        return _json_calls(body)
    if _DSML_INVOKE.sub("", body).strip():
        return None
    calls: list[_RawCall] = []
    for invoke in invokes:
        arguments = _dsml_arguments(invoke.group("body"))
        if arguments is None:
            return None
        calls.append((invoke.group("name"), arguments))
    return calls


def _dsml_arguments(body: str) -> dict[str, Any] | None:
    parameters = list(_DSML_PARAMETER.finditer(body))
    rest = _DSML_PARAMETER.sub("", body).strip()
    if not parameters:
        if not rest:
            return {}
        parsed = _loads(rest)
        return parsed if isinstance(parsed, dict) else None
    if rest:
        return None
    arguments: dict[str, Any] = {}
    for parameter in parameters:
        value = parameter.group("value")
        flag = _STRING_ATTR.search(parameter.group("attrs"))
        if flag is not None and flag.group(1) == "false":
            parsed = _loads(value.strip())
            if parsed is _INVALID:
                return None
            arguments[parameter.group("name")] = parsed
        elif flag is not None:
            arguments[parameter.group("name")] = value
        else:
            # No string flag: a JSON value if it reads as one, else the text (the schema check
            # decides whether that fits).
            parsed = _loads(value.strip())
            arguments[parameter.group("name")] = value if parsed is _INVALID else parsed
    return arguments


def _find_tool_call_tags(content: str) -> _Found | None:
    tags = list(_TOOL_CALL_TAG.finditer(content))
    if not tags or content[tags[-1].end() :].strip():
        return None
    between = "".join(
        content[first.end() : second.start()] for first, second in itertools.pairwise(tags)
    )
    if between.strip():
        return None
    calls: list[_RawCall] = []
    for tag in tags:
        found = _json_calls(tag.group("body"))
        if found is None:
            return None
        calls.extend(found)
    return content[: tags[0].start()], calls


def _find_fenced_json(content: str) -> _Found | None:
    # One fence per call when there are several (parallel calls), nothing but space between.
    fences = list(_JSON_FENCE.finditer(content))
    if not fences or content[fences[-1].end() :].strip():
        return None
    between = "".join(
        content[first.end() : second.start()] for first, second in itertools.pairwise(fences)
    )
    if between.strip():
        return None
    calls: list[_RawCall] = []
    for fence in fences:
        found = _json_calls(fence.group("body"))
        if found is None:
            return None
        calls.extend(found)
    return content[: fences[0].start()], calls


def _find_bare_json(content: str) -> _Found | None:
    calls = _json_calls(content)
    if calls is None and "\n" in content.strip():
        # Parallel calls leak as one object per line.
        calls = []
        for line in content.strip().splitlines():
            found = _json_calls(line) if line.strip() else []
            if found is None:
                return None
            calls.extend(found)
    return None if not calls else ("", calls)


def _json_calls(text: str) -> list[_RawCall] | None:
    """``{"name", "arguments"}`` objects (one, or a list), each with only those keys (plus an
    optional ``"type": "function"``): a looser object is more likely an answer than a call."""
    parsed = _loads(text.strip())
    items = parsed if isinstance(parsed, list) and parsed else [parsed]
    calls: list[_RawCall] = []
    for item in items:
        if not isinstance(item, dict) or "name" not in item:
            return None
        keys = set(item) - {"type"}
        if item.get("type", "function") != "function":
            return None
        argument_key = "arguments" if "arguments" in item else "parameters"
        if keys != {"name", argument_key}:
            return None
        calls.append((item["name"], item[argument_key]))
    return calls


_FINDERS = (
    ("dsml", _find_dsml),
    ("tool_call_tag", _find_tool_call_tags),
    ("fenced_json", _find_fenced_json),
    ("bare_json", _find_bare_json),
)

_INVALID = object()


def _loads(text: str) -> Any:
    try:
        return loads_json(text)
    except ValueError:
        return _INVALID


def _validated_calls(
    raw_calls: list[_RawCall], offered: Mapping[str, ToolSpec]
) -> list[ToolCall] | None:
    calls: list[ToolCall] = []
    for index, (name, arguments) in enumerate(raw_calls):
        if not isinstance(name, str) or name not in offered:
            return None
        if isinstance(arguments, str):
            arguments = _loads(arguments) if arguments.strip() else {}
        if not isinstance(arguments, dict):
            return None
        schema = offered[name].function.parameters
        if schema is not None and schema_problems(arguments, schema):
            return None
        calls.append(
            ToolCall(
                id=f"call_{index:02d}_recovered_{uuid.uuid4().hex[:16]}",
                function=FunctionCall(
                    name=name, arguments=json.dumps(arguments, ensure_ascii=False)
                ),
            )
        )
    return calls


# --------------------------------------------------------------------------------------------
# A JSON Schema check for the subset tool schemas use

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "integer": lambda value: (
        (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer())
    ),
    "number": lambda value: (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ),
}


def schema_problems(value: Any, schema: Any, *, path: str = "arguments") -> list[str]:
    """Why ``value`` does not validate against ``schema`` (empty when it does).

    Covers what tool schemas (including pydantic's) use: ``type`` (one or a list), ``enum``,
    ``const``, ``properties``, ``required``, ``additionalProperties``, ``items``,
    ``prefixItems``, ``min/maxItems``, ``min/maxLength``, ``pattern``, ``minimum``, ``maximum``,
    the exclusive bounds, ``anyOf``/``oneOf``/``allOf``/``not`` and local ``$ref`` to
    ``$defs``/``definitions``. Other keywords (formats, descriptions) constrain nothing here.
    """
    return _Checker(schema).problems(value, schema, path)


class _Checker:
    def __init__(self, root: Any) -> None:
        self.root = root

    def resolve(self, reference: str) -> Any:
        if not reference.startswith("#/"):
            return True  # a remote reference cannot be checked offline: accept
        node = self.root
        for part in reference[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return node

    def problems(self, value: Any, schema: Any, path: str, depth: int = 0) -> list[str]:
        if schema is True or schema == {}:
            return []
        if schema is False:
            return [f"{path}: no value is allowed here"]
        if not isinstance(schema, dict) or depth > 64:
            return []
        if "$ref" in schema:
            found = self.problems(value, self.resolve(schema["$ref"]), path, depth + 1)
            if found:
                return found
        found = self._type_and_values(value, schema, path)
        if found:
            return found
        found = self._combinators(value, schema, path, depth)
        if found:
            return found
        if isinstance(value, dict):
            return self._object(value, schema, path, depth)
        if isinstance(value, list):
            return self._array(value, schema, path, depth)
        return []

    def _type_and_values(self, value: Any, schema: dict[str, Any], path: str) -> list[str]:
        kind = schema.get("type")
        if kind is not None:
            kinds = kind if isinstance(kind, list) else [kind]
            if schema.get("nullable") is True:
                kinds = [*kinds, "null"]
            if not any(_TYPE_CHECKS.get(k, lambda _: True)(value) for k in kinds):
                return [f"{path}: expected {' or '.join(map(str, kinds))}, got {_kind(value)}"]
        options = schema.get("enum")
        if isinstance(options, list) and not any(_same(value, option) for option in options):
            return [f"{path}: {value!r} is not one of {schema['enum']!r}"]
        if "const" in schema and not _same(value, schema["const"]):
            return [f"{path}: must be {schema['const']!r}"]
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                return [f"{path}: shorter than {schema['minLength']} characters"]
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                return [f"{path}: longer than {schema['maxLength']} characters"]
            pattern = schema.get("pattern")
            if isinstance(pattern, str):
                try:
                    if re.search(pattern, value) is None:
                        return [f"{path}: does not match {pattern!r}"]
                except re.error:
                    pass
        if _TYPE_CHECKS["number"](value):
            for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                bound = schema.get(keyword)
                if isinstance(bound, (int, float)) and _breaks(keyword, value, bound):
                    return [f"{path}: {value!r} breaks {keyword} {bound!r}"]
        return []

    def _combinators(self, value: Any, schema: dict[str, Any], path: str, depth: int) -> list[str]:
        for sub in schema.get("allOf") or ():
            found = self.problems(value, sub, path, depth + 1)
            if found:
                return found
        any_of = schema.get("anyOf")
        if (
            isinstance(any_of, list)
            and any_of
            and all(self.problems(value, sub, path, depth + 1) for sub in any_of)
        ):
            return [f"{path}: matches none of anyOf"]
        one_of = schema.get("oneOf")
        if isinstance(one_of, list) and one_of:
            matches = sum(not self.problems(value, sub, path, depth + 1) for sub in one_of)
            if matches != 1:
                return [f"{path}: matches {matches} of oneOf, not exactly one"]
        if "not" in schema and not self.problems(value, schema["not"], path, depth + 1):
            return [f"{path}: matches a schema it must not"]
        return []

    def _object(
        self, value: dict[str, Any], schema: dict[str, Any], path: str, depth: int
    ) -> list[str]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        for name in schema.get("required") or ():
            if name not in value:
                return [f"{path}: missing required {name!r}"]
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            where = f"{path}.{name}"
            if name in properties:
                found = self.problems(item, properties[name], where, depth + 1)
            elif extra is False:
                found = [f"{path}: unexpected property {name!r}"]
            else:
                found = self.problems(item, extra, where, depth + 1)
            if found:
                return found
        return []

    def _array(self, value: list[Any], schema: dict[str, Any], path: str, depth: int) -> list[str]:
        if len(value) < schema.get("minItems", 0):
            return [f"{path}: fewer than {schema['minItems']} items"]
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return [f"{path}: more than {schema['maxItems']} items"]
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items", True)
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else items
            found = self.problems(item, sub, f"{path}[{index}]", depth + 1)
            if found:
                return found
        return []


def _breaks(keyword: str, value: float, bound: float) -> bool:
    if keyword == "minimum":
        return value < bound
    if keyword == "maximum":
        return value > bound
    if keyword == "exclusiveMinimum":
        return value <= bound
    return value >= bound


_KIND_NAMES: dict[type, str] = {dict: "object", list: "array", str: "string"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return _KIND_NAMES.get(type(value), type(value).__name__)


def _same(value: Any, option: Any) -> bool:
    """JSON equality: ``True`` is not ``1``."""
    if isinstance(value, bool) or isinstance(option, bool):
        return isinstance(value, bool) and isinstance(option, bool) and value is option
    return bool(value == option)
