"""Era rules: what differs from one period of the service to the next.

:data:`ERA_RULES` holds, per :class:`~deepseekapi_core.wire.Era`, the switches the service
reads and what it answers with; the rules the core also needs (reasoning replay, forced tool
choice in thinking mode) are properties of ``Era`` itself. A new era adds one entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...wire._registry import Era, ModelProfile, get_model_profile, known_model_ids
from .errors import ShapeError, bad_request, expected
from .shape import is_json_mode

__all__ = ["ERA_RULES", "EraRules", "Mode", "check_mode", "check_switches"]

_THINKING_TYPES = ("enabled", "disabled")
_V4_EFFORTS = ("minimal", "low", "medium", "high", "xhigh", "max", "ultra")
# V4.1 documents "none" too (thinking off); see deepseekapi_core.wire.REASONING_EFFORTS.
_V4_1_EFFORTS = ("none", *_V4_EFFORTS)
_UNFORCED_TOOL_CHOICES = (None, "auto", "none")
_REJECTED_WHEN_THINKING = ("logprobs", "top_logprobs")


@dataclass(frozen=True)
class EraRules:
    """How the service of one era reads a request and labels its replies."""

    fingerprint: str
    """The ``system_fingerprint`` of its replies."""
    thinking_switch: bool = False
    """Whether ``thinking: {"type": "enabled" | "disabled"}`` is read (else ignored)."""
    reasoning_efforts: tuple[str, ...] = ()
    """The ``reasoning_effort`` values accepted; empty: the field is ignored."""
    content_parts: tuple[str, ...] = ("text",)
    """The content-part ``type`` values a message's content list may hold."""
    errors_name_the_model: bool = False
    """Whether thinking-mode parameter errors name the model rather than "Thinking mode"."""
    answered_as: Mapping[str, str] = field(default_factory=dict)
    """Model ids whose replies carry another model id (legacy aliases)."""
    names_supported_models: bool = False
    """Whether an unknown model id is refused with the list of supported ids (V4.1) rather
    than "Model Not Exist"."""
    builtin_tools: bool = False
    """Whether the service knows built-in tools at all (V4.1, since 2026-11-13); which model
    runs them is the registry's ``builtin_tools``."""


def _answered_as(era: Era) -> dict[str, str]:
    """The registry's routed aliases of ``era``: requested id -> id in the reply."""
    routed: dict[str, str] = {}
    for model in known_model_ids(era):
        target = get_model_profile(model, era).answered_as
        if target is not None:
            routed[model] = target
    return routed


ERA_RULES: dict[Era, EraRules] = {
    Era.R1: EraRules(fingerprint="fp_5417b77867_prod0225", errors_name_the_model=True),
    Era.V3_1: EraRules(
        fingerprint="fp_eaab8d114b_prod0820_fp8_kvcache", errors_name_the_model=True
    ),
    Era.V3_2: EraRules(fingerprint="fp_eaab8d114b_prod0820_fp8_kvcache", thinking_switch=True),
    Era.V4: EraRules(
        fingerprint="fp_8b330d02d0_prod0820_fp8_kvcache_20260402",
        thinking_switch=True,
        reasoning_efforts=_V4_EFFORTS,
        answered_as={
            "deepseek-chat": "deepseek-v4-flash",
            "deepseek-reasoner": "deepseek-v4-flash",
        },
    ),
    Era.V4_1: EraRules(
        # The bare-hash form the service reports since August 2026 (reference 1.4).
        fingerprint="a26a7955944dc5c60445bff77fac9c8e",
        thinking_switch=True,
        reasoning_efforts=_V4_1_EFFORTS,
        content_parts=("text", "image_url"),
        answered_as=_answered_as(Era.V4_1),
        builtin_tools=True,
        names_supported_models=True,
    ),
}


@dataclass(frozen=True)
class Mode:
    """How a request is served: thinking or not, and the model id its reply carries."""

    thinking: bool
    response_model: str


def check_switches(body: Mapping[str, Any], rules: EraRules) -> bool | None:
    """The ``thinking`` switch (None when absent or ignored); refuses unknown switch values."""
    switch: bool | None = None
    thinking = body.get("thinking")
    if thinking is not None and rules.thinking_switch:
        kind = thinking.get("type") if isinstance(thinking, dict) else None
        if kind not in _THINKING_TYPES:
            raise ShapeError(
                f"thinking.type: unknown variant `{kind}`, {expected(_THINKING_TYPES)}"
            )
        switch = kind == "enabled"
    effort = body.get("reasoning_effort")
    efforts = rules.reasoning_efforts
    if effort is not None and efforts and effort not in efforts:
        raise ShapeError(f"reasoning_effort: unknown variant `{effort}`, {expected(efforts)}")
    if effort == "none" and switch is None:
        switch = False  # the effort scale's way of saying thinking off
    return switch


def check_mode(
    body: Mapping[str, Any],
    era: Era,
    profile: ModelProfile,
    thinking_switch: bool | None,
    tools: list[dict[str, Any]],
    *,
    continued: Mapping[str, Any] | None = None,
) -> Mode:
    """Thinking or not, and what the model and the era refuse in that mode (``continued``: the
    message a prefix completion continues, whose reasoning is a CoT prefix, not a replay)."""
    model: str = body["model"]
    thinks = profile.thinks(thinking_switch)
    response_model = model
    if tools and thinks and not profile.supports_tools_when_thinking:
        if not profile.supports_tools:
            raise bad_request(f"{model} does not support Function Calling")
        # V3.1: tools on the reasoner were silently served by the chat model.
        thinks = False
        response_model = "deepseek-chat"
    if is_json_mode(body) and not profile.supports_json_mode:
        raise bad_request(f"{model} does not support Json Output")
    rules = ERA_RULES[era]
    if thinks:
        _check_thinking_parameters(body, era, rules)
    messages = body["messages"]
    _check_reasoning_in_input(messages[:-1] if continued else messages, era, thinks)
    return Mode(thinks, rules.answered_as.get(model, response_model))


def _check_thinking_parameters(body: Mapping[str, Any], era: Era, rules: EraRules) -> None:
    if (
        body.get("tool_choice") not in _UNFORCED_TOOL_CHOICES
        and era.rejects_forced_tool_choice_when_thinking
    ):
        raise bad_request("Thinking mode does not support this tool_choice")
    subject = body["model"] if rules.errors_name_the_model else "Thinking mode"
    for name in _REJECTED_WHEN_THINKING:
        if body.get(name):
            raise bad_request(f"{subject} does not support the parameter `{name}`")


def _check_reasoning_in_input(messages: list[dict[str, Any]], era: Era, thinks: bool) -> None:
    if era.rejects_reasoning_in_input:
        for index, message in enumerate(messages):
            if message["role"] == "assistant" and message.get("reasoning_content") is not None:
                raise bad_request(
                    "The `reasoning_content` field is not supported in input messages: "
                    f"remove it from the assistant message at message index {index}"
                )
    elif thinks and era.replays_reasoning_in_tool_turns:
        for index, message in enumerate(messages):
            if (
                message["role"] == "assistant"
                and message.get("tool_calls")
                and message.get("reasoning_content") is None
            ):
                raise bad_request(
                    "Missing `reasoning_content` field in the assistant message at "
                    f"message index {index}"
                )
