"""LangChain integration for DeepSeek models: :class:`ChatDeepSeekAPI`.

Install with the ``langchain`` extra: ``pip install "deepseekapi-integrations[langchain]"``.
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "langchain_deepseekapi needs langchain-core: "
        'pip install "deepseekapi-integrations[langchain]"'
    ) from exc

from ._chat_model import ChatDeepSeekAPI
from ._tokens import DeepSeekCallbackHandler, get_deepseek_callback

__all__ = ["ChatDeepSeekAPI", "DeepSeekCallbackHandler", "get_deepseek_callback"]
