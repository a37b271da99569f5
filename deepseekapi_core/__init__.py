"""A thin, typed core for the DeepSeek chat-completions API, on httpx and pydantic.

What a user of the core writes: the clients and their options, the wire models, the errors, the
model registry, the image helpers, the accounting entry points and the emulator. Everything is
also in its concept's subpackage, with the rest of that concept:

* :mod:`deepseekapi_core.http`: clients, options, retries, SSE, deadlines, every error class;
* :mod:`deepseekapi_core.wire`: request and response models, the model registry, the
  reasoner's rules, messages and images;
* :mod:`deepseekapi_core.tools`: tool specs and choice, tool-call parsing and recovery;
* :mod:`deepseekapi_core.accounting`: tokenizer, prices, usage totals, the concurrency
  limiter, the pre-flight context check;
* :mod:`deepseekapi_core.testing`: the offline emulator and its pytest plugin;
* :mod:`deepseekapi_core.cli`: the ``deepseekapi`` command and its demo.

``deepseekapi_core._adapters`` is the private support the LangChain and LlamaIndex adapters
share; it is outside semver. Nothing here imports an agent framework.

Importing the package is cheap: each name is imported on first use
(``deepseekapi_core.DeepSeekClient`` brings httpx and pydantic with it).
"""

from ._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, __file__)
