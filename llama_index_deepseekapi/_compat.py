"""What code written for llama-index's ``DeepSeek``, ``OpenAILike`` and ``OpenAI`` passes.

Their constructor parameters are accepted and take effect (see ``DeepSeekAPI``), or are
refused here by name with the reason; a name none of them knows is refused with the closest
known name suggested. pydantic would otherwise drop an unknown keyword without a word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REFUSED_CONSTRUCTOR_OPTIONS", "check_constructor_options"]

_SDK_CLIENT = (
    "openai SDK clients are not used here; pass http_client=httpx.Client(...) and "
    "async_http_client=httpx.AsyncClient(...) instead"
)

REFUSED_CONSTRUCTOR_OPTIONS: Mapping[str, str] = {
    "api_version": "it is an Azure OpenAI setting; DeepSeek's API has no versions to pick",
    "openai_client": _SDK_CLIENT,
    "async_openai_client": _SDK_CLIENT,
    "audio_config": "DeepSeek's chat models produce text only",
    "tokenizer": (
        "it only sizes max_tokens for completion-endpoint models; DeepSeek is served through "
        "chat completions, and the context window comes from the model registry (or "
        "context_window=...)"
    ),
}
"""Parameters of ``OpenAI``/``OpenAILike`` that ``DeepSeekAPI`` refuses, and why."""


def check_constructor_options(extra: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse every constructor keyword in ``extra`` that ``DeepSeekAPI`` does not take.

    ``modalities`` is accepted when it asks for text only (what DeepSeek produces).
    """
    from deepseekapi_core import InvalidRequestError
    from deepseekapi_core.integration import refuse_options, unknown_option_error

    options = dict(extra)
    modalities = options.pop("modalities", None)
    if modalities is not None and list(modalities) != ["text"]:
        raise InvalidRequestError(
            f"DeepSeekAPI does not take 'modalities' {modalities!r}: DeepSeek's chat models "
            "produce text only (modalities=['text'] is accepted)",
            param="modalities",
        )
    refuse_options(options, REFUSED_CONSTRUCTOR_OPTIONS, owner="DeepSeekAPI")
    for name in options:
        raise unknown_option_error(
            name,
            [*known, *REFUSED_CONSTRUCTOR_OPTIONS, "modalities"],
            where="DeepSeekAPI argument",
            hint="Request parameters go in additional_kwargs={...}",
        )
