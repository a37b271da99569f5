"""The model registry: what each DeepSeek model id accepts and returns.

The service has changed under the same names more than once (see ``Era``): ``deepseek-chat`` was
DeepSeek-V3, then V3.1/V3.2 non-thinking, then an alias of ``deepseek-v4-flash`` non-thinking.
Each :class:`ModelProfile` therefore describes a model *in one era*; :func:`get_model_profile`
answers for the newest era unless told otherwise. Unknown ids are allowed (the proxy may add
models) and get a conservative profile.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

__all__ = [
    "DEFAULT_ERA",
    "SAMPLING_PARAMETERS",
    "Era",
    "ModelProfile",
    "ThinkingSupport",
    "forced_tool_choice_allowed",
    "get_model_profile",
    "known_model_ids",
]


class Era(str, enum.Enum):
    """A period of the service whose wire rules differ from the others."""

    R1 = "r1"
    """V3 / R1 (2025-01 to mid-2025): the reasoner rejects ``reasoning_content`` in its input."""
    V3_1 = "v3.1"
    """V3.1 (2025-08 to 2025-11): as R1; tools sent to the reasoner run the chat model."""
    V3_2 = "v3.2"
    """V3.2 (2025-12 to 2026-04): thinking mode calls tools and requires its reasoning back."""
    V4 = "v4"
    """V4 (2026-04 on): ``thinking``/``reasoning_effort`` switches, 1M context, legacy aliases."""

    @property
    def replays_reasoning_in_tool_turns(self) -> bool:
        """Whether thinking-mode tool-call turns must carry their ``reasoning_content`` back."""
        return self in (Era.V3_2, Era.V4)

    @property
    def rejects_forced_tool_choice_when_thinking(self) -> bool:
        """Whether thinking mode answers 400 to ``tool_choice`` "required" or a named function.

        Only "auto" and "none" are accepted there ("Thinking mode does not support this
        tool_choice", widely reported against V4 since 2026-07).
        """
        return self in (Era.V3_2, Era.V4)

    @property
    def rejects_reasoning_in_input(self) -> bool:
        """Whether any ``reasoning_content`` in the input messages is answered with a 400."""
        return self in (Era.R1, Era.V3_1)


DEFAULT_ERA = Era.V4

SAMPLING_PARAMETERS: frozenset[str] = frozenset(
    {"temperature", "top_p", "presence_penalty", "frequency_penalty"}
)
"""Accepted but without effect in thinking mode (documented in every era)."""

_REJECTED_WHEN_THINKING: frozenset[str] = frozenset({"logprobs", "top_logprobs"})


class ThinkingSupport(str, enum.Enum):
    """How a model id relates to thinking (reasoning) mode."""

    NEVER = "never"
    ALWAYS = "always"
    SWITCHABLE = "switchable"
    """Controlled per request by ``thinking: {"type": "enabled" | "disabled"}``."""


@dataclass(frozen=True)
class ModelProfile:
    """What one model id accepts and returns in one era of the service."""

    id: str
    context_window: int
    max_output_tokens: int
    thinking: ThinkingSupport
    thinking_by_default: bool = False
    supports_tools: bool = True
    supports_tools_when_thinking: bool = True
    supports_json_mode: bool = True
    accepts_thinking_parameter: bool = False
    accepts_reasoning_effort: bool = False
    ignored_when_thinking: frozenset[str] = SAMPLING_PARAMETERS
    rejected_when_thinking: frozenset[str] = _REJECTED_WHEN_THINKING
    ignored_always: frozenset[str] = field(default_factory=frozenset)
    """Accepted without effect in every mode (V4 deprecated the penalties)."""
    era: Era = DEFAULT_ERA
    known: bool = True

    def thinks(self, thinking: bool | None) -> bool:
        """Whether a request with this ``thinking`` switch runs in thinking mode."""
        if self.thinking is ThinkingSupport.ALWAYS:
            return True
        if self.thinking is ThinkingSupport.NEVER:
            # An unknown id thinks when the caller says so: the proxy knows it, we do not.
            return bool(thinking) and (self.accepts_thinking_parameter or not self.known)
        return self.thinking_by_default if thinking is None else thinking


_K = 1024

_V4_FLASH = ModelProfile(
    id="deepseek-v4-flash",
    context_window=1_048_576,
    max_output_tokens=384 * _K,
    thinking=ThinkingSupport.SWITCHABLE,
    thinking_by_default=True,
    accepts_thinking_parameter=True,
    accepts_reasoning_effort=True,
    ignored_always=frozenset({"presence_penalty", "frequency_penalty"}),
)

_PROFILES: dict[Era, dict[str, ModelProfile]] = {
    Era.R1: {
        "deepseek-chat": ModelProfile(
            id="deepseek-chat",
            context_window=64 * _K,
            max_output_tokens=8 * _K,
            thinking=ThinkingSupport.NEVER,
            era=Era.R1,
        ),
        "deepseek-reasoner": ModelProfile(
            id="deepseek-reasoner",
            context_window=64 * _K,
            max_output_tokens=8 * _K,
            thinking=ThinkingSupport.ALWAYS,
            supports_tools=False,
            supports_tools_when_thinking=False,
            supports_json_mode=False,
            era=Era.R1,
        ),
    },
    Era.V3_1: {
        "deepseek-chat": ModelProfile(
            id="deepseek-chat",
            context_window=128 * _K,
            max_output_tokens=8 * _K,
            thinking=ThinkingSupport.NEVER,
            era=Era.V3_1,
        ),
        "deepseek-reasoner": ModelProfile(
            id="deepseek-reasoner",
            context_window=128 * _K,
            max_output_tokens=64 * _K,
            thinking=ThinkingSupport.ALWAYS,
            # Tools were accepted but silently served by deepseek-chat.
            supports_tools_when_thinking=False,
            era=Era.V3_1,
        ),
    },
    Era.V3_2: {
        "deepseek-chat": ModelProfile(
            id="deepseek-chat",
            context_window=128 * _K,
            max_output_tokens=8 * _K,
            thinking=ThinkingSupport.NEVER,
            accepts_thinking_parameter=True,
            era=Era.V3_2,
        ),
        "deepseek-reasoner": ModelProfile(
            id="deepseek-reasoner",
            context_window=128 * _K,
            max_output_tokens=64 * _K,
            thinking=ThinkingSupport.ALWAYS,
            era=Era.V3_2,
        ),
    },
    Era.V4: {
        "deepseek-chat": replace(
            _V4_FLASH,
            id="deepseek-chat",
            thinking=ThinkingSupport.NEVER,
            thinking_by_default=False,
            accepts_thinking_parameter=True,
        ),
        "deepseek-reasoner": replace(
            _V4_FLASH,
            id="deepseek-reasoner",
            thinking=ThinkingSupport.ALWAYS,
            accepts_thinking_parameter=False,
        ),
        "deepseek-v4-flash": _V4_FLASH,
        "deepseek-flash": replace(_V4_FLASH, id="deepseek-flash"),
        "deepseek-v4-pro": replace(_V4_FLASH, id="deepseek-v4-pro"),
    },
}


def known_model_ids(era: Era = DEFAULT_ERA) -> tuple[str, ...]:
    """The model ids the registry knows in ``era``, in a stable order."""
    return tuple(_PROFILES[era])


def get_model_profile(model: str, era: Era = DEFAULT_ERA) -> ModelProfile:
    """The profile of ``model`` in ``era``.

    An id the registry does not know gets a conservative profile: a 64K context, an 8K output,
    no thinking switch sent, tools and JSON mode assumed (the proxy validates them). A name that
    merely mentions ``reasoner`` is treated as always thinking, so its reasoning is surfaced.
    """
    profile = _PROFILES[era].get(model)
    if profile is not None:
        return profile
    if model in _PROFILES[Era.V4]:
        # A V4-only id asked for under an older era: it exists only as V4 describes it.
        return _PROFILES[Era.V4][model]
    reasons = "reasoner" in model or model.endswith("-r1")
    return ModelProfile(
        id=model,
        context_window=64 * _K,
        max_output_tokens=8 * _K,
        thinking=ThinkingSupport.ALWAYS if reasons else ThinkingSupport.NEVER,
        era=era,
        known=False,
    )


def forced_tool_choice_allowed(
    model: str, *, thinking: bool | None, era: Era = DEFAULT_ERA
) -> bool:
    """Whether a request may force a tool call (``tool_choice`` "required" or a named function).

    Thinking mode of the V3.2/V4 eras accepts only "auto" and "none". Adapters that force a tool
    on the caller's behalf (structured output, ``tool_required``) ask this first and fall back to
    "auto" with the tool as the only one offered.
    """
    profile = get_model_profile(model, era)
    return not (profile.thinks(thinking) and profile.era.rejects_forced_tool_choice_when_thinking)
