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

from typing import TYPE_CHECKING, Any

from ._llm import DeepSeekAPI
from ._tokens import DeepSeekCostHandler, deepseek_tokenizer

if TYPE_CHECKING:
    from ._server_tools import DeepSeekReadURLTool, DeepSeekWebSearchTool

_SERVER_TOOLS = ("DeepSeekReadURLTool", "DeepSeekWebSearchTool")

__all__ = [
    "DeepSeekAPI",
    "DeepSeekCostHandler",
    "DeepSeekReadURLTool",
    "DeepSeekWebSearchTool",
    "deepseek_tokenizer",
]


def __getattr__(name: str) -> Any:
    # The built-in tools need the core's wire models: imported on first use, so importing the
    # adapter stays as light as llama-index itself.
    if name in _SERVER_TOOLS:
        from . import _server_tools

        return getattr(_server_tools, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
