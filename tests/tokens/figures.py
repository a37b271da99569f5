"""A cache-hit call's usage and its cost worked out by hand, shared by the core's and both
adapters' cost tests."""

from __future__ import annotations

from typing import Any

# 1,000 prompt tokens of which 896 from the cache, 300 completion tokens of which 200 reasoning,
# as the service reports them.
CACHE_HIT_USAGE: dict[str, Any] = {
    "prompt_tokens": 1000,
    "completion_tokens": 300,
    "total_tokens": 1300,
    "prompt_cache_hit_tokens": 896,
    "prompt_cache_miss_tokens": 104,
    "completion_tokens_details": {"reasoning_tokens": 200},
}
# A time in the V4 era, before peak hours (2026-06-08 18:45:43 UTC): the ``created`` of the
# adapters' recorded-style replies, at which CACHE_HIT_COST is the price.
V4_ERA_CREATED = 1780944343
# By hand, V4 Flash ($0.0028 hit, $0.14 miss, $0.28 output per 1M tokens):
# 896 x 0.0028 + 104 x 0.14 + 300 x 0.28 = 2.5088 + 14.56 + 84 = 101.0688 per million tokens.
CACHE_HIT_COST = 101.0688e-6
