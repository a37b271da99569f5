"""JSON mode replies: parse the content, or say plainly what the service sent instead."""

from __future__ import annotations

import json
from typing import Any

from ._exceptions import EmptyJSONReplyError

__all__ = ["parse_json_reply"]


def parse_json_reply(content: str | None, finish_reason: str | None = None) -> Any:
    """The JSON value of a JSON-mode reply's ``content``.

    Raises :class:`EmptyJSONReplyError` for an empty or whitespace-only reply (the service
    replaces output that is not JSON with spaces, and answers so with ``finish_reason``
    "stop"; "length" means the budget ran out first), and ``ValueError`` quoting the start of
    the text for content that is not JSON.
    """
    text = content or ""
    if not text.strip():
        if finish_reason == "length":
            why = "the max_tokens budget ran out before any JSON was written"
        else:
            why = (
                "the service replaces output that is not valid JSON with whitespace; ask for "
                'JSON explicitly in the prompt (with the word "json" and an example) and retry'
            )
        raise EmptyJSONReplyError(
            f"JSON mode returned {len(text)} characters of whitespace and no JSON "
            f"(finish_reason {finish_reason!r}): {why}",
            content=text,
            finish_reason=finish_reason,
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"JSON mode returned text that is not JSON ({exc.msg} at character {exc.pos}; "
            f"finish_reason {finish_reason!r}): {text[:200]!r}"
        ) from None
