"""Tool calling, once: specs and choice, the forcing rule, parsing calls whole and while they
stream, recovering calls the service leaked into the text, and structured output's rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "._specs": (
        "tool_spec_from",
        "tool_specs_from",
        "resolve_tool_choice",
        "forced_tool_choice_allowed",
    ),
    "._calls": (
        "ParsedToolCall",
        "ToolCallBuilder",
        "parse_tool_arguments",
        "parse_tool_calls",
        "parse_partial_arguments",
    ),
    "._recovery": ("RecoveredToolCalls", "recover_tool_calls"),
    "._structured": ("parse_json_reply",),
}

if TYPE_CHECKING:  # written from _EXPORTS by scripts/public_surface.py
    from ._calls import (
        ParsedToolCall,
        ToolCallBuilder,
        parse_partial_arguments,
        parse_tool_arguments,
        parse_tool_calls,
    )
    from ._recovery import (
        RecoveredToolCalls,
        recover_tool_calls,
    )
    from ._specs import (
        forced_tool_choice_allowed,
        resolve_tool_choice,
        tool_spec_from,
        tool_specs_from,
    )
    from ._structured import (
        parse_json_reply,
    )

    __all__ = [
        "ParsedToolCall",
        "RecoveredToolCalls",
        "ToolCallBuilder",
        "forced_tool_choice_allowed",
        "parse_json_reply",
        "parse_partial_arguments",
        "parse_tool_arguments",
        "parse_tool_calls",
        "recover_tool_calls",
        "resolve_tool_choice",
        "tool_spec_from",
        "tool_specs_from",
    ]
else:
    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
