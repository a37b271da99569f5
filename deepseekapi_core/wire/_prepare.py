"""From a validated :class:`ChatRequest` to the JSON body the service accepts.

The reasoner rules live here, once, for the clients and both adapters:

* ``reasoning_content`` of earlier assistant turns (the message a prefix completion continues
  is apart: see :func:`_prefix_reasoning`). The R1 and V3.1 reasoners answer 400 when it
  is present in the input; V3.2 and V4 answer 400 when a thinking-mode tool-call turn comes back
  *without* it (and, since 2026-09, when any turn of a request with tools lacks it). So in
  ``"auto"`` mode it is sent back exactly when the request runs in thinking mode, uses tools and
  the era requires it, filled with ``""`` where a turn lost it (the service accepts an empty
  string), and stripped otherwise.
* Parameters thinking mode rejects (``logprobs``, ``top_logprobs``) fail before sending;
  parameters it ignores (sampling, and the V4-deprecated penalties) are dropped with a warning.
* A forced ``tool_choice`` ("required" or a named function), which V3.2/V4 thinking mode answers
  with 400, is sent as "auto" with a warning: the tools stay on offer and agents keep working.
* ``thinking`` and ``reasoning_effort`` are sent only to model ids that accept them; ids whose
  service default differs from this registry's promise (the V4.1 legacy names) always get the
  switch; ``reasoning_effort="none"`` is sent as ``thinking: {"type": "disabled"}``.
* Image parts are checked (format, size, a model that can see them) by
  :func:`deepseekapi_core.wire.check_request_images`; built-in tools (web search, URL
  reading) offered to a model without them are refused (``_builtin_tools``).
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from ..http._errors import UnsupportedParameterError
from ..tools._specs import may_force_tool
from ..tools._strict import strict_tool
from ._builtin_tools import check_builtin_tools
from ._images import check_request_images
from ._models import ChatMessage, ChatRequest, NamedToolChoice, ResponseFormat, ToolSpec
from ._registry import DEFAULT_ERA, Era, ModelProfile, ThinkingSupport, get_model_profile

logger = logging.getLogger("deepseekapi_core")

ReasoningReplay = Literal["auto", "always", "never"]
"""How earlier turns' ``reasoning_content`` is sent back: by the service's rules, always, never."""

RULED_FIELDS = frozenset(
    {
        "messages",
        "response_format",
        "tool_choice",
        "stream",
        "stream_options",
        "thinking",
        "reasoning_effort",
    }
)
"""Wire fields of :class:`ChatRequest` whose body entry a mode rule writes (reasoning replay,
JSON schema output, the forcing rule, the method called, the thinking switch); every other
wire field is sent as the request holds it."""

_PLAIN_FIELDS = tuple(
    name
    for name in ChatRequest.model_fields
    if name not in RULED_FIELDS and name not in ChatRequest.NON_WIRE_FIELDS
)
# Read field by field rather than with model_dump(exclude=...): half the cost per call, and
# the messages (the bulk of a request) are never serialised twice.


def _wire_value(value: Any) -> Any:
    """A field's value as JSON-ready data (wire models without their unset fields)."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, list):
        return [_wire_value(item) for item in value]
    return value


class IgnoredParameterWarning(UserWarning):
    """A parameter was dropped because the model accepts it without effect."""


def uses_tools(request: ChatRequest) -> bool:
    """Whether the request offers tools or its history holds tool calls or results."""
    if request.tools:
        return True
    return any(message.tool_calls or message.role == "tool" for message in request.messages)


def sent_thinking_switch(
    thinking: object, reasoning_effort: object, extra_body: Mapping[str, Any] | None
) -> bool | None:
    """The thinking switch a request will carry, or None when it leaves it to the model.

    ``extra_body`` is merged into the body last, so its ``thinking`` (``{"type": "enabled" |
    "disabled"}`` or a bool) and ``reasoning_effort="none"`` win over the fields; the
    fields' ``thinking`` (a bool or ``{"type": ...}``) and ``reasoning_effort="none"`` come
    next. Every mode rule (reasoning replay, forcing a tool, parameters thinking rejects)
    reads this, so a switch given in any of those places is honoured alike.
    """
    if extra_body:
        switch = _switch_value(extra_body.get("thinking"))
        if switch is not None:
            return switch
        if extra_body.get("reasoning_effort") == "none":
            return False
    switch = _switch_value(thinking)
    if switch is None and reasoning_effort == "none":
        return False
    return switch


def _switch_value(thinking: object) -> bool | None:
    """``thinking`` as a bool, from a bool, ``{"type": ...}`` or a model with ``.type``."""
    if thinking is None or isinstance(thinking, bool):
        return thinking
    kind: object = (
        thinking.get("type") if isinstance(thinking, Mapping) else getattr(thinking, "type", None)
    )
    if kind in ("enabled", "disabled"):
        return kind == "enabled"
    return None


def request_thinks(request: ChatRequest, era: Era = DEFAULT_ERA) -> bool:
    """Whether ``request`` runs in thinking mode as it will be sent (see
    :func:`sent_thinking_switch`): the one rule the body, the clients and the adapters use."""
    return _profile_of(request, era).thinks(_request_switch(request))


def _request_switch(request: ChatRequest) -> bool | None:
    if not request.extra_body:  # the common case: the fields alone
        return request.thinking_switch
    return sent_thinking_switch(request.thinking, request.reasoning_effort, request.extra_body)


def _profile_of(request: ChatRequest, era: Era) -> ModelProfile:
    """The profile of the model the body will name (``extra_body`` may rename it)."""
    model = request.extra_body.get("model") if request.extra_body else None
    return get_model_profile(model if isinstance(model, str) and model else request.model, era)


def prepare_messages(
    messages: list[ChatMessage],
    *,
    thinking: bool,
    with_tools: bool,
    era: Era = DEFAULT_ERA,
    replay: ReasoningReplay = "auto",
) -> list[dict[str, Any]]:
    """The messages as wire dicts, with ``reasoning_content`` kept, filled or stripped."""
    if replay == "always":
        return [message.to_wire() for message in messages]
    send_back = replay == "auto" and thinking and with_tools and era.replays_reasoning_in_tool_turns
    wire_messages: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        wire = message.to_wire()
        if message.prefix:
            # The message the model continues: its reasoning is the CoT prefix, not a replay.
            _prefix_reasoning(wire, thinking=thinking)
        elif message.role == "assistant":
            if not send_back:
                wire.pop("reasoning_content", None)
            elif message.reasoning_content is None:
                logger.debug("messages[%d] has no reasoning_content; sending an empty one", index)
                wire["reasoning_content"] = ""
        wire_messages.append(wire)
    return wire_messages


def _prefix_reasoning(wire: dict[str, Any], *, thinking: bool) -> None:
    """The continued message keeps its ``reasoning_content`` in thinking mode, where the
    service takes it as the start of the chain of thought (in every era: even R1, which
    refuses reasoning in other input messages); without thinking it has no effect and is
    dropped with a warning. It is never filled in: an empty one would be a CoT prefix too."""
    if thinking or wire.get("reasoning_content") is None:
        return
    del wire["reasoning_content"]
    _warn_ignored(
        "reasoning_content on the prefix message continues a chain of thought, which only "
        "thinking mode has; not sent (turn thinking on to continue the reasoning)"
    )


def build_request_body(
    request: ChatRequest,
    *,
    stream: bool = False,
    era: Era = DEFAULT_ERA,
    reasoning_replay: ReasoningReplay = "auto",
) -> dict[str, Any]:
    """The JSON body for ``POST /chat/completions``.

    The body is the request's wire fields as they are (every field but
    :attr:`ChatRequest.NON_WIRE_FIELDS`, None left out), with the mode rules applied on top.

    Raises :class:`UnsupportedParameterError` for a parameter the model's mode rejects,
    :class:`InvalidRequestError` for an image the model cannot see or the service cannot read,
    and warns with :class:`IgnoredParameterWarning` for each one dropped as ineffective.
    """
    profile = _profile_of(request, era)
    check_request_images(
        request.messages, profile, allow_dropped_images=request.allow_dropped_images
    )
    thinking = profile.thinks(_request_switch(request))
    body: dict[str, Any] = {
        "model": request.model,
        "messages": prepare_messages(
            request.messages,
            thinking=thinking,
            with_tools=uses_tools(request),
            era=era,
            replay=reasoning_replay,
        ),
    }
    for name in _PLAIN_FIELDS:
        value = getattr(request, name)
        if value is not None:
            body[name] = _wire_value(value)
    if any(tool.function.strict for tool in request.function_tools):
        # Strict tools given as plain dicts reach here unclosed; closing is idempotent.
        body["tools"] = [
            _wire_value(strict_tool(tool) if isinstance(tool, ToolSpec) else tool)
            for tool in request.tools or ()
        ]
    _apply_mode_rules(body, profile, thinking=thinking)
    _apply_thinking_switch(body, profile, request, thinking=thinking)
    if request.response_format is not None:
        _apply_response_format(body, request.response_format)
    if request.tools:
        check_builtin_tools(
            request.tools, model=profile.id, offered=profile.builtin_tools, known=profile.known
        )
    if request.tools and thinking and not profile.supports_tools_when_thinking:
        raise UnsupportedParameterError(
            f"{request.model} does not support tools in thinking mode in the {era.value} era; "
            "use deepseek-chat for tool calling",
            param="tools",
        )
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice, profile, thinking=thinking)
    if stream:
        _apply_stream(body, request)
    if request.extra_body:
        body.update(request.extra_body)
    return body


def _tool_choice(
    choice: str | NamedToolChoice, profile: ModelProfile, *, thinking: bool
) -> str | dict[str, Any]:
    """``tool_choice`` as sent: a forced one goes as "auto" where the mode cannot force."""
    if choice not in ("auto", "none") and not may_force_tool(profile, thinking=thinking):
        # The service answers 400 "Thinking mode does not support this tool_choice". Agents
        # and structured output force tools on the caller's behalf, so the tools stay on
        # offer with "auto" rather than the turn dying.
        forced = choice if isinstance(choice, str) else choice.function.name
        _warn_ignored(
            f"{profile.id} in thinking mode cannot force a tool (tool_choice {forced!r}); "
            "sent as 'auto'. Turn thinking off (thinking=False or deepseek-chat) to force one"
        )
        return "auto"
    return choice if isinstance(choice, str) else choice.model_dump()


def _apply_stream(body: dict[str, Any], request: ChatRequest) -> None:
    """A streamed request asks for usage on its last chunk unless the request says otherwise."""
    body["stream"] = True
    include_usage = True
    options = request.stream_options
    if options is not None and options.include_usage is not None:
        include_usage = options.include_usage
    body["stream_options"] = {"include_usage": include_usage}


def json_schema_instruction(json_schema: Mapping[str, Any]) -> str:
    """The system text that asks for JSON matching an openai-style ``json_schema`` object."""
    name = json_schema.get("name")
    description = json_schema.get("description")
    lines = ["Reply with a single JSON object and nothing else."]
    if name:
        lines.append(f"It is a {name}" + (f": {description}" if description else "."))
    lines.append(
        "It must be valid against this JSON schema:\n"
        + json.dumps(json_schema["schema"], ensure_ascii=False, sort_keys=True)
    )
    return "\n".join(lines)


def _apply_response_format(body: dict[str, Any], response_format: ResponseFormat) -> None:
    if response_format.type != "json_schema":
        body["response_format"] = {"type": response_format.type}
        return
    # The service answers "This response_format type is unavailable now" to json_schema, so it
    # is served by JSON Output with the schema in a system message (JSON Output also needs the
    # word "json" in the prompt, which the instruction carries).
    body["response_format"] = {"type": "json_object"}
    instruction = json_schema_instruction(response_format.json_schema or {})
    messages: list[dict[str, Any]] = body["messages"]
    first = messages[0] if messages else None
    if first is not None and first["role"] == "system" and isinstance(first.get("content"), str):
        messages[0] = {**first, "content": f"{first['content']}\n\n{instruction}"}
    else:
        messages.insert(0, {"role": "system", "content": instruction})


def _apply_mode_rules(body: dict[str, Any], profile: ModelProfile, *, thinking: bool) -> None:
    if thinking:
        rejected = sorted(name for name in profile.rejected_when_thinking if name in body)
        if rejected:
            raise UnsupportedParameterError(
                f"{profile.id} in thinking mode rejects {', '.join(rejected)}; "
                "remove it, or use a non-thinking model",
                param=rejected[0],
            )
    ignored = profile.ignored_always | (profile.ignored_when_thinking if thinking else frozenset())
    dropped = sorted(name for name in ignored if name in body)
    for name in dropped:
        del body[name]
    if dropped:
        mode = "in thinking mode " if thinking else ""
        _warn_ignored(f"{profile.id} {mode}ignores {', '.join(dropped)}; not sent")


def _apply_thinking_switch(
    body: dict[str, Any], profile: ModelProfile, request: ChatRequest, *, thinking: bool
) -> None:
    switch = request.thinking_switch
    if switch is not None:
        if profile.accepts_thinking_parameter or not profile.known:
            body["thinking"] = {"type": "enabled" if switch else "disabled"}
        elif switch is False and profile.thinking is ThinkingSupport.ALWAYS:
            raise UnsupportedParameterError(
                f"{profile.id} always thinks; use deepseek-chat for replies without reasoning",
                param="thinking",
            )
        elif switch is True and profile.thinking is ThinkingSupport.NEVER:
            raise UnsupportedParameterError(
                f"{profile.id} has no thinking mode in the {profile.era.value} era; "
                "use deepseek-reasoner",
                param="thinking",
            )
    if profile.explicit_thinking and "thinking" not in body:
        body["thinking"] = {"type": "enabled" if thinking else "disabled"}
    if request.reasoning_effort is not None and request.reasoning_effort != "none":
        if not thinking:
            raise UnsupportedParameterError(
                f"reasoning_effort needs thinking mode, and {profile.id} is not thinking here; "
                "set thinking=True or use deepseek-reasoner",
                param="reasoning_effort",
            )
        if profile.accepts_reasoning_effort or not profile.known:
            body["reasoning_effort"] = request.reasoning_effort
        else:
            _warn_ignored(
                f"{profile.id} in the {profile.era.value} era ignores reasoning_effort; not sent"
            )


# Where this project's code lives (the three packages sit side by side): a warning names the
# first caller outside these, since the call depth differs between a direct
# build_request_body, the clients (sync, async, streaming) and the adapters.
_OWN_DIRS = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), name)
    + os.sep
    for name in ("deepseekapi_core", "langchain_deepseekapi", "llama_index_deepseekapi")
)


def _warn_ignored(message: str) -> None:
    """Warn with the location of the first caller outside this project's packages."""
    if sys.version_info >= (3, 12):
        warnings.warn(message, IgnoredParameterWarning, skip_file_prefixes=_OWN_DIRS)
        return
    # Before 3.12: count our own frames. inspect.currentframe() is None where an
    # implementation keeps no frames; the warning then names this module's caller.
    frame = inspect.currentframe()
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_OWN_DIRS):
        frame = frame.f_back
        level += 1
    warnings.warn(message, IgnoredParameterWarning, stacklevel=max(level, 2))
