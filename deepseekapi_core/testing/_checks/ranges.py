"""Range checks: values of the right type the service still refuses (400, JSON body)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...wire._registry import ModelProfile
from .errors import bad_request

__all__ = ["check_ranges", "stop_sequences"]

_MAX_TOP_LOGPROBS = 20
_MAX_STOP_SEQUENCES = 16


def check_ranges(body: Mapping[str, Any], profile: ModelProfile) -> None:
    """Sampling parameters, ``max_tokens``, ``top_logprobs`` and ``stop`` within bounds."""
    _within(body, "temperature", 0.0, 2.0, "[0, 2.0]", low_open=False)
    _within(body, "top_p", 0.0, 1.0, "(0, 1.0]", low_open=True)
    _within(body, "presence_penalty", -2.0, 2.0, "[-2.0, 2.0]", low_open=False)
    _within(body, "frequency_penalty", -2.0, 2.0, "[-2.0, 2.0]", low_open=False)
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and not 1 <= max_tokens <= profile.max_output_tokens:
        raise bad_request(
            "Invalid max_tokens value, the valid range of max_tokens is "
            f"[1, {profile.max_output_tokens}]"
        )
    top_logprobs = body.get("top_logprobs")
    if top_logprobs is not None:
        if top_logprobs > _MAX_TOP_LOGPROBS:
            raise bad_request(
                "Invalid top_logprobs value, the valid range of top_logprobs is "
                f"[0, {_MAX_TOP_LOGPROBS}]"
            )
        if not body.get("logprobs"):
            raise bad_request("logprobs must be set to true if top_logprobs is used")
    if len(stop_sequences(body)) > _MAX_STOP_SEQUENCES:
        raise bad_request(
            f"Invalid stop value: up to {_MAX_STOP_SEQUENCES} stop sequences are supported"
        )


def stop_sequences(body: Mapping[str, Any]) -> list[str]:
    """The request's ``stop`` as a list (a single string is one sequence)."""
    stop = body.get("stop")
    return [stop] if isinstance(stop, str) else list(stop or [])


def _within(
    body: Mapping[str, Any], name: str, low: float, high: float, shown: str, *, low_open: bool
) -> None:
    value = body.get(name)
    if value is None:
        return
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        raise bad_request(f"Invalid {name} value, the valid range of {name} is {shown}")
