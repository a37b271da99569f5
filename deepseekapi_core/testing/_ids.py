"""Seeded ids: completion ids, trace ids and tool-call ids, repeatable run after run."""

from __future__ import annotations

import random
import threading
import uuid

__all__ = ["Ids"]

_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class Ids:
    """Draws every id from one seeded generator, so a run's ids repeat exactly."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Start the sequence again from the seed."""
        with self._lock:
            self._random = random.Random(self._seed)

    def completion_id(self) -> str:
        """A UUID, as the service's completion ids are."""
        with self._lock:
            bits = self._random.getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))

    def trace_id(self) -> str:
        """32 hex digits, as the service's ``x-ds-trace-id`` header."""
        with self._lock:
            return f"{self._random.getrandbits(128):032x}"

    def call_id(self, index: int) -> str:
        """``call_<index>_<24 alphanumerics>``, as the service's tool-call ids."""
        with self._lock:
            suffix = "".join(self._random.choices(_ALPHANUMERIC, k=24))
        return f"call_{index:02d}_{suffix}"
