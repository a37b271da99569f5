"""The model registry: what each DeepSeek model id accepts and returns.

The service has changed under the same names more than once (see ``Era``): ``deepseek-chat`` was
DeepSeek-V3, then V3.1/V3.2 non-thinking, then an alias of ``deepseek-v4-flash`` non-thinking.
Each :class:`ModelProfile` therefore describes a model *in one era*; :func:`get_model_profile`
answers for the newest era (V4.1) unless told otherwise. Unknown ids are allowed (the proxy may
add models) and get a conservative profile.

The V4.1 era (2026-09-10 on), per the reference's section 1.16 (in-flight caps per account
from the rate-limit page: 500 for ``deepseek-v4-pro``, 2,500 for ``deepseek-flash``, which
also serves the ids answered as it):

============================  =============  ==========================  ===================
id                            answered as    thinking                    input
============================  =============  ==========================  ===================
deepseek-flash                itself         switchable, on (``high``)   text, image
deepseek-v4-pro               itself         switchable, on (``high``)   text (images dropped)
deepseek-v4-flash             deepseek-flash switchable, on (``high``)   text, image
deepseek-v4-flash-vision-exp  deepseek-flash switchable, on (``high``)   text, image
deepseek-chat                 deepseek-flash off unless asked (sent)     text
deepseek-reasoner             deepseek-flash always (sent)               text
============================  =============  ==========================  ===================
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any, Final


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
    V4_1 = "v4.1"
    """V4.1 (2026-09-10 on): ``deepseek-flash`` (V4.1 Flash) reads images; the legacy names and
    ``deepseek-v4-flash`` are answered as ``deepseek-flash``; ``deepseek-v4-pro`` drops images."""

    @property
    def replays_reasoning_in_tool_turns(self) -> bool:
        """Whether thinking-mode tool-call turns must carry their ``reasoning_content`` back."""
        return self in (Era.V3_2, Era.V4, Era.V4_1)

    @property
    def rejects_forced_tool_choice_when_thinking(self) -> bool:
        """Whether thinking mode answers 400 to ``tool_choice`` "required" or a named function.

        Only "auto" and "none" are accepted there ("Thinking mode does not support this
        tool_choice", widely reported against V4 since 2026-07).
        """
        return self in (Era.V3_2, Era.V4, Era.V4_1)

    @property
    def rejects_reasoning_in_input(self) -> bool:
        """Whether any ``reasoning_content`` in the input messages is answered with a 400."""
        return self in (Era.R1, Era.V3_1)

    @property
    def has_thinking_switch(self) -> bool:
        """Whether the service reads the ``thinking: {"type": ...}`` request field."""
        return self in (Era.V3_2, Era.V4, Era.V4_1)


DEFAULT_ERA = Era.V4_1

SAMPLING_PARAMETERS: frozenset[str] = frozenset(
    {"temperature", "top_p", "presence_penalty", "frequency_penalty"}
)
"""Accepted but without effect in thinking mode (documented in every era)."""

_REJECTED_WHEN_THINKING: frozenset[str] = frozenset({"logprobs", "top_logprobs"})

TEXT: Final = "text"
"""The input modality every model takes."""
IMAGE: Final = "image"
"""Image input (``image_url`` content parts): V4.1 Flash and the vision preview."""

_TEXT_ONLY: frozenset[str] = frozenset({TEXT})
_TEXT_AND_IMAGE: frozenset[str] = frozenset({TEXT, IMAGE})

REASONING_EFFORTS: tuple[str, ...] = (
    "none",
    "minimal",
    "low",
    "medium",
    "high",
    "xhigh",
    "max",
    "ultra",
)
"""Every ``reasoning_effort`` value the service documents, weakest first.

``none`` means thinking off: the core sends ``thinking: {"type": "disabled"}`` instead of the
effort. The service maps the others onto the levels it runs (the thinking-mode guide of late
2026): ``minimal``/``low`` -> ``low``, ``medium``/``high``/``xhigh`` -> ``high``,
``max``/``ultra`` -> ``max``. The April 2026 guide mapped ``low``/``medium`` -> ``high`` and
``xhigh`` -> ``max``; one third-party listing says ``minimal`` turns thinking off. The values
are sent as given, so whichever mapping the service runs applies.
"""


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
    input_modalities: frozenset[str] = _TEXT_ONLY
    """What the model reads: ``{"text"}`` or ``{"text", "image"}``."""
    drops_images: bool = False
    """Image parts are answered 200 but never reach the model (``deepseek-v4-pro`` in V4.1)."""
    answered_as: str | None = None
    """The id the service reports in replies when it is not this one (a routed alias)."""
    listed: bool = True
    """Whether ``GET /models`` lists this id in its era (aliases are answered, not listed)."""
    concurrency_cap: int | None = None
    """Requests in flight per account that the service documents for the model answering this
    id (the rate-limit page, late 2026), or None when none is documented. Ids answered as the
    same model (:attr:`reply_model`) share one cap: the limiter counts them in one pool."""
    supports_fim: bool = True
    """Whether the id takes FIM completion (``POST <beta>/completions``): FIM is served in
    non-thinking mode only ("FIM: Non-thinking mode only", the V4 pricing page), so never by a
    thinking-only id such as ``deepseek-reasoner``."""
    builtin_tools: frozenset[str] = frozenset()
    """The service's built-in tools the model runs (``deepseek_web_search``,
    ``deepseek_read_url``): ``deepseek-flash`` only, from 2026-11-13 (web_tools guide: "use
    the deepseek-flash model"). The ids routed to it get none: the docs name deepseek-flash
    alone, so a request offering them to an alias is refused before sending."""
    explicit_thinking: bool = False
    """Send the thinking switch even when the caller leaves it unset.

    The V4.1 service routes the legacy names to ``deepseek-flash``, which thinks by default;
    whether the alias still pins a mode is not documented. This registry promises plain replies
    for ``deepseek-chat`` and reasoning for ``deepseek-reasoner``, so the switch is sent.
    """

    @property
    def accepts_images(self) -> bool:
        """Whether the model sees image parts (not merely accepts and drops them)."""
        return IMAGE in self.input_modalities

    @property
    def reply_model(self) -> str:
        """The ``model`` the service puts in its replies to a request naming this id."""
        return self.answered_as or self.id

    def thinks(self, thinking: bool | None) -> bool:
        """Whether a request with this ``thinking`` switch runs in thinking mode."""
        if self.thinking is ThinkingSupport.ALWAYS:
            return True
        if self.thinking is ThinkingSupport.NEVER:
            # An unknown id thinks when the caller says so: the proxy knows it, we do not.
            return bool(thinking) and (self.accepts_thinking_parameter or not self.known)
        return self.thinking_by_default if thinking is None else thinking

    def calls_tools(self, thinking: bool | None) -> bool:
        """Whether a request with this ``thinking`` switch can use tools (what the adapters
        report as tool calling / function calling for the model in that mode)."""
        return self.supports_tools and (
            self.supports_tools_when_thinking or not self.thinks(thinking)
        )


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
    era=Era.V4,
)

# V4.1 Flash: same limits and switches as V4 Flash, and it reads images (2026-09-10).
_FLASH = replace(
    _V4_FLASH,
    id="deepseek-flash",
    era=Era.V4_1,
    input_modalities=_TEXT_AND_IMAGE,
    concurrency_cap=2_500,
)
_ROUTED_TO_FLASH: dict[str, Any] = {"answered_as": "deepseek-flash", "listed": False}

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
            supports_fim=False,
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
            supports_fim=False,
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
            supports_fim=False,
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
            answered_as="deepseek-v4-flash",
            listed=False,
        ),
        "deepseek-reasoner": replace(
            _V4_FLASH,
            id="deepseek-reasoner",
            thinking=ThinkingSupport.ALWAYS,
            supports_fim=False,
            accepts_thinking_parameter=False,
            answered_as="deepseek-v4-flash",
            listed=False,
        ),
        "deepseek-v4-flash": _V4_FLASH,
        "deepseek-flash": replace(_V4_FLASH, id="deepseek-flash", listed=False),
        "deepseek-v4-pro": replace(_V4_FLASH, id="deepseek-v4-pro"),
    },
    Era.V4_1: {
        # The built-in web tools (2026-11-13) are newer than the era; the era describes the
        # service as it is now, so deepseek-flash has them here.
        "deepseek-flash": replace(
            _FLASH, builtin_tools=frozenset({"deepseek_web_search", "deepseek_read_url"})
        ),
        # Accepts image parts with a 200 but bills and reads only the text (deepseek-harness).
        "deepseek-v4-pro": replace(
            _FLASH,
            id="deepseek-v4-pro",
            input_modalities=_TEXT_ONLY,
            drops_images=True,
            concurrency_cap=500,
        ),
        "deepseek-v4-flash": replace(_FLASH, id="deepseek-v4-flash", **_ROUTED_TO_FLASH),
        "deepseek-v4-flash-vision-exp": replace(
            _FLASH, id="deepseek-v4-flash-vision-exp", **_ROUTED_TO_FLASH
        ),
        # The legacy names keep their promise (plain chat / always reasoning) by sending the
        # switch; "deepseek-chat reportedly does not take the vision path" (1.16), so both are
        # text only here: an image for them is an error naming deepseek-flash.
        "deepseek-chat": replace(
            _FLASH,
            id="deepseek-chat",
            thinking=ThinkingSupport.NEVER,
            thinking_by_default=False,
            input_modalities=_TEXT_ONLY,
            explicit_thinking=True,
            **_ROUTED_TO_FLASH,
        ),
        "deepseek-reasoner": replace(
            _FLASH,
            id="deepseek-reasoner",
            thinking=ThinkingSupport.ALWAYS,
            supports_fim=False,
            accepts_thinking_parameter=False,
            input_modalities=_TEXT_ONLY,
            explicit_thinking=True,
            **_ROUTED_TO_FLASH,
        ),
    },
}


def known_model_ids(era: Era = DEFAULT_ERA) -> tuple[str, ...]:
    """The model ids the registry knows in ``era``, in a stable order."""
    return tuple(_PROFILES[era])


def listed_model_ids(era: Era = DEFAULT_ERA) -> tuple[str, ...]:
    """The ids ``GET /models`` lists in ``era`` (aliases are answered but not listed)."""
    return tuple(model for model, profile in _PROFILES[era].items() if profile.listed)


def get_model_profile(model: str, era: Era = DEFAULT_ERA) -> ModelProfile:
    """The profile of ``model`` in ``era``.

    An id the registry does not know gets a conservative profile: a 64K context, an 8K output,
    no thinking switch sent, tools and JSON mode assumed (the proxy validates them). A name that
    merely mentions ``reasoner`` is treated as always thinking, so its reasoning is surfaced.
    """
    profile = _PROFILES[era].get(model)
    if profile is not None:
        return profile
    for newer in (Era.V4, Era.V4_1):
        if model in _PROFILES[newer]:
            # A newer id asked for under an older era: it exists only as its era describes it.
            return _PROFILES[newer][model]
    reasons = "reasoner" in model or model.endswith("-r1")
    return ModelProfile(
        id=model,
        context_window=64 * _K,
        max_output_tokens=8 * _K,
        thinking=ThinkingSupport.ALWAYS if reasons else ThinkingSupport.NEVER,
        supports_fim=not reasons,
        era=era,
        known=False,
    )
