"""The pre-flight context check: refuse, before sending, a prompt sure to overflow the model.

The service answers such a request with a 400 ("This model's maximum context length is ...
tokens. However, you requested ... tokens (... in the messages, ... in the completion)") after
the whole body was uploaded. Here it fails first, with the counts, but only when it is sure:

1. A cheap upper bound. A token covers at least one byte of text, so a prompt has at most as
   many tokens as its body has bytes, plus the template's own tokens and the tool-call markup
   (bounded by another body's worth): ``2 * len(body) + 1024``. When that bound and
   ``max_tokens`` fit in the window, which is every request under about 500 KB on a 1M-token
   model, nothing else is done (a comparison of two integers).
2. Otherwise, with the offline tokenizer (when installed), a large prompt is first estimated
   from evenly spread samples (a few dozen KB counted, scaled to the whole): a prompt estimated
   well under the window is left to the service, as without this check (the estimate only
   decides whether to count, never whether to refuse).
3. Near the limit the prompt is counted exactly and the request refused when the count, less a
   safety margin for the measured template constants, plus ``max_tokens``, exceeds the window.

Without the tokenizer only a bound that needs none is applied (a token is at most 128 bytes of
text), and the service decides the rest.

Only models the registry knows are checked; an unknown id's window is not known.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..http._errors import InvalidRequestError
from ..wire._registry import DEFAULT_ERA, Era, get_model_profile
from ._tokenizer import (
    TOKENIZER_EXTRA_HINT,
    DeepSeekTokenizer,
    TokenizerUnavailableError,
    _text_and_images,
    get_tokenizer,
    render_prompt,
    tokenizer_available,
)

logger = logging.getLogger("deepseekapi_core")

_TEMPLATE_SLACK = 1024
SAFETY_MARGIN = 64
"""Tokens subtracted from an exact count before refusing: the template constants we measured
(tool preamble, JSON-mode instructions) may differ by a few tokens from the service's."""
_MAX_TOKEN_BYTES = 128
"""The longest token of the V4 vocabulary covers 128 bytes of text."""


class ContextWindowExceededError(InvalidRequestError):
    """The prompt (plus ``max_tokens``) is sure to exceed the model's context window.

    Raised before anything is sent. ``prompt_tokens`` is the offline count (or a lower bound when
    ``exact`` is False), ``context_window`` the model's window by the registry.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        prompt_tokens: int,
        max_tokens: int,
        context_window: int,
        exact: bool,
    ) -> None:
        super().__init__(message, param="messages")
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.context_window = context_window
        self.exact = exact


def _thinking_of(body: Mapping[str, Any], era: Era) -> bool:
    switch = body.get("thinking")
    enabled = switch.get("type") == "enabled" if isinstance(switch, Mapping) else None
    return get_model_profile(str(body.get("model", "")), era).thinks(enabled)


def check_context_window(
    body: Mapping[str, Any], body_bytes: int, *, era: Era = DEFAULT_ERA
) -> None:
    """Raise :class:`ContextWindowExceededError` when ``body`` surely overflows its model.

    ``body`` is the JSON body about to be sent, ``body_bytes`` its encoded size.
    """
    model = str(body.get("model", ""))
    profile = get_model_profile(model, era)
    if not profile.known:
        return
    window = profile.context_window
    max_tokens = body.get("max_tokens")
    completion = max_tokens if isinstance(max_tokens, int) else 0
    if 2 * body_bytes + _TEMPLATE_SLACK + completion <= window:
        return
    messages = body.get("messages") or []
    if tokenizer_available():
        try:
            tokenizer = get_tokenizer()
        except TokenizerUnavailableError as exc:
            logger.debug("pre-flight context check skipped: %s", exc)
            return
        rendered = render_prompt(
            messages,
            tools=body.get("tools"),
            response_format=body.get("response_format"),
            thinking=_thinking_of(body, era),
            era=era,
        )
        estimate = _estimate(rendered.text, tokenizer)
        if estimate is not None and estimate + rendered.fixed_tokens + completion < window * 0.75:
            return
        # Counting stops once the prompt is surely too long, so no more than about a window's
        # worth of tokens is ever counted.
        limit = window - completion + SAFETY_MARGIN
        counted, complete = tokenizer._count_pieces(rendered.text, stop_above=limit)
        counted += rendered.fixed_tokens
        if counted > limit:
            raise _exceeded(
                model, counted, completion, window, how="exact" if complete else "partial"
            )
        return
    text_bytes = sum(len(_text_and_images(m.get("content"))[0].encode()) for m in messages)
    lower_bound = -(-text_bytes // _MAX_TOKEN_BYTES)
    if lower_bound + completion > window:
        raise _exceeded(model, lower_bound, completion, window, how="bytes")
    logger.debug(
        "pre-flight context check: a %d-byte request to %s may exceed its %d-token window; %s",
        body_bytes,
        model,
        window,
        TOKENIZER_EXTRA_HINT,
    )


_SAMPLES = 16
_SAMPLE_CHARS = 4096


def _estimate(text: str, tokenizer: DeepSeekTokenizer) -> int | None:
    """The text's tokens estimated from evenly spread samples; None when short enough to count."""
    if len(text) <= 4 * _SAMPLES * _SAMPLE_CHARS:
        return None
    step = len(text) // _SAMPLES
    samples = [text[i * step : i * step + _SAMPLE_CHARS] for i in range(_SAMPLES)]
    sampled = sum(tokenizer.count_many(samples))
    return int(sampled * len(text) / (_SAMPLES * _SAMPLE_CHARS))


def _exceeded(
    model: str, prompt: int, completion: int, window: int, *, how: str
) -> ContextWindowExceededError:
    counted = {
        "exact": f"{prompt:,} tokens (counted offline with the DeepSeek tokenizer)",
        "partial": f"over {prompt:,} tokens (counted offline until past the window)",
        "bytes": f"at least {prompt:,} tokens (a token is at most {_MAX_TOKEN_BYTES} bytes)",
    }[how]
    asked = f" plus max_tokens {completion:,}" if completion else ""
    return ContextWindowExceededError(
        f"{model}: the prompt is {counted}{asked}, over the model's context window of "
        f"{window:,} tokens; nothing was sent (the service would answer 400). Shorten the "
        "conversation (e.g. drop or summarise old turns, or trim_messages in LangChain)"
        + (" or lower max_tokens" if completion else ""),
        model=model,
        prompt_tokens=prompt,
        max_tokens=completion,
        context_window=window,
        exact=how == "exact",
    )
