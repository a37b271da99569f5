"""Tool calling, once: specs and choice, the forcing rule, parsing calls whole and while they
stream, recovering calls the service leaked into the text, and structured output's rules."""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, __file__)
