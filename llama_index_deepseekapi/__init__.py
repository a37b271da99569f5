"""LlamaIndex integration for DeepSeek models: :class:`DeepSeekAPI`.

Install with the ``llama-index`` extra: ``pip install "deepseekapi-integrations[llama-index]"``.

    >>> from llama_index.core import Settings
    >>> from llama_index_deepseekapi import DeepSeekAPI
    >>> Settings.llm = DeepSeekAPI(model="deepseek-chat")  # doctest: +SKIP
"""

from __future__ import annotations

try:
    import llama_index.core.llms  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "llama_index_deepseekapi needs llama-index-core: "
        'pip install "deepseekapi-integrations[llama-index]"'
    ) from exc

from ._llm import DeepSeekAPI
from ._tokens import DeepSeekCostHandler, deepseek_tokenizer

__all__ = ["DeepSeekAPI", "DeepSeekCostHandler", "deepseek_tokenizer"]
