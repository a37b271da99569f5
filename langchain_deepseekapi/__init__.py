"""LangChain integration for DeepSeek models: :class:`ChatDeepSeekAPI`, and
:class:`DeepSeekAPIFIM` for fill-in-the-middle code completion (beta).

Install with the ``langchain`` extra: ``pip install "deepseekapi-integrations[langchain]"``.
"""

from __future__ import annotations

from deepseekapi_core._extras import require_module

require_module(
    "langchain_core", needed_by=__name__, distribution="langchain-core", extra="langchain"
)

from ._chat_model import ChatDeepSeekAPI  # noqa: E402  (after the check that names the extra)
from ._fim import DeepSeekAPIFIM  # noqa: E402
from ._tokens import DeepSeekCallbackHandler, get_deepseek_callback  # noqa: E402

__all__ = ["ChatDeepSeekAPI", "DeepSeekAPIFIM", "DeepSeekCallbackHandler", "get_deepseek_callback"]
