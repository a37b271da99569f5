"""DeepSeek's published prices over time, in USD per million tokens, each period with its source.

``docs/pricing.md`` lays the same schedule out as a table, with what stayed uncertain.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from ._price_schedule import (
    EVERY_DAY,
    MONDAY_TO_FRIDAY,
    ModelPrice,
    PeakHours,
    PricePeriod,
    PriceSchedule,
)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


_PRICING_PAGE = "https://api-docs.deepseek.com/quick_start/pricing"

SOURCE_2025_DISCOUNT = (
    f"{_PRICING_PAGE} (V3.1 version, read 2026-12-06): standard price UTC 00:30-16:30, discount "
    "price UTC 16:30-00:30 'until 16:00 UTC Time on Sept 5th, 2025'; the discount began "
    "2025-02-26 16:30 UTC (00:30 Beijing on 2025-02-27: techgethub.com and coolwj.com reports "
    "of DeepSeek's notice of 2025-02-26)"
)
SOURCE_2025_09_05 = (
    f"{_PRICING_PAGE} (V3.1 version, read 2026-12-06): 'Starting from 16:00 UTC Time on Sept "
    "5th, 2025, we will apply the following price list and cancel the nighttime discount'"
)
SOURCE_V3_2 = (
    "DeepSeek API news 2025-09-29 (V3.2-Exp, 'API prices drop 50%+, effective immediately'; "
    "as reported by skywork.ai, hour not given, taken as 00:00 UTC); figures from the pricing "
    "page of the V3.2 era (deepseek-wire.md 1.2)"
)
SOURCE_V4 = (
    "https://megalodon.jp/ref/2026-0426-0157-09/https://api-docs.deepseek.com:443/quick_start/"
    "pricing (archived 2026-04-26) and third-party copies up to 2026-07-03 (winbuzzer.com); "
    "deepseek-v4-pro at its discounted rate, made its standard rate"
)
SOURCE_2026_08_16 = (
    f"{_PRICING_PAGE}?model_version=DeepSeek-V4-Pro-0813 (read 2026-12-06): 'peak / off-peak "
    "billing, with off-peak rates at half the peak rates. Peak hours are 01:00 - 04:00 and "
    "06:00 - 10:00 UTC (all other hours are off-peak). The new prices take effect at 16:00 UTC "
    "on August 16, 2026'; figures from the page's later version with the vision model "
    "(?article_id=article_1779470751466) and models.dev PR #4891"
)
SOURCE_2026_08_23 = (
    "weekends off-peak from 2026-08-23 00:00 Beijing time (2026-08-22 16:00 UTC): "
    "feiyang-dev/dsh-usage-plugin v1.10.0 release notes (2026-08-23, third party); the zh-cn "
    "pricing page (https://api-docs.deepseek.com/zh-cn/quick_start/pricing, read 2026-12-06) "
    "says peak hours are Monday to Friday, Chinese public holidays excepted"
)
SOURCE_V4_1 = (
    f"{_PRICING_PAGE} (read 2026-12-06, unchanged as of ?check=20261115): deepseek-flash "
    "off-peak 0.003 / 0.15 / 0.6, peak 0.006 / 0.3 / 1.2; legacy Flash ids 'served by "
    "DeepSeek-V4.1-Flash ... billed at Flash price'; effective 2026-09-10 04:00 UTC per "
    "apidog.com (verified against the page on 2026-09-10; dshworks/dsh-meter 0.5.0 says "
    "2026-09-09 16:00 UTC)"
)

SOURCE_WEB_TOOL_FEES = (
    "https://api-docs.deepseek.com/zh-cn/quick_start/pricing (read 2026-12-06): web search and "
    "URL reading cost 5 CNY per 1,000 successful calls, the same when the model calls them as "
    "the built-in tools, billed from 2026-11-01 00:00 Beijing time (2026-10-31 16:00 UTC); in "
    "USD 0.75 per 1,000 per third-party copies of the English page (dev.to/frankchu, 2026-10; "
    "skills.sh, 2026-11-10)"
)

DEEPSEEK_PRICES_SOURCE = (
    "DeepSeek's Models & Pricing page (https://api-docs.deepseek.com/quick_start/pricing), USD "
    "per 1M tokens, by period: "
    + "; ".join(
        (
            SOURCE_2025_DISCOUNT,
            SOURCE_2025_09_05,
            SOURCE_V3_2,
            SOURCE_V4,
            SOURCE_2026_08_16,
            SOURCE_2026_08_23,
            SOURCE_V4_1,
            SOURCE_WEB_TOOL_FEES,
        )
    )
)
"""Where the default prices come from, and as of when (each period also has its ``source``)."""

DISCOUNT_2025_HOURS = PeakHours.utc("00:30-16:30", weekdays=EVERY_DAY)
"""2025-02-26 to 2025-09-05: the standard price (the "peak") outside the nightly discount."""
PEAK_HOURS_EVERY_DAY = PeakHours.utc("01:00-04:00", "06:00-10:00", weekdays=EVERY_DAY)
"""2026-08-16 16:00 UTC to 2026-08-22 16:00 UTC: peak hours on every day."""
PEAK_HOURS = PeakHours.utc("01:00-04:00", "06:00-10:00", weekdays=MONDAY_TO_FRIDAY)
"""DeepSeek's peak hours since 2026-08-22 16:00 UTC; no holidays by default (DeepSeek publishes
no list: pass the State Council's with ``PriceTable.with_holidays``)."""

_P = ModelPrice

_CHAT_2025 = (_P(0.035, 0.135, 0.55), _P(0.07, 0.27, 1.10))
_REASONER_2025 = (_P(0.035, 0.135, 0.55), _P(0.14, 0.55, 2.19))
_V3_1 = _P(0.07, 0.56, 1.68)
_V3_2 = _P(0.028, 0.28, 0.42)
_V4_FLASH = _P(0.0028, 0.14, 0.28)
_V4_PRO = _P(0.003625, 0.435, 0.87)
_FLASH_AUG = (_P(0.007, 0.22, 0.66), _P(0.014, 0.44, 1.32))
_PRO_AUG = (_P(0.022, 0.66, 1.98), _P(0.044, 1.32, 3.96))
_V4_1_FLASH = (_P(0.003, 0.15, 0.6), _P(0.006, 0.3, 1.2))

DISCOUNT_2025_START = _utc(2025, 2, 26, 16, 30)
V3_1_PRICES_START = _utc(2025, 9, 5, 16)
V3_2_PRICES_START = _utc(2025, 9, 29)
V4_START = _utc(2026, 4, 24)
PEAK_START = _utc(2026, 8, 16, 16)
WEEKDAY_PEAK_START = _utc(2026, 8, 22, 16)
V4_1_START = _utc(2026, 9, 10, 4)
WEB_TOOL_FEES_START = _utc(2026, 10, 31, 16)
WEB_TOOL_FEE = 0.00075
"""USD per successful call of ``deepseek_web_search`` or ``deepseek_read_url``."""


def _peak_periods(prices: tuple[ModelPrice, ModelPrice]) -> tuple[PricePeriod, ...]:
    """The August 2026 peak/off-peak prices: every day first, then weekdays only."""
    off_peak, peak = prices
    return (
        PricePeriod(PEAK_START, off_peak, peak, PEAK_HOURS_EVERY_DAY, SOURCE_2026_08_16),
        PricePeriod(WEEKDAY_PEAK_START, off_peak, peak, PEAK_HOURS, SOURCE_2026_08_23),
    )


_V4_1 = PricePeriod(V4_1_START, _V4_1_FLASH[0], _V4_1_FLASH[1], PEAK_HOURS, SOURCE_V4_1)
_WEB_TOOL_FEES = {"deepseek_web_search": WEB_TOOL_FEE, "deepseek_read_url": WEB_TOOL_FEE}
_V4_1_WEB_TOOLS = PricePeriod(
    WEB_TOOL_FEES_START,
    replace(_V4_1_FLASH[0], tool_call_fees=_WEB_TOOL_FEES),
    replace(_V4_1_FLASH[1], tool_call_fees=_WEB_TOOL_FEES),
    PEAK_HOURS,
    f"{SOURCE_V4_1}; {SOURCE_WEB_TOOL_FEES}",
)


def _legacy(discount: tuple[ModelPrice, ModelPrice]) -> PriceSchedule:
    """deepseek-chat / deepseek-reasoner: V3 and R1, V3.1, V3.2, then V4 Flash and V4.1 Flash
    (the ids are answered by the Flash model of the day and billed as it)."""
    off_peak, standard = discount
    return PriceSchedule(
        (
            PricePeriod(
                DISCOUNT_2025_START, off_peak, standard, DISCOUNT_2025_HOURS, SOURCE_2025_DISCOUNT
            ),
            PricePeriod(V3_1_PRICES_START, _V3_1, source=SOURCE_2025_09_05),
            PricePeriod(V3_2_PRICES_START, _V3_2, source=SOURCE_V3_2),
            PricePeriod(V4_START, _V4_FLASH, source=SOURCE_V4),
            *_peak_periods(_FLASH_AUG),
            _V4_1,
        )
    )


_V4_FLASH_SCHEDULE = PriceSchedule(
    (PricePeriod(V4_START, _V4_FLASH, source=SOURCE_V4), *_peak_periods(_FLASH_AUG), _V4_1)
)

DEFAULT_SCHEDULES: dict[str, PriceSchedule] = {
    "deepseek-chat": _legacy(_CHAT_2025),
    "deepseek-reasoner": _legacy(_REASONER_2025),
    "deepseek-v4-flash": _V4_FLASH_SCHEDULE,
    # Released 2026-08-21 at the Flash price; the earlier periods never price a real call.
    "deepseek-v4-flash-vision-exp": _V4_FLASH_SCHEDULE,
    # Only deepseek-flash runs the built-in web tools (the registry refuses them elsewhere).
    "deepseek-flash": PriceSchedule((_V4_1, _V4_1_WEB_TOOLS)),
    "deepseek-v4-pro": PriceSchedule(
        (PricePeriod(V4_START, _V4_PRO, source=SOURCE_V4), *_peak_periods(_PRO_AUG))
    ),
}
"""DeepSeek's prices by model id over time (built-in tool fees on deepseek-flash from
2026-11-01 Beijing time)."""
