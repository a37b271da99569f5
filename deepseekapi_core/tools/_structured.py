"""Structured output's texts and rules: a JSON reply parsed or explained, a JSON object found in
an answer given as text, and the corrective turn when a forced tool call did not come."""

from __future__ import annotations

import json
from typing import Any

from ..http._errors import EmptyJSONReplyError
from ._calls import loads_json


def missing_tool_call_error(answer: str | None) -> ValueError:
    """The error for a reply that was required to call a tool and called none."""
    return ValueError(
        "Expected at least one tool call, but the model made none; it answered: "
        f"{(answer or '')[:200]!r}"
    )


def json_object_in_text(text: str) -> dict[str, Any] | None:
    """A JSON object the model wrote as its answer (plain or in a code fence), else None.

    A reply that should have called the structured-output tool is accepted this way.
    """
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[-1].rsplit("```", 1)[0]
    try:
        found = loads_json(stripped)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def no_structured_call_message(tool_name: str, text: str) -> str:
    """Why a reply gave no structured output: no call of ``tool_name``, no JSON in ``text``."""
    return (
        f"The model answered without calling the {tool_name!r} tool that carries the "
        f"structured output, and its text is not a matching JSON object: {text[:200]!r}"
    )


def corrective_turn_text(tool_name: str) -> str:
    """The user turn that asks, once, for the tool call a reply left out (where the tool
    cannot be forced: thinking mode)."""
    return (
        f"Now call the {tool_name} tool, with your answer as its arguments. Do not answer in text."
    )


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
        return loads_json(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"JSON mode returned text that is not JSON ({exc.msg} at character {exc.pos}; "
            f"finish_reason {finish_reason!r}): {text[:200]!r}"
        ) from None
