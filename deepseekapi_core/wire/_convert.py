"""Framework-neutral conversions both adapters need: roles, messages, content and reasoning
blocks, usage (tools are converted in :mod:`deepseekapi_core.tools`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from ..http._errors import InvalidRequestError
from ._models import ChatMessage, Role
from ._responses import Usage

ROLE_ALIASES: Mapping[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "chatbot": "assistant",
    "model": "assistant",
    "tool": "tool",
    "function": "tool",
}
"""The frameworks' role names (LangChain's, LlamaIndex's, OpenAI's) and the service's role."""

_REASONING_BLOCK_TYPES = frozenset({"reasoning", "thinking"})
SKIPPED_BLOCK_TYPES: frozenset[str] = _REASONING_BLOCK_TYPES | {
    "tool_call",
    "tool_call_chunk",
    "invalid_tool_call",
    "tool_use",
    "function_call",
    "server_tool_call",
    "server_tool_call_chunk",
    "server_tool_result",
    "cache",
    "cache_control",
}
"""Content block types (the frameworks' and providers' spellings) that carry no text for the
service: reasoning and tool calls travel in their own fields, and cache markers mean nothing to
DeepSeek (its context cache is automatic)."""


def join_text_parts(
    parts: str | Iterable[object],
    *,
    where: str = "message",
    skip: Collection[str] = _REASONING_BLOCK_TYPES,
) -> str:
    """Flatten multi-part content into text, for messages that take text only (system and
    assistant messages; images go in user messages and tool results, see
    :func:`deepseekapi_core.content_from_blocks`).

    Accepts strings and ``{"type": "text", "text": ...}`` parts, and passes over parts whose
    type is in ``skip`` (reasoning by default; an assistant message's content also skips
    :data:`SKIPPED_BLOCK_TYPES`); anything else (an image, audio) raises
    :class:`InvalidRequestError` naming the part, instead of being dropped silently. A string
    is returned as it is.
    """
    if isinstance(parts, str):
        return parts
    texts: list[str] = []
    for index, part in enumerate(parts):
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping) and part.get("type") == "text":
            if not isinstance(part.get("text"), str):
                # The shape the service answers 422 to (a real recording): refuse it here.
                raise InvalidRequestError(
                    f"{where} part {index} is a text part without a string 'text' "
                    f"(keys: {sorted(map(str, part))})",
                    param="messages",
                )
            texts.append(part["text"])
        elif isinstance(part, Mapping) and part.get("type") in skip:
            continue
        else:
            kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
            raise InvalidRequestError(
                f"{where} part {index} is {kind!r}; this message takes text only (images go "
                "in user messages and tool results, for vision models such as deepseek-flash)",
                param="messages",
            )
    return join_texts(texts)


def join_texts(texts: Iterable[str]) -> str:
    """Texts of one message as one string in which no two of them fuse.

    ``["You are terse.", "Answer in French."]`` is one instruction per part, not one
    sentence: a newline goes between two parts unless whitespace already separates them
    (empty parts are passed over). The service documents text content as a string, and
    content arrays only for vision models, so the text is joined rather than sent as parts.
    """
    joined = ""
    for text in texts:
        if not text:
            continue
        if joined and not joined[-1].isspace() and not text[0].isspace():
            joined += "\n"
        joined += text
    return joined


def reasoning_block_texts(blocks: Iterable[object]) -> list[str]:
    """The texts of the reasoning blocks (``{"type": "reasoning" | "thinking", ...}``) among
    content ``blocks``, in order."""
    return [
        str(block.get("reasoning") or block.get("thinking") or "")
        for block in blocks
        if isinstance(block, Mapping) and block.get("type") in _REASONING_BLOCK_TYPES
    ]


def reasoning_from(texts: Iterable[str | None], fallback: object = None) -> str | None:
    """An assistant message's reasoning: its reasoning blocks' ``texts`` joined, else (no
    block, or only empty ones) ``fallback`` (the message's ``reasoning_content`` field) when
    that is a string."""
    found = [text for text in texts if text]
    if found:
        return "".join(found)
    return fallback if isinstance(fallback, str) else None


def usage_summary(usage: Usage | None) -> dict[str, int]:
    """Token counts under stable names, zeros when the service sent no usage."""
    return (usage or Usage()).as_dict()


def core_role(role: object, where: str) -> Role:
    """The service's role for a framework's role name, or an error naming the message."""
    found = ROLE_ALIASES.get(str(getattr(role, "value", role)))
    if found is None:
        raise InvalidRequestError(
            f"{where} has role {getattr(role, 'value', role)!r}; DeepSeek accepts system, user, "
            "assistant and tool",
            param="messages",
        )
    return found


def core_message(where: str, **fields: Any) -> ChatMessage:
    """A core :class:`ChatMessage`; invalid fields raise :class:`InvalidRequestError` naming
    the message (``where``) and the problem."""
    try:
        return ChatMessage(**fields)
    except ValidationError as exc:
        problems = "; ".join(
            error["msg"].removeprefix("Value error, ") for error in exc.errors(include_url=False)
        )
        raise InvalidRequestError(f"{where}: {problems}", param="messages") from None
