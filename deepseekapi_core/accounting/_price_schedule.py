"""Prices that change with the date and the hour of the day.

A model's price is a :class:`PriceSchedule`: a sequence of :class:`PricePeriod`, each in force
from its ``start`` (UTC, inclusive) until the next one starts. Within a period the price may
differ by the hour: ``peak`` applies in the period's :class:`PeakHours` (daily UTC time spans, on
some weekdays, except holidays) and ``price`` at every other hour. A period without peak hours,
like a bare :class:`ModelPrice`, charges the same at all hours.

Which price applied is read at the moment the call was answered (the reply's ``created``), so a
call is billed as the service bills it even when it is priced later.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import Any, Literal

from ..http._errors import InvalidRequestError

PriceWindow = Literal["peak", "off_peak"]
"""Which of a period's two prices applied: in its peak hours or outside them."""

EVERY_DAY = frozenset(range(7))
"""Every weekday (Monday is 0, as :meth:`datetime.weekday` counts)."""
MONDAY_TO_FRIDAY = frozenset(range(5))
"""Monday to Friday."""

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def utc_moment(at: datetime | float | None, *, param: str = "at") -> datetime:
    """``at`` as an aware UTC datetime: a datetime with a time zone, or unix seconds (what a
    reply's ``created`` holds); None is now. A naive datetime is refused: UTC or local time?"""
    if at is None:
        return datetime.now(timezone.utc)
    if type(at) is datetime and at.tzinfo is timezone.utc:
        return at  # already what is asked for: a reply is priced through four calls of this
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidRequestError(
                f"{param} must carry a time zone (e.g. tzinfo=timezone.utc); a naive datetime "
                f"could be UTC or local time, got {at!r}",
                param=param,
            )
        return at.astimezone(timezone.utc)
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise InvalidRequestError(
            f"{param} must be a datetime or unix seconds, got {at!r}", param=param
        )
    try:
        return datetime.fromtimestamp(at, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise InvalidRequestError(f"{param} is not a time: {at!r}", param=param) from None


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InvalidRequestError(
            f"price {name} must be a number >= 0 (per million tokens), got {value!r}",
            param=name,
        )
    return value


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model per million tokens, and fees per built-in tool call.

    ``tool_call_fees`` maps a built-in tool's name (``deepseek_web_search``,
    ``deepseek_read_url``) to what one call of it costs, in the table's currency; a tool not
    listed has no known fee (its calls are counted but not priced).
    """

    input_cache_hit: float
    input_cache_miss: float
    output: float
    tool_call_fees: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name in ("input_cache_hit", "input_cache_miss", "output"):
            _number(name, getattr(self, name))
        fees = self.tool_call_fees
        if not isinstance(fees, Mapping):
            raise InvalidRequestError(
                f"tool_call_fees must map tool names to fees, got {fees!r}", param="tool_call_fees"
            )
        for tool, fee in fees.items():
            if not isinstance(tool, str) or not tool:
                raise InvalidRequestError(
                    f"tool_call_fees keys must be tool names, got {tool!r}", param="tool_call_fees"
                )
            if isinstance(fee, bool) or not isinstance(fee, int | float) or not fee >= 0:
                raise InvalidRequestError(
                    f"the fee of one {tool} call must be a number >= 0, got {fee!r}",
                    param="tool_call_fees",
                )
        # A read-only copy: the price is frozen, and a caller's dict may change later.
        object.__setattr__(self, "tool_call_fees", MappingProxyType(dict(fees)))


def _clock(text: str, span: str) -> time:
    hours, sep, minutes = text.strip().partition(":")
    try:
        if not sep or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise InvalidRequestError(
            f"peak hours must be spans like '01:00-04:00' (UTC), got {span!r}", param="peak_hours"
        ) from None


@dataclass(frozen=True)
class PeakHours:
    """When a period's peak price applies: daily UTC spans, on some weekdays, except holidays.

    Each span is ``(start, end)``: ``start`` inclusive, ``end`` exclusive; a span whose end is
    before its start wraps past midnight and belongs to the day it starts on (for its weekday
    and holiday). Holidays are UTC dates; for DeepSeek's peak hours (09:00-18:00 in Beijing,
    01:00-10:00 UTC) the UTC date is the Beijing date.
    """

    spans: tuple[tuple[time, time], ...]
    weekdays: frozenset[int] = EVERY_DAY
    holidays: frozenset[date] = frozenset()

    @classmethod
    def utc(
        cls,
        *spans: str,
        weekdays: Iterable[int] = EVERY_DAY,
        holidays: Iterable[date] = (),
    ) -> PeakHours:
        """Peak hours from spans written ``"HH:MM-HH:MM"`` (UTC)."""
        parsed = []
        for span in spans:
            start, sep, end = span.partition("-")
            if not sep:
                _clock("", span)
            parsed.append((_clock(start, span), _clock(end, span)))
        return cls(tuple(parsed), frozenset(weekdays), frozenset(holidays))

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", tuple(self.spans))
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not self.spans:
            raise InvalidRequestError("peak hours need at least one span", param="peak_hours")
        for start, end in self.spans:
            if not isinstance(start, time) or not isinstance(end, time) or start == end:
                raise InvalidRequestError(
                    f"a peak span must be two different times of day, got {(start, end)!r}",
                    param="peak_hours",
                )
            if start.tzinfo is not None or end.tzinfo is not None:
                raise InvalidRequestError(
                    "peak spans are UTC times of day without a time zone", param="peak_hours"
                )
        if not self.weekdays <= EVERY_DAY:
            raise InvalidRequestError(
                f"weekdays are 0 (Monday) to 6 (Sunday), got {sorted(self.weekdays)!r}",
                param="weekdays",
            )
        if not all(type(day) is date for day in self.holidays):
            raise InvalidRequestError("holidays must be dates", param="holidays")

    def includes(self, at: datetime | float) -> bool:
        """Whether the peak price applies at ``at``."""
        moment = utc_moment(at)
        clock = moment.time()
        for start, end in self.spans:
            if start < end:
                day = moment.date() if start <= clock < end else None
            elif clock >= start:
                day = moment.date()
            elif clock < end:
                day = moment.date() - timedelta(days=1)  # the span began the day before
            else:
                day = None
            if day is not None and day.weekday() in self.weekdays and day not in self.holidays:
                return True
        return False

    def with_holidays(self, days: Iterable[date]) -> PeakHours:
        """These peak hours with ``days`` added to the holidays (off-peak all day)."""
        return PeakHours(self.spans, self.weekdays, self.holidays | frozenset(days))

    def describe(self) -> str:
        """``01:00-04:00, 06:00-10:00 UTC, Mon-Fri, except 3 holidays``."""
        spans = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.spans) + " UTC"
        if self.weekdays == MONDAY_TO_FRIDAY:
            spans += ", Mon-Fri"
        elif self.weekdays != EVERY_DAY:
            spans += ", " + "/".join(_DAY_NAMES[d] for d in sorted(self.weekdays))
        if self.holidays:
            spans += f", except {len(self.holidays)} holidays"
        return spans


SINCE_EVER = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""The start of a period meant to cover every call (a proxy's own flat price)."""


@dataclass(frozen=True)
class PricePeriod:
    """Prices in force from ``start`` (UTC, inclusive) until the next period of the schedule.

    ``price`` applies at every hour, except in ``peak_hours`` where ``peak`` applies (both or
    neither are given). ``source`` says where the figures come from, and as of when.
    """

    start: datetime
    price: ModelPrice
    peak: ModelPrice | None = None
    peak_hours: PeakHours | None = None
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc_moment(self.start, param="start"))
        if (self.peak is None) != (self.peak_hours is None):
            raise InvalidRequestError(
                "a period's peak price and peak hours go together: give both or neither",
                param="peak",
            )

    def price_at(self, at: datetime | float) -> tuple[ModelPrice, PriceWindow | None]:
        """The price at ``at`` and which window it belongs to (None: the period has one)."""
        if self.peak is None or self.peak_hours is None:
            return self.price, None
        if self.peak_hours.includes(at):
            return self.peak, "peak"
        return self.price, "off_peak"

    def with_holidays(self, days: Iterable[date]) -> PricePeriod:
        """This period with ``days`` off-peak all day (no change without peak hours)."""
        if self.peak_hours is None:
            return self
        hours = self.peak_hours.with_holidays(days)
        return PricePeriod(self.start, self.price, self.peak, hours, self.source)


@dataclass(frozen=True)
class PriceSchedule:
    """A model's prices over time: periods by start; before the first one, no price."""

    periods: tuple[PricePeriod, ...]

    def __post_init__(self) -> None:
        periods = tuple(sorted(self.periods, key=lambda p: p.start))
        if not periods:
            raise InvalidRequestError("a price schedule needs at least one period", param="periods")
        starts = [p.start for p in periods]
        if len(set(starts)) != len(starts):
            raise InvalidRequestError(
                "two periods of a price schedule start at the same time", param="periods"
            )
        object.__setattr__(self, "periods", periods)

    @classmethod
    def always(
        cls,
        price: ModelPrice,
        peak: ModelPrice | None = None,
        peak_hours: PeakHours | None = None,
        source: str = "",
    ) -> PriceSchedule:
        """One period covering every call."""
        return cls((PricePeriod(SINCE_EVER, price, peak, peak_hours, source),))

    def period_at(self, at: datetime | float) -> PricePeriod | None:
        """The period in force at ``at`` (None before the first one starts)."""
        moment = utc_moment(at)
        index = bisect.bisect_right(self.periods, moment, key=lambda p: p.start) - 1
        return self.periods[index] if index >= 0 else None

    def price_at(self, at: datetime | float) -> tuple[ModelPrice, PriceWindow | None] | None:
        """The price at ``at`` and its window, or None before the first period."""
        period = self.period_at(at)
        return period.price_at(at) if period is not None else None

    def with_holidays(self, days: Iterable[date]) -> PriceSchedule:
        """This schedule with ``days`` off-peak all day in every period with peak hours."""
        days = frozenset(days)
        return PriceSchedule(tuple(p.with_holidays(days) for p in self.periods))
