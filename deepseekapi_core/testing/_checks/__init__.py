"""The service's request checks, one module per concern, run in the service's order.

- :mod:`.fields`: the request fields, their JSON kinds and bounds, read from the wire
  request model (a field added there is checked here without an edit);
- :mod:`.shape`: what the deserialiser refuses (422, plain text);
- :mod:`.ranges`: values out of range (400);
- :mod:`.tools`: tool definitions, ``tool_choice`` and the order of tool messages (400), with
  :mod:`.strict` for strict functions' schemas at the beta base URL;
- :mod:`.eras`: what differs by era and thinking mode (switches, reasoning replay, aliases);
- :mod:`.prefix`: the message a chat prefix completion continues (beta);
- :mod:`.context`: prompt tokens and the context window.

:func:`check_chat` runs them and returns the :class:`ChatRequest` the reply is built from,
or raises :class:`Rejected` with the service's answer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ...wire._registry import (
    Era,
    ModelProfile,
    get_model_profile,
    known_model_ids,
    listed_model_ids,
)
from .._vision import ImageRejected, SeenImage, inspect_request_images
from .builtin import check_builtin_tools, check_server_entries
from .context import check_context_length
from .eras import ERA_RULES, check_mode, check_switches
from .errors import Rejected, ShapeError, bad_request, unreadable
from .prefix import continued_message
from .ranges import check_ranges, stop_sequences
from .shape import check_shape, is_json_mode
from .tools import check_tool_sequence, check_tools

__all__ = ["ChatRequest", "Rejected", "check_chat"]


@dataclass
class ChatRequest:
    """A chat-completions request the service accepts, as the reply needs it."""

    model: str
    response_model: str
    profile: ModelProfile
    thinking: bool
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    tool_choice: object
    json_mode: bool
    stream: bool
    include_usage: bool
    max_tokens: int | None
    stop: list[str]
    prompt_tokens: int
    images: tuple[SeenImage, ...] = ()
    """The images the model sees (V4.1 vision models), with their token counts."""
    beta: bool = False
    """Whether it came to the beta base URL (where strict tools and prefix completion work)."""
    continued: dict[str, Any] | None = None
    """The assistant message a chat prefix completion continues (beta only; see
    :mod:`.prefix`)."""
    builtin_tools: tuple[str, ...] = ()
    """The built-in tools offered (``deepseek_web_search``, ``deepseek_read_url``); ``tools``
    holds the function tools alone."""


def check_chat(
    body: object, size: int, *, era: Era, models: Collection[str], beta: bool = False
) -> ChatRequest:
    """Check a parsed request body of ``size`` bytes as the service of ``era`` would, at its
    beta base URL when ``beta``."""
    try:
        return _check(body, era, models, beta)
    except ShapeError as error:
        raise unreadable(error, size) from None


def _check(body: object, era: Era, models: Collection[str], beta: bool) -> ChatRequest:
    rules = ERA_RULES[era]
    request = check_shape(body, rules.content_parts)
    model: str = request["model"]
    messages: list[dict[str, Any]] = request["messages"]
    if model not in models:
        if rules.names_supported_models:
            raise bad_request(
                f"The supported API model names are {', '.join(_listed(era, models))}"
            )
        raise bad_request("Model Not Exist")
    profile = get_model_profile(model, era)
    thinking_switch = check_switches(request, rules)
    if not messages:
        raise bad_request("Empty input messages")
    check_ranges(request, profile)
    builtin, functions = check_builtin_tools(request.get("tools"), rules, profile)
    tools = check_tools(functions, request.get("tool_choice"), builtin, beta=beta)
    check_tool_sequence(messages)
    check_server_entries(messages)
    continued = continued_message(messages, beta=beta)
    mode = check_mode(request, era, profile, thinking_switch, tools, continued=continued)
    try:
        images = tuple(inspect_request_images(messages, profile, era))
    except ImageRejected as refusal:
        raise bad_request(refusal.message) from None
    max_tokens = request.get("max_tokens")
    stream = request.get("stream") is True
    stream_options = request.get("stream_options")
    return ChatRequest(
        model=model,
        response_model=mode.response_model,
        profile=profile,
        thinking=mode.thinking,
        messages=messages,
        tools=tools,
        tool_choice=request.get("tool_choice"),
        json_mode=is_json_mode(request),
        stream=stream,
        include_usage=bool(
            stream and isinstance(stream_options, dict) and stream_options.get("include_usage")
        ),
        max_tokens=max_tokens,
        stop=stop_sequences(request),
        prompt_tokens=check_context_length(
            messages, tools, max_tokens, profile, sum(image.tokens for image in images)
        ),
        images=images,
        beta=beta,
        continued=continued,
        builtin_tools=builtin,
    )


def _listed(era: Era, models: Collection[str]) -> tuple[str, ...]:
    """The ids an unknown-model refusal names: the era's listed ids, then any extra ones."""
    known = known_model_ids(era)
    return listed_model_ids(era) + tuple(sorted(m for m in models if m not in known))
