"""The emulated context cache: prompts sharing a message prefix with earlier ones hit it."""

from __future__ import annotations

import threading
from typing import Any

from ._checks.context import content_text, message_tokens

__all__ = ["PrefixCache"]

_BLOCK = 64
_LIMIT = 50_000


class PrefixCache:
    """Remembers every message prefix seen; a hit counts whole 64-token blocks."""

    def __init__(self) -> None:
        self._prefixes: dict[int, int] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every prefix."""
        with self._lock:
            self._prefixes.clear()

    def hit(self, messages: list[dict[str, Any]], prompt_tokens: int) -> int:
        """Prompt tokens found in the cache (whole blocks of the longest message prefix seen
        before); the prompt's prefixes are then cached."""
        running = 0
        tokens = 0
        keys: list[tuple[int, int]] = []
        for message in messages:
            running = hash(
                (
                    running,
                    message.get("role"),
                    content_text(message.get("content")),
                    str(message.get("tool_calls") or ""),
                    message.get("tool_call_id"),
                )
            )
            tokens += message_tokens(message)
            keys.append((running, tokens))
        best = 0
        with self._lock:
            for key, cumulative in keys:
                if key in self._prefixes:
                    best = cumulative
            if len(self._prefixes) > _LIMIT:
                self._prefixes.clear()
            self._prefixes.update(keys)
        return (min(best, prompt_tokens) // _BLOCK) * _BLOCK
