"""LlamaIndex integration for DeepSeek models, at the path LlamaIndex users import
integrations from: ``from llama_index.llms.deepseekapi import DeepSeekAPI``.

The same objects as :mod:`llama_index_deepseekapi` (which holds the code). ``llama_index`` and
``llama_index.llms`` are namespace packages shared with llama-index and its integrations, so
this distribution ships no ``__init__.py`` in them.
"""

from __future__ import annotations

from llama_index_deepseekapi import DeepSeekAPI, DeepSeekCostHandler, deepseek_tokenizer

__all__ = ["DeepSeekAPI", "DeepSeekCostHandler", "deepseek_tokenizer"]
