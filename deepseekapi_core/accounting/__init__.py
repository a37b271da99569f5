"""What a call costs and may spend: tokens, prices, usage totals, the concurrency limiter and the
pre-flight context check."""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, __file__)
