"""Shape checks: what the service's deserialiser refuses (422, plain text) before any rule runs.

Each function raises :class:`ShapeError` with serde's wording. Content parts are checked by
type through :data:`CONTENT_PART_CHECKS`; which types an era accepts is in its
:class:`~deepseekapi_core.testing._checks.eras.EraRules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...wire._builtin_tools import BUILTIN_TOOL_TYPES
from .._vision import image_part_problem
from .errors import ShapeError, describe, expected
from .fields import SCALAR_KINDS

__all__ = ["CONTENT_PART_CHECKS", "ROLES", "check_shape", "is_json_mode"]

ROLES = ("system", "user", "assistant", "tool")
RESPONSE_FORMATS = ("text", "json_object")
_TOOL_CHOICE_WORDS = ("none", "auto", "required")


def _text_part(where: str, part: Mapping[str, Any]) -> None:
    if not isinstance(part.get("text"), str):
        raise ShapeError(f"{where}: missing field `text`")


def _image_part(where: str, part: Mapping[str, Any]) -> None:
    problem = image_part_problem(part)
    if problem is not None:
        raise ShapeError(f"{where}: {problem}")


CONTENT_PART_CHECKS: dict[str, Callable[[str, Mapping[str, Any]], None]] = {
    "text": _text_part,
    "image_url": _image_part,
}
"""The check of each content-part ``type`` (the part has that type when it runs)."""


def check_shape(body: object, content_parts: Sequence[str]) -> dict[str, Any]:
    """``body`` as a dict whose fields have the types the service reads them as.

    ``content_parts`` are the content-part types the era accepts in a message's content list.
    """
    if not isinstance(body, dict):
        raise ShapeError(f"invalid type: {describe(body)}, expected struct ChatCompletionRequest")
    _check_model_and_messages(body, content_parts)
    _check_parameter_types(body)
    _check_response_format(body.get("response_format"))
    _check_tools(body.get("tools"))
    _check_tool_choice(body.get("tool_choice"))
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise ShapeError("stream_options: invalid type, expected struct StreamOptions")
    return body


def is_json_mode(body: Mapping[str, Any]) -> bool:
    """Whether a shape-checked request asks for JSON mode."""
    response_format = body.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") == "json_object"


def _check_model_and_messages(body: Mapping[str, Any], content_parts: Sequence[str]) -> None:
    if "model" not in body:
        raise ShapeError("missing field `model`")
    model = body["model"]
    if not isinstance(model, str):
        raise ShapeError(f"model: invalid type: {describe(model)}, expected a string")
    if "messages" not in body:
        raise ShapeError("missing field `messages`")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise ShapeError(f"messages: invalid type: {describe(messages)}, expected a sequence")
    for index, message in enumerate(messages):
        _check_message(f"messages[{index}]", message, content_parts)


def _check_message(where: str, message: object, content_parts: Sequence[str]) -> None:
    if not isinstance(message, dict):
        raise ShapeError(
            f"{where}: invalid type: {describe(message)}, expected internally tagged enum"
        )
    if "role" not in message:
        raise ShapeError(f"{where}: missing field `role`")
    role = message["role"]
    if role not in ROLES:
        raise ShapeError(f"{where}: unknown variant `{role}`, {expected(ROLES)}")
    if role != "assistant" and "content" not in message:
        raise ShapeError(f"{where}: missing field `content`")
    content = message.get("content")
    # Only an assistant message may leave its content out (when it calls tools).
    if role != "assistant" or content is not None:
        _check_content(where, content, content_parts)
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise ShapeError(f"{where}: missing field `tool_call_id`")
    reasoning = message.get("reasoning_content")
    if reasoning is not None and not isinstance(reasoning, str):
        raise ShapeError(
            f"{where}.reasoning_content: invalid type: {describe(reasoning)}, expected a string"
        )
    tool_calls = message.get("tool_calls")
    if tool_calls is not None and role == "assistant":
        _check_tool_calls(where, tool_calls)


def _check_content(where: str, content: object, content_parts: Sequence[str]) -> None:
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise ShapeError(
            f"{where}: data did not match any variant of untagged enum ChatCompletionRequestContent"
        )
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(part, dict) or not isinstance(kind, str) or kind not in content_parts:
            raise ShapeError(f"{where}: unknown variant `{kind}`, {expected(content_parts)}")
        CONTENT_PART_CHECKS[kind](where, part)


def _check_tool_calls(where: str, tool_calls: object) -> None:
    if not isinstance(tool_calls, list):
        raise ShapeError(
            f"{where}.tool_calls: invalid type: {describe(tool_calls)}, expected a sequence"
        )
    for call in tool_calls:
        if not isinstance(call, dict) or not isinstance(call.get("id"), str):
            raise ShapeError(f"{where}.tool_calls: missing field `id`")
        function = call.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ShapeError(f"{where}.tool_calls: missing field `function`")
        if not isinstance(function.get("arguments"), str):
            raise ShapeError(f"{where}.tool_calls.function: missing field `arguments`")


def _check_parameter_types(body: Mapping[str, Any]) -> None:
    """Each scalar field of the wire request model holds its JSON type (see :mod:`.fields`)."""
    for name, kind in SCALAR_KINDS.items():
        value = body.get(name)
        if value is not None and not _is_kind(value, kind):
            problem = "value" if kind == "u32" else "type"
            raise ShapeError(f"{name}: invalid {problem}: {describe(value)}, expected {kind}")
    stop = body.get("stop")
    if (
        stop is not None
        and not isinstance(stop, str)
        and not (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise ShapeError("stop: data did not match any variant of untagged enum StopSequence")


def _is_kind(value: object, kind: str) -> bool:
    if kind == "a boolean":
        return isinstance(value, bool)
    if kind == "a string":
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return kind == "f32" or (isinstance(value, int) and value >= 0)


def _check_response_format(response_format: object) -> None:
    if response_format is None:
        return
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind not in RESPONSE_FORMATS:
        raise ShapeError(
            f"response_format.type: unknown variant `{kind}`, {expected(RESPONSE_FORMATS)}"
        )


def _check_tools(tools: object) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise ShapeError(f"tools: invalid type: {describe(tools)}, expected a sequence")
    for index, tool in enumerate(tools):
        if isinstance(tool, dict) and tool.get("type") in BUILTIN_TOOL_TYPES:
            continue  # a built-in tool: whether the era and model have it is checked later
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise ShapeError(f"tools[{index}].type: unknown variant, expected `function`")
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ShapeError(f"tools[{index}]: missing field `function`")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise ShapeError(f"tools[{index}].function.parameters: expected a map")


def _check_tool_choice(tool_choice: object) -> None:
    if tool_choice is None or tool_choice in _TOOL_CHOICE_WORDS:
        return
    named = (
        isinstance(tool_choice, dict)
        and tool_choice.get("type") == "function"
        and isinstance(tool_choice.get("function"), dict)
        and isinstance(tool_choice["function"].get("name"), str)
    )
    if not named:
        raise ShapeError("tool_choice: data did not match any variant of untagged enum ToolChoice")
