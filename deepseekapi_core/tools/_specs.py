"""Tool specs and tool choice: the frameworks' tools as wire specs, their spellings of a tool
choice as the service's, and the rule for when a request may force a tool call."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, get_type_hints, is_typeddict

from pydantic import BaseModel, ValidationError, create_model

from ..http._errors import InvalidRequestError
from ..wire._builtin_tools import BuiltinToolSpec, builtin_tool_spec
from ..wire._models import NamedToolChoice, ToolSpec
from ..wire._registry import DEFAULT_ERA, Era, ModelProfile, get_model_profile
from ._strict import strict_tool

ToolChoice = str | bool | Mapping[str, Any] | NamedToolChoice | None
"""The frameworks' spellings of a tool choice (see :func:`resolve_tool_choice`)."""

WireToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


def tool_spec_from(
    tool: ToolSpec | Mapping[str, Any] | type[BaseModel] | Callable[..., Any],
) -> ToolSpec:
    """A :class:`ToolSpec` from an OpenAI-style dict, a bare function dict, a pydantic model
    class, a TypedDict or a typed Python function (its docstring becomes the description); a
    function marked ``"strict": true`` gets its schema closed (see :mod:`._strict`).

    Raises :class:`InvalidRequestError` naming what is wrong with the tool
    (:class:`~deepseekapi_core.http.StrictSchemaError` for a part strict mode cannot take).
    """
    if isinstance(tool, ToolSpec):
        return strict_tool(tool)
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
    if is_typeddict(tool):
        return _validated_tool(_typeddict_schema(tool))
    if callable(tool):
        return _validated_tool(_function_schema(tool))
    raise InvalidRequestError(f"cannot make a tool from {type(tool).__name__}", param="tools")


def tool_specs_from(
    tools: object,
    *,
    strict: bool | None = None,
    convert: Callable[[Any], Any] | None = None,
) -> list[ToolSpec | BuiltinToolSpec]:
    """Core tool specs for a list of tools in any form :func:`tool_spec_from` takes, and the
    service's built-in tools (``{"type": "deepseek_web_search"}``, see
    :func:`~deepseekapi_core.wire.builtin_tool_spec`), which are kept as they are.

    ``convert`` is the framework's own conversion, applied to each tool first (its
    ``ValueError``/``TypeError`` is raised as :class:`InvalidRequestError` naming the tool);
    ``strict`` (when not None) is set on every function that does not say itself (the
    service honours strict functions on its beta URL). A strict function's schema is closed
    by :func:`~deepseekapi_core.tools._strict.strict_schema`, or refused with
    :class:`~deepseekapi_core.http.StrictSchemaError` naming the tool and the part.
    """
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
        raise InvalidRequestError(
            f"tools must be a list of tools, not {type(tools).__name__}", param="tools"
        )
    specs: list[ToolSpec | BuiltinToolSpec] = []
    for tool in tools:
        builtin = builtin_tool_spec(tool)
        if builtin is not None:
            specs.append(builtin)
            continue
        if convert is not None:
            try:
                tool = convert(tool)
            except (ValueError, TypeError) as exc:
                raise InvalidRequestError(
                    f"cannot make a tool from {tool!r}: {exc}", param="tools"
                ) from None
        spec = tool_spec_from(tool)
        if strict is not None and spec.function.strict is None:
            spec = spec.model_copy(
                update={"function": spec.function.model_copy(update={"strict": strict})}
            )
        specs.append(strict_tool(spec))
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
        spec = ToolSpec.model_validate({"type": "function", "function": function})
    except ValidationError as exc:
        name = function.get("name", "?")
        problems = "; ".join(
            error["msg"].removeprefix("Value error, ") for error in exc.errors(include_url=False)
        )
        raise InvalidRequestError(f"tool {name!r} is invalid: {problems}", param="tools") from None
    return strict_tool(spec)


def _typeddict_schema(typed_dict: Any) -> dict[str, Any]:
    # Read key by key: pydantic refuses typing.TypedDict before Python 3.12.
    hints = get_type_hints(typed_dict)
    required = typed_dict.__required_keys__
    fields: dict[str, Any] = {
        name: (hint, ... if name in required else None) for name, hint in hints.items()
    }
    schema = create_model(typed_dict.__name__, **fields).model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return {
        "name": typed_dict.__name__,
        "description": inspect.getdoc(typed_dict) or None,
        "parameters": schema,
    }


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
    :func:`~deepseekapi_core.wire.forced_tool_choice_allowed`), else "auto", since thinking
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


def may_force_tool(profile: ModelProfile, *, thinking: bool) -> bool:
    """The forcing rule: whether a request in this mode may force a tool call (``tool_choice``
    "required" or a named function). Thinking mode of the V3.2/V4 eras accepts only "auto"
    and "none" (400 "Thinking mode does not support this tool_choice")."""
    return not (thinking and profile.era.rejects_forced_tool_choice_when_thinking)


def forced_tool_choice_allowed(
    model: str, *, thinking: bool | None, era: Era = DEFAULT_ERA
) -> bool:
    """Whether a request to ``model`` may force a tool call (see :func:`may_force_tool`).

    Adapters that force a tool on the caller's behalf (structured output, ``tool_required``)
    ask this first and fall back to "auto" with the tool as the only one offered.
    """
    profile = get_model_profile(model, era)
    return may_force_tool(profile, thinking=profile.thinks(thinking))
