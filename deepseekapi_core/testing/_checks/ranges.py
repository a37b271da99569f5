"""Range checks: values of the right type the service still refuses (400, JSON body).

The bounds come from the wire request model's constraints (:mod:`.fields`), so a number field
added there is range-checked here too; ``max_tokens``'s upper bound is the model's output limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...wire._registry import ModelProfile
from .errors import bad_request
from .fields import BOUNDS, OBJECT_FIELDS, object_problem

__all__ = ["MAX_STOP_SEQUENCES", "check_ranges", "stop_sequences"]

MAX_STOP_SEQUENCES = 16
"""The service's limit (a test holds the request model's ``stop`` constraint to it)."""


def check_ranges(body: Mapping[str, Any], profile: ModelProfile) -> None:
    """Number fields within bounds, object fields valid, ``top_logprobs`` and ``stop`` usable."""
    for name, bound in BOUNDS.items():
        value = body.get(name)
        if value is None:
            continue
        high = profile.max_output_tokens if name == "max_tokens" else None
        if not bound.contains(value) or (high is not None and value > high):
            raise bad_request(
                f"Invalid {name} value, the valid range of {name} is {bound.shown(high)}"
            )
    for name in OBJECT_FIELDS:
        value = body.get(name)
        problem = object_problem(name, value) if value is not None else None
        if problem is not None:
            raise bad_request(f"Invalid {name} value: {problem}")
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise bad_request("logprobs must be set to true if top_logprobs is used")
    if len(stop_sequences(body)) > MAX_STOP_SEQUENCES:
        raise bad_request(
            f"Invalid stop value: up to {MAX_STOP_SEQUENCES} stop sequences are supported"
        )


def stop_sequences(body: Mapping[str, Any]) -> list[str]:
    """The request's ``stop`` as a list (a single string is one sequence)."""
    stop = body.get("stop")
    return [stop] if isinstance(stop, str) else list(stop or [])
