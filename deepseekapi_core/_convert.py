"""Framework-neutral conversions that both adapters need: tools, arguments, content, usage."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ValidationError, create_model

from ._exceptions import InvalidRequestError
from ._types import ChatMessage, FunctionCall, NamedToolChoice, Role, ToolCall, ToolSpec, Usage

__all__ = [
    "ROLE_ALIASES",
    "SKIPPED_BLOCK_TYPES",
    "ToolChoice",
    "WireToolChoice",
    "core_message",
    "core_role",
    "join_text_parts",
    "json_schema_format",
    "parse_tool_arguments",
    "reasoning_block_texts",
    "reasoning_from",
    "resolve_tool_choice",
    "tool_call_from",
    "tool_calls_from",
    "tool_spec_from",
    "tool_specs_from",
    "usage_summary",
]

ROLE_ALIASES: Mapping[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "chatbot": "assistant",
    "model": "assistant",
    "tool": "tool",
    "function": "tool",
}
"""The frameworks' role names (LangChain's, LlamaIndex's, OpenAI's) and the service's role."""

_REASONING_BLOCK_TYPES = frozenset({"reasoning", "thinking"})
SKIPPED_BLOCK_TYPES: frozenset[str] = _REASONING_BLOCK_TYPES | {
    "tool_call",
    "tool_call_chunk",
    "invalid_tool_call",
    "tool_use",
    "function_call",
    "server_tool_call",
    "server_tool_call_chunk",
    "server_tool_result",
    "cache",
    "cache_control",
}
"""Content block types (the frameworks' and providers' spellings) that carry no text for the
service: reasoning and tool calls travel in their own fields, and cache markers mean nothing to
DeepSeek (its context cache is automatic)."""

ToolChoice = str | bool | Mapping[str, Any] | NamedToolChoice | None
"""The frameworks' spellings of a tool choice (see :func:`resolve_tool_choice`)."""
WireToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


def tool_spec_from(
    tool: ToolSpec | Mapping[str, Any] | type[BaseModel] | Callable[..., Any],
) -> ToolSpec:
    """A :class:`ToolSpec` from an OpenAI-style dict, a bare function dict, a pydantic model
    class or a typed Python function (its docstring becomes the description).

    Raises :class:`InvalidRequestError` naming what is wrong with the tool.
    """
    if isinstance(tool, ToolSpec):
        return tool
    if isinstance(tool, Mapping):
        spec: Mapping[str, Any] = tool
        if "function" in spec:
            spec = spec["function"]
        elif spec.get("type") not in (None, "function"):
            raise InvalidRequestError(
                f"tool of type {spec.get('type')!r} is not supported; only function tools exist",
                param="tools",
            )
        return _validated_tool(dict(spec))
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        schema = tool.model_json_schema()
        description = schema.pop("description", None) or (tool.__doc__ or "").strip() or None
        schema.pop("title", None)
        return _validated_tool(
            {"name": tool.__name__, "description": description, "parameters": schema}
        )
    if callable(tool):
        return _validated_tool(_function_schema(tool))
    raise InvalidRequestError(f"cannot make a tool from {type(tool).__name__}", param="tools")


def tool_specs_from(
    tools: object,
    *,
    strict: bool = False,
    convert: Callable[[Any], Any] | None = None,
) -> list[ToolSpec]:
    """Core tool specs for a list of tools in any form :func:`tool_spec_from` takes.

    ``convert`` is the framework's own conversion, applied to each tool first (its
    ``ValueError``/``TypeError`` is raised as :class:`InvalidRequestError` naming the tool);
    ``strict`` marks every function strict (the service honours it on its beta URL).
    """
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
        raise InvalidRequestError(
            f"tools must be a list of tools, not {type(tools).__name__}", param="tools"
        )
    specs: list[ToolSpec] = []
    for tool in tools:
        if convert is not None:
            try:
                tool = convert(tool)
            except (ValueError, TypeError) as exc:
                raise InvalidRequestError(
                    f"cannot make a tool from {tool!r}: {exc}", param="tools"
                ) from None
        spec = tool_spec_from(tool)
        if strict:
            spec = spec.model_copy(
                update={"function": spec.function.model_copy(update={"strict": True})}
            )
        specs.append(spec)
    return specs


def json_schema_format(spec: ToolSpec) -> dict[str, Any]:
    """The ``response_format`` asking for JSON shaped like ``spec``'s parameters
    (``{"type": "json_schema", "json_schema": {"name", "schema", "description"?}}``): structured
    output where no tool can be forced, which the core serves by JSON Output with the schema
    in a system message, as the service has no native JSON-schema output."""
    function = spec.function
    json_schema: dict[str, Any] = {"name": function.name, "schema": function.parameters or {}}
    if function.description:
        json_schema["description"] = function.description
    return {"type": "json_schema", "json_schema": json_schema}


def _validated_tool(function: dict[str, Any]) -> ToolSpec:
    try:
        return ToolSpec.model_validate({"type": "function", "function": function})
    except ValidationError as exc:
        name = function.get("name", "?")
        problems = "; ".join(
            error["msg"].removeprefix("Value error, ") for error in exc.errors(include_url=False)
        )
        raise InvalidRequestError(f"tool {name!r} is invalid: {problems}", param="tools") from None


def _function_schema(function: Callable[..., Any]) -> dict[str, Any]:
    signature = inspect.signature(function)
    hints = get_type_hints(function)
    fields: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name, Any)
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[name] = (annotation, default)
    model = create_model(function.__name__, **fields)
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return {
        "name": function.__name__,
        "description": inspect.getdoc(function) or None,
        "parameters": schema,
    }


def parse_tool_arguments(arguments: str | None) -> dict[str, Any]:
    """A tool call's JSON arguments as a dict (``""`` means no arguments).

    Raises ``ValueError`` with the text when the model produced invalid JSON or not an object
    (the service warns it "does not always generate valid JSON").
    """
    if not arguments or not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"tool arguments are not valid JSON ({exc.msg}): {arguments[:200]!r}"
        ) from None
    if not isinstance(parsed, dict):
        raise ValueError(f"tool arguments must be a JSON object, got {type(parsed).__name__}")
    return parsed


def join_text_parts(
    parts: str | Iterable[object],
    *,
    where: str = "message",
    skip: Collection[str] = _REASONING_BLOCK_TYPES,
) -> str:
    """Flatten multi-part content into text, for messages that take text only (system and
    assistant messages; images go in user messages and tool results, see
    :func:`deepseekapi_core.content_from_blocks`).

    Accepts strings and ``{"type": "text", "text": ...}`` parts, and passes over parts whose
    type is in ``skip`` (reasoning by default; an assistant message's content also skips
    :data:`SKIPPED_BLOCK_TYPES`); anything else (an image, audio) raises
    :class:`InvalidRequestError` naming the part, instead of being dropped silently. A string
    is returned as it is.
    """
    if isinstance(parts, str):
        return parts
    texts: list[str] = []
    for index, part in enumerate(parts):
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping) and part.get("type") == "text":
            if not isinstance(part.get("text"), str):
                # The shape the service answers 422 to (a real recording): refuse it here.
                raise InvalidRequestError(
                    f"{where} part {index} is a text part without a string 'text' "
                    f"(keys: {sorted(map(str, part))})",
                    param="messages",
                )
            texts.append(part["text"])
        elif isinstance(part, Mapping) and part.get("type") in skip:
            continue
        else:
            kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
            raise InvalidRequestError(
                f"{where} part {index} is {kind!r}; this message takes text only (images go "
                "in user messages and tool results, for vision models such as deepseek-flash)",
                param="messages",
            )
    return "".join(texts)


def reasoning_block_texts(blocks: Iterable[object]) -> list[str]:
    """The texts of the reasoning blocks (``{"type": "reasoning" | "thinking", ...}``) among
    content ``blocks``, in order."""
    return [
        str(block.get("reasoning") or block.get("thinking") or "")
        for block in blocks
        if isinstance(block, Mapping) and block.get("type") in _REASONING_BLOCK_TYPES
    ]


def reasoning_from(texts: Iterable[str | None], fallback: object = None) -> str | None:
    """An assistant message's reasoning: its reasoning blocks' ``texts`` joined, else (no
    block, or only empty ones) ``fallback`` (the message's ``reasoning_content`` field) when
    that is a string."""
    found = [text for text in texts if text]
    if found:
        return "".join(found)
    return fallback if isinstance(fallback, str) else None


def usage_summary(usage: Usage | None) -> dict[str, int]:
    """Token counts under stable names, zeros when the service sent no usage."""
    return (usage or Usage()).as_dict()


def resolve_tool_choice(
    choice: ToolChoice,
    tool_names: Sequence[str],
    *,
    tool_required: bool = False,
    forcing_allowed: bool = True,
) -> WireToolChoice | None:
    """The wire ``tool_choice`` for the frameworks' spellings of one.

    ``"auto"`` and ``"none"`` (or ``False``) are sent as they are; ``"required"``, ``"any"`` and
    ``True`` mean "call some tool" (``True`` with a single tool forces that tool); a tool's name
    or a ``{"function": {"name": ...}}``/``{"name": ...}`` dict forces that tool, which must be
    one of ``tool_names``. ``None`` leaves the choice to the service, unless ``tool_required``:
    then "required" where the call may force a tool (``forcing_allowed``, see
    :func:`~deepseekapi_core.models.forced_tool_choice_allowed`), else "auto", since thinking
    mode refuses forced choices.

    Raises :class:`InvalidRequestError` naming the problem.
    """
    if choice is None:
        if not tool_required:
            return None
        return "required" if forcing_allowed else "auto"
    if choice is False or choice == "none":
        return "none"
    if choice is True:
        return _named(tool_names[0]) if len(tool_names) == 1 else "required"
    if isinstance(choice, NamedToolChoice):
        return _named(choice.function.name, tool_names)
    if isinstance(choice, str):
        if choice in ("auto", "required"):
            return choice  # type: ignore[return-value]
        if choice == "any":
            return "required"
        if choice in tool_names:
            return _named(choice)
        raise InvalidRequestError(
            f"tool_choice {choice!r} is neither 'auto', 'none', 'any', 'required' nor one of "
            f"the tools {list(tool_names)}",
            param="tool_choice",
        )
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        if isinstance(name, str) and name:
            return _named(name, tool_names)
        raise InvalidRequestError(
            f"tool_choice dict {dict(choice)!r} names no function", param="tool_choice"
        )
    raise InvalidRequestError(
        f"unsupported tool_choice {choice!r} ({type(choice).__name__})", param="tool_choice"
    )


def _named(name: str, tool_names: Sequence[str] | None = None) -> NamedToolChoice:
    if tool_names is not None and name not in tool_names:
        raise InvalidRequestError(
            f"tool_choice names {name!r}, which is not among the tools {list(tool_names)}",
            param="tool_choice",
        )
    return NamedToolChoice.model_validate({"function": {"name": name}})


def core_role(role: object, where: str) -> Role:
    """The service's role for a framework's role name, or an error naming the message."""
    found = ROLE_ALIASES.get(str(getattr(role, "value", role)))
    if found is None:
        raise InvalidRequestError(
            f"{where} has role {getattr(role, 'value', role)!r}; DeepSeek accepts system, user, "
            "assistant and tool",
            param="messages",
        )
    return found


def core_message(where: str, **fields: Any) -> ChatMessage:
    """A core :class:`ChatMessage`; invalid fields raise :class:`InvalidRequestError` naming
    the message (``where``) and the problem."""
    try:
        return ChatMessage(**fields)
    except ValidationError as exc:
        problems = "; ".join(
            error["msg"].removeprefix("Value error, ") for error in exc.errors(include_url=False)
        )
        raise InvalidRequestError(f"{where}: {problems}", param="messages") from None


def tool_call_from(call: Any, *, default_id: str = "") -> ToolCall:
    """A core :class:`ToolCall` from the frameworks' spellings of one.

    Takes a :class:`ToolCall`, an OpenAI-style dict (``{"id", "function": {"name",
    "arguments"}}``), a LangChain-style dict (``{"id", "name", "args"}``) or an object with
    ``id`` and ``function`` (the OpenAI SDK's). Arguments given as a mapping are sent as JSON;
    a string is sent exactly as it is, so a call the model produced goes back unchanged.
    """
    if isinstance(call, ToolCall):
        return call
    if isinstance(call, Mapping):
        function = call.get("function")
        if isinstance(function, Mapping):
            name, arguments = function.get("name"), function.get("arguments")
        else:
            name, arguments = call.get("name"), call.get("args", call.get("arguments"))
        call_id = call.get("id")
    else:
        function = getattr(call, "function", None)
        if function is None or not hasattr(call, "id"):
            raise InvalidRequestError(
                f"a tool call must be a mapping or an object with id and function, not {call!r}",
                param="messages",
            )
        name, arguments, call_id = function.name, function.arguments, call.id
    if isinstance(arguments, Mapping):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return ToolCall(
        id=str(call_id or default_id),
        function=FunctionCall(name=str(name or ""), arguments=str(arguments or "")),
    )


def tool_calls_from(
    calls: object, *, where: str = "tool_calls", id_prefix: str | None = None
) -> list[ToolCall]:
    """Core :class:`ToolCall` objects from a list of calls in any spelling
    :func:`tool_call_from` takes.

    A call without an id gets ``f"{id_prefix}{position}"`` when ``id_prefix`` is given. A
    string or a mapping (which would iterate as characters or keys) raises
    :class:`InvalidRequestError` naming ``where``.
    """
    if isinstance(calls, (str, bytes, Mapping)) or not isinstance(calls, Iterable):
        raise InvalidRequestError(
            f"{where} must be a list of tool calls, not {type(calls).__name__}", param="messages"
        )
    if id_prefix is None:
        return [tool_call_from(call) for call in calls]
    return [
        tool_call_from(call, default_id=f"{id_prefix}{position}")
        for position, call in enumerate(calls)
    ]
