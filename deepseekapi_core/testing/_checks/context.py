"""Token accounting of a prompt, and the context-length check."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...wire._registry import ModelProfile
from .._replies import count_tokens
from .._wire import error_response
from .errors import Rejected

__all__ = ["check_context_length", "content_text", "message_tokens", "prompt_tokens"]

# The service reports a limit this much below the window (seen in its recorded 400s).
_REPORTED_LIMIT_MARGIN = 11


def content_text(content: object) -> str:
    """The text of a message's content (a string, or the text of its parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


def message_tokens(message: Mapping[str, Any]) -> int:
    """The tokens one message costs: its text, reasoning and tool-call arguments."""
    tokens = 4 + count_tokens(content_text(message.get("content")))
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str):
        tokens += count_tokens(reasoning)
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        tokens += 3 + count_tokens(str(function.get("arguments", "")))
    return tokens


def prompt_tokens(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    """The prompt's tokens: every message plus the tool definitions."""
    total = sum(message_tokens(m) for m in messages) + 2
    if tools:
        total += len(json.dumps(tools, separators=(",", ":"))) // 4
    return total


def check_context_length(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    max_tokens: int | None,
    profile: ModelProfile,
    image_tokens: int = 0,
) -> int:
    """The prompt's tokens (``image_tokens`` included), refused when they and ``max_tokens``
    overflow the context window."""
    prompt = prompt_tokens(messages, tools) + image_tokens
    completion_budget = max_tokens or 0
    requested = prompt + completion_budget
    if requested > profile.context_window:
        limit = profile.context_window - _REPORTED_LIMIT_MARGIN
        raise Rejected(
            error_response(
                400,
                f"This model's maximum context length is {limit} tokens. However, you "
                f"requested {requested} tokens ({prompt} in the messages, {completion_budget} "
                "in the completion). Please reduce the length of the messages or completion.",
                content_type="application/octet-stream",
            )
        )
    return prompt
