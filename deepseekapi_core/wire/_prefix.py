"""Chat prefix completion (beta): where ``prefix`` may be, and the ``prefix`` request option.

DeepSeek's rule (https://api-docs.deepseek.com/guides/chat_prefix_completion, read
2026-12-06): the last message is an assistant message with ``"prefix": true``. The checks run
in :class:`~deepseekapi_core.wire.ChatRequest`'s validators and name the message; the role rule
(assistant only) is :class:`~deepseekapi_core.wire.ChatMessage`'s own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._models import ChatMessage


def prefix_position_problem(messages: list[ChatMessage]) -> str | None:
    """Why ``prefix=True`` cannot be where it is (only the last message is continued)."""
    for index, message in enumerate(messages[:-1]):
        if message.prefix:
            return (
                f"messages[{index}] has prefix=True but is not the last message; only the "
                "last message (an assistant message) can be continued"
            )
    return None


def prefix_problem(prefix: bool | str | None, messages: list[ChatMessage] | None) -> str | None:
    """Why the ``prefix`` option cannot apply to ``messages`` (None: it can, or it is unset;
    without messages their own error is reported)."""
    if prefix == "":
        return (
            "the prefix text is empty; pass the text the reply starts with, or "
            "prefix=True to continue the last assistant message"
        )
    if not prefix or not messages:
        return None
    last, where = messages[-1], f"messages[{len(messages) - 1}]"
    if prefix is True and last.role != "assistant":
        return (
            f"prefix=True continues the last message, and {where} is a {last.role} message; "
            "end the messages with the assistant text to continue, or pass that text as "
            "prefix='...'"
        )
    if isinstance(prefix, str) and last.prefix and last.content != prefix:
        shown = prefix if len(prefix) <= 40 else prefix[:37] + "..."
        return (
            f"prefix={shown!r} adds an assistant message to continue, but {where} already "
            "is one; pass one or the other"
        )
    return None


def with_prefix(messages: list[ChatMessage], prefix: bool | str) -> list[ChatMessage]:
    """The messages with ``prefix`` applied: the last one marked (a copy: the caller's message
    objects are never changed), or the prefix text appended. Applying it twice changes
    nothing, so a request validated again from its own dump stays the same."""
    last = messages[-1]
    if isinstance(prefix, bool):  # True: the caller passes no False here
        if last.prefix:
            return messages
        return [*messages[:-1], last.model_copy(update={"prefix": True})]
    if last.role == "assistant" and last.prefix and last.content == prefix:
        return messages
    return [*messages, type(last)(role="assistant", content=prefix, prefix=True)]
