"""Chat prefix completion (beta): which message the model continues, and where it may be.

DeepSeek's guide (https://api-docs.deepseek.com/guides/chat_prefix_completion, read
2026-12-06) asks for the last message to be an assistant message with ``"prefix": true``, sent
to the beta base URL. The guide gives no error texts for breaking those rules: the 400s here are
the emulator's own wording (see docs/emulator.md). Outside the beta base URL the emulator
ignores ``prefix`` (an assumption, also in docs/emulator.md): the message is an ordinary
assistant turn there.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request

__all__ = ["continued_message"]


def continued_message(messages: list[dict[str, Any]], *, beta: bool) -> dict[str, Any] | None:
    """The assistant message a beta request asks the model to continue (None: none), or a 400
    when ``prefix: true`` is on a message the model cannot continue."""
    if not beta:
        return None
    last = len(messages) - 1
    for index, message in enumerate(messages):
        if message.get("prefix") is not True:
            continue
        if message["role"] != "assistant":
            raise bad_request(
                f"The message at message index {index} has `prefix: true` but its role is "
                f"{message['role']}; only an assistant message can be continued"
            )
        if index != last:
            raise bad_request(
                f"The message at message index {index} has `prefix: true` but is not the last "
                "message; chat prefix completion continues the last message"
            )
    return messages[last] if messages[last].get("prefix") is True else None
