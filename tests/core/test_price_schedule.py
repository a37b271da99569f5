"""Prices by date and hour: periods, peak hours (UTC), holidays, the proxy's flat override,
built-in tool fees, and what a cost records beside the amount."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from deepseekapi_core import InvalidRequestError, Usage
from deepseekapi_core.accounting import (
    DEEPSEEK_PRICES_SOURCE,
    ModelPrice,
    PeakHours,
    PricePeriod,
    PriceSchedule,
    PriceTable,
    call_cost,
    default_price_table,
    resolve_price_table,
)
from deepseekapi_core.accounting._price_defaults import DEFAULT_SCHEDULES
from deepseekapi_core.accounting._price_schedule import MONDAY_TO_FRIDAY
from deepseekapi_core.accounting._pricing import PRICES_ENV_VAR
from tests.tokens import figures

USAGE = Usage.model_validate(figures.CACHE_HIT_USAGE)  # 896 hit, 104 miss, 300 out
TABLE = default_price_table()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


def per_million(hit: float, miss: float, out: float) -> float:
    """The cost of USAGE at these prices per million tokens."""
    return (896 * hit + 104 * miss + 300 * out) / 1e6


def priced(model: str, at: datetime) -> tuple[tuple[float, float, float], str | None] | None:
    found = TABLE.price_at(model, at)
    if found is None:
        return None
    price, window = found
    return (price.input_cache_hit, price.input_cache_miss, price.output), window


# ----------------------------------------------------------------------------------------------
# Peak hours


WEEKDAY_PEAK = PeakHours.utc("01:00-04:00", "06:00-10:00", weekdays=MONDAY_TO_FRIDAY)
MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("clock", "peak"),
    [
        (time(0, 59, 59), False),
        (time(1, 0, 0), True),  # the first second of a span is in it
        (time(3, 59, 59), True),
        (time(4, 0, 0), False),  # the end is not
        (time(5, 59, 59), False),
        (time(6, 0, 0), True),
        (time(9, 59, 59, 999999), True),
        (time(10, 0, 0), False),
        (time(23, 0), False),
    ],
)
def test_peak_hours_boundaries_are_exact(clock: time, peak: bool) -> None:
    moment = datetime.combine(MONDAY, clock, tzinfo=timezone.utc)
    assert WEEKDAY_PEAK.includes(moment) is peak
    assert WEEKDAY_PEAK.includes(moment.timestamp()) is peak  # unix seconds read the same


def test_weekends_and_holidays_are_off_peak() -> None:
    saturday, sunday = utc(2026, 12, 12, 2), utc(2026, 12, 13, 7)
    assert not WEEKDAY_PEAK.includes(saturday) and not WEEKDAY_PEAK.includes(sunday)
    every_day = PeakHours.utc("01:00-04:00")
    assert every_day.includes(saturday)
    holiday = WEEKDAY_PEAK.with_holidays([MONDAY])
    assert not holiday.includes(utc(2026, 12, 7, 2))
    assert holiday.includes(utc(2026, 12, 8, 2))  # the next day is a weekday again


def test_a_span_past_midnight_belongs_to_the_day_it_starts() -> None:
    friday_nights = PeakHours.utc("22:00-02:00", weekdays={4})
    assert friday_nights.includes(utc(2026, 12, 11, 22))  # Friday 22:00
    assert friday_nights.includes(utc(2026, 12, 12, 1, 59))  # Saturday 01:59: Friday's span
    assert not friday_nights.includes(utc(2026, 12, 12, 2))
    assert not friday_nights.includes(utc(2026, 12, 11, 1))  # Friday 01:00: Thursday's span
    assert not friday_nights.with_holidays([date(2026, 12, 11)]).includes(utc(2026, 12, 12, 1))


def test_times_in_other_zones_are_read_in_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    assert WEEKDAY_PEAK.includes(datetime(2026, 12, 7, 9, 0, tzinfo=beijing))  # 01:00 UTC
    assert not WEEKDAY_PEAK.includes(datetime(2026, 12, 7, 12, 0, tzinfo=beijing))  # 04:00 UTC
    assert WEEKDAY_PEAK.describe() == "01:00-04:00, 06:00-10:00 UTC, Mon-Fri"


# ----------------------------------------------------------------------------------------------
# DeepSeek's schedule, period by period (docs/pricing.md has the sources)


FLASH_AUG = ((0.007, 0.22, 0.66), (0.014, 0.44, 1.32))
FLASH_SEP = ((0.003, 0.15, 0.6), (0.006, 0.3, 1.2))


@pytest.mark.parametrize(
    ("model", "at", "expected"),
    [
        ("deepseek-chat", utc(2025, 2, 26, 16, 29, 59), None),  # before the first sourced price
        ("deepseek-chat", utc(2025, 2, 26, 16, 30), ((0.035, 0.135, 0.55), "off_peak")),
        ("deepseek-chat", utc(2025, 3, 3, 12), ((0.07, 0.27, 1.10), "peak")),  # standard hours
        ("deepseek-chat", utc(2025, 3, 4, 0, 29), ((0.035, 0.135, 0.55), "off_peak")),
        ("deepseek-chat", utc(2025, 3, 4, 0, 30), ((0.07, 0.27, 1.10), "peak")),
        ("deepseek-reasoner", utc(2025, 3, 3, 12), ((0.14, 0.55, 2.19), "peak")),
        ("deepseek-reasoner", utc(2025, 3, 3, 20), ((0.035, 0.135, 0.55), "off_peak")),
        ("deepseek-chat", utc(2025, 9, 5, 15, 59, 59), ((0.07, 0.27, 1.10), "peak")),
        ("deepseek-chat", utc(2025, 9, 5, 16), ((0.07, 0.56, 1.68), None)),  # discount ends
        ("deepseek-chat", utc(2025, 9, 5, 20), ((0.07, 0.56, 1.68), None)),
        ("deepseek-reasoner", utc(2026, 1, 15), ((0.028, 0.28, 0.42), None)),
        ("deepseek-chat", utc(2026, 4, 24), ((0.0028, 0.14, 0.28), None)),
        ("deepseek-v4-pro", utc(2026, 6, 8, 2), ((0.003625, 0.435, 0.87), None)),
        ("deepseek-v4-flash", utc(2026, 8, 16, 15, 59, 59), ((0.0028, 0.14, 0.28), None)),
        ("deepseek-v4-flash", utc(2026, 8, 16, 16), (FLASH_AUG[0], "off_peak")),
        ("deepseek-v4-flash", utc(2026, 8, 17, 1), (FLASH_AUG[1], "peak")),  # a Monday
        ("deepseek-v4-flash", utc(2026, 8, 22, 2), (FLASH_AUG[1], "peak")),  # Saturday, at first
        ("deepseek-v4-flash", utc(2026, 8, 23, 2), (FLASH_AUG[0], "off_peak")),  # then weekdays
        ("deepseek-v4-pro", utc(2026, 8, 17, 7), ((0.044, 1.32, 3.96), "peak")),
        ("deepseek-v4-flash", utc(2026, 9, 10, 3, 59, 59), (FLASH_AUG[1], "peak")),
        ("deepseek-v4-flash", utc(2026, 9, 10, 4), (FLASH_SEP[0], "off_peak")),  # V4.1 Flash
        ("deepseek-flash", utc(2026, 9, 10, 3, 59, 59), None),  # not yet an id
        ("deepseek-flash", utc(2026, 12, 7, 2), (FLASH_SEP[1], "peak")),
        ("deepseek-flash", utc(2026, 12, 7, 12), (FLASH_SEP[0], "off_peak")),
        ("deepseek-reasoner", utc(2026, 12, 7, 8), (FLASH_SEP[1], "peak")),  # answered by Flash
        ("deepseek-v4-pro", utc(2026, 12, 12, 8), ((0.022, 0.66, 1.98), "off_peak")),  # Saturday
    ],
)
def test_the_default_schedule_picks_the_period_and_window_in_force(
    model: str, at: datetime, expected: tuple[tuple[float, float, float], str | None] | None
) -> None:
    assert priced(model, at) == expected


def test_every_default_period_cites_a_source_with_a_date() -> None:
    for schedule in DEFAULT_SCHEDULES.values():
        for period in schedule.periods:
            assert "20" in period.source and ("http" in period.source or "news" in period.source)
    assert "api-docs.deepseek.com/quick_start/pricing" in DEEPSEEK_PRICES_SOURCE
    assert "2026-08-16" in DEEPSEEK_PRICES_SOURCE or "August 16, 2026" in DEEPSEEK_PRICES_SOURCE


def test_the_peak_price_is_twice_the_off_peak_since_august_2026() -> None:
    peak = call_cost(USAGE, "deepseek-flash", at=utc(2026, 12, 7, 2))
    off_peak = call_cost(USAGE, "deepseek-flash", at=utc(2026, 12, 7, 12))
    assert peak is not None and off_peak is not None
    assert off_peak.total_cost == pytest.approx(per_million(0.003, 0.15, 0.6), abs=1e-15)
    assert peak.total_cost == pytest.approx(2 * off_peak.total_cost, abs=1e-15)


def test_holidays_make_a_weekday_off_peak() -> None:
    national_day = utc(2026, 10, 1, 2)  # a Thursday, in peak hours
    assert priced("deepseek-flash", national_day) == (FLASH_SEP[1], "peak")  # no list by default
    with_holidays = TABLE.with_holidays([date(2026, 10, 1)])
    assert with_holidays.price_at("deepseek-flash", national_day) == (
        with_holidays.price_of("deepseek-flash", utc(2026, 10, 1, 12)),
        "off_peak",
    )
    assert TABLE.price_at("deepseek-flash", national_day) is not None  # the original is unchanged


# ----------------------------------------------------------------------------------------------
# What a cost records


def test_a_cost_records_when_it_was_answered_and_what_served_it() -> None:
    cost = call_cost(
        USAGE,
        "deepseek-chat",
        at=int(utc(2026, 12, 7, 2, 30).timestamp()),
        served_model="deepseek-flash",
        system_fingerprint="fp_1017",
    )
    assert cost is not None
    assert cost.answered_at == utc(2026, 12, 7, 2, 30)
    assert cost.price_window == "peak"
    record = cost.as_dict()
    assert record["answered_at"] == "2026-12-07T02:30:00Z"
    assert record["price_window"] == "peak"
    assert (record["served_model"], record["system_fingerprint"]) == ("deepseek-flash", "fp_1017")
    assert record["model"] == "deepseek-chat"  # the id the request named, which is billed
    assert cost.summary().startswith(f"cost ${cost.total_cost:.8f} at peak price (896 cached")


def test_off_peak_and_flat_prices_do_not_mention_peak() -> None:
    off_peak = call_cost(USAGE, "deepseek-flash", at=utc(2026, 12, 7, 12))
    flat = call_cost(USAGE, "deepseek-chat", at=figures.V4_ERA_CREATED)
    assert off_peak is not None and flat is not None
    assert off_peak.price_window == "off_peak" and "peak" not in off_peak.summary()
    assert flat.price_window is None and flat.as_dict()["price_window"] is None


def test_without_a_time_the_call_is_priced_now() -> None:
    before = datetime.now(timezone.utc)
    cost = call_cost(USAGE, "deepseek-flash")
    assert cost is not None and cost.answered_at is not None
    assert before <= cost.answered_at <= datetime.now(timezone.utc)
    assert cost.as_dict()["served_model"] is None


# ----------------------------------------------------------------------------------------------
# The proxy's own prices


def test_a_flat_price_by_argument_overrides_the_schedule_at_every_hour() -> None:
    table = resolve_price_table({"deepseek-flash": [1, 2, 3]})
    for at in (utc(2026, 12, 7, 2), utc(2026, 12, 7, 12), utc(2020, 1, 1)):
        assert table.price_at("deepseek-flash", at) == (ModelPrice(1, 2, 3), None)
    # Other models keep DeepSeek's schedule.
    assert table.price_at("deepseek-v4-pro", utc(2026, 12, 7, 2)) == TABLE.price_at(
        "deepseek-v4-pro", utc(2026, 12, 7, 2)
    )


def test_a_flat_price_from_the_environment_overrides_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRICES_ENV_VAR, '{"*": [0, 1, 1], "deepseek-flash": [0, 0, 10]}')
    peak = call_cost(USAGE, "deepseek-flash", at=utc(2026, 12, 7, 2))
    anything = call_cost(USAGE, "some-proxy-model", at=utc(2026, 12, 7, 2))
    assert peak is not None and anything is not None
    assert peak.total_cost == pytest.approx(300 * 10 / 1e6) and peak.price_window is None
    assert anything.total_cost == pytest.approx((104 + 300) / 1e6)


def test_the_proxy_may_give_peak_and_off_peak_prices_and_holidays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        PRICES_ENV_VAR,
        '{"deepseek-flash": {"off_peak": [0, 1, 1], "peak": [0, 2, 2]},'
        ' "holidays": ["2026-12-08"]}',
    )
    table = resolve_price_table()
    assert table.price_at("deepseek-flash", utc(2026, 12, 7, 2)) == (ModelPrice(0, 2, 2), "peak")
    assert table.price_at("deepseek-flash", utc(2026, 12, 7, 5)) == (
        ModelPrice(0, 1, 1),
        "off_peak",
    )
    # The holiday reaches DeepSeek's own schedules too.
    assert table.price_at("deepseek-v4-pro", utc(2026, 12, 8, 2))[1] == "off_peak"  # type: ignore[index]


# ----------------------------------------------------------------------------------------------
# Built-in tool fees


FEES = {"deepseek_web_search": 0.00075}
PRICED_TOOLS = PriceTable(prices={"deepseek-flash": ModelPrice(0.0, 0.0, 1.0, FEES)})


def test_tool_fees_add_to_the_cost() -> None:
    cost = PRICED_TOOLS.cost(
        USAGE,
        "deepseek-flash",
        utc(2026, 12, 7),
        builtin_tool_calls={"deepseek_web_search": 3, "deepseek_read_url": 2},
    )
    assert cost is not None
    assert cost.tool_call_cost == pytest.approx(3 * 0.00075)
    assert cost.total_cost == pytest.approx(300 / 1e6 + 3 * 0.00075)
    assert cost.unpriced_tool_calls == ("deepseek_read_url",)
    record = cost.as_dict()
    assert record["builtin_tool_calls"] == {"deepseek_web_search": 3, "deepseek_read_url": 2}
    assert record["tool_call_cost"] == pytest.approx(0.00225)
    assert record["unpriced_tool_calls"] == ["deepseek_read_url"]
    assert record["total_cost"] == pytest.approx(0.00225 + 0.0003)
    summary = cost.summary()
    assert "3 deepseek_web_search calls priced in" in summary
    assert "2 deepseek_read_url calls not priced" in summary


def test_default_tool_fees_price_the_web_tools_and_count_a_tool_without_a_fee() -> None:
    cost = call_cost(
        USAGE,
        "deepseek-flash",
        at=utc(2026, 12, 7, 12),
        builtin_tool_calls={"deepseek_web_search": 1, "deepseek_future_tool": 2},
    )
    without = call_cost(USAGE, "deepseek-flash", at=utc(2026, 12, 7, 12))
    assert cost is not None and without is not None
    assert cost.tool_call_cost == pytest.approx(0.00075)
    assert cost.total_cost == pytest.approx(without.total_cost + 0.00075)
    assert cost.unpriced_tool_calls == ("deepseek_future_tool",)
    assert cost.summary().endswith("; 2 deepseek_future_tool calls not priced")


def test_tool_fees_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        PRICES_ENV_VAR,
        '{"deepseek-flash": {"input_cache_hit": 0, "input_cache_miss": 0, "output": 0,'
        ' "tool_call_fees": {"deepseek_read_url": 0.001}}}',
    )
    cost = call_cost(USAGE, "deepseek-flash", builtin_tool_calls={"deepseek_read_url": 4})
    assert cost is not None and cost.total_cost == pytest.approx(0.004)


# ----------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: PeakHours.utc("1-4"), "spans like '01:00-04:00'"),
        (lambda: PeakHours.utc("01:00"), "spans like"),
        (lambda: PeakHours.utc("25:00-26:00"), "spans like"),
        (lambda: PeakHours.utc("04:00-04:00"), "two different times"),
        (lambda: PeakHours.utc(), "at least one span"),
        (lambda: PeakHours.utc("01:00-02:00", weekdays={7}), "weekdays are 0 \\(Monday\\)"),
        (
            lambda: PricePeriod(utc(2026, 1, 1), ModelPrice(1, 1, 1), peak=ModelPrice(2, 2, 2)),
            "give both or neither",
        ),
        (lambda: PricePeriod(datetime(2026, 1, 1), ModelPrice(1, 1, 1)), "time zone"),
        (lambda: PriceSchedule(()), "at least one period"),
        (
            lambda: PriceSchedule(
                (
                    PricePeriod(utc(2026, 1, 1), ModelPrice(1, 1, 1)),
                    PricePeriod(utc(2026, 1, 1), ModelPrice(2, 2, 2)),
                )
            ),
            "start at the same time",
        ),
        (lambda: ModelPrice(1, 1, 1, {"deepseek_web_search": -1}), "must be a number >= 0"),
        (lambda: ModelPrice(1, 1, 1, {"": 1}), "keys must be tool names"),
        (lambda: TABLE.price_of("deepseek-flash", datetime(2026, 12, 7, 2)), "naive datetime"),
        (lambda: TABLE.price_of("deepseek-flash", "2026-12-07"), "datetime or unix seconds"),  # type: ignore[arg-type]
        (
            lambda: call_cost(USAGE, "deepseek-flash", builtin_tool_calls={"x": -1}),
            "count of x calls must be >= 0",
        ),
        (
            lambda: call_cost(USAGE, "deepseek-flash", builtin_tool_calls={"x": "2"}),  # type: ignore[dict-item]
            "tool names to counts",
        ),
        (lambda: resolve_price_table({"holidays": ["2026-13-01"]}), "a holiday must be a date"),
        (lambda: resolve_price_table({"holidays": "2026-10-01"}), "a list of dates"),
        (
            lambda: resolve_price_table({"deepseek-flash": {"off_peak": [1, 1, 1], "peak": [1]}}),
            "must be \\[input_cache_hit",
        ),
    ],
)
def test_bad_price_input_is_a_clear_error(build: object, problem: str) -> None:
    with pytest.raises(InvalidRequestError, match=problem):
        build()  # type: ignore[operator]


def test_periods_may_be_given_in_any_order() -> None:
    later = PricePeriod(utc(2026, 6, 1), ModelPrice(2, 2, 2))
    earlier = PricePeriod(utc(2026, 1, 1), ModelPrice(1, 1, 1))
    schedule = PriceSchedule((later, earlier))
    assert schedule.periods == (earlier, later)
    assert schedule.period_at(utc(2025, 12, 31)) is None
    assert schedule.period_at(utc(2026, 5, 31, 23, 59, 59)) is earlier
    assert schedule.period_at(utc(2026, 6, 1)) is later
    always = PriceSchedule.always(ModelPrice(1, 1, 1))
    assert always.price_at(0) == (ModelPrice(1, 1, 1), None)


# ----------------------------------------------------------------------------------------------
# The emulator's clock and the totals


def test_the_emulator_answers_at_its_clocks_time() -> None:
    from deepseekapi_core import DeepSeekClient
    from deepseekapi_core.testing import Emulator

    emulator = Emulator()
    emulator.clock = lambda: utc(2026, 12, 7, 2).timestamp()
    hello = [{"role": "user", "content": "hi"}]
    with DeepSeekClient(api_key="sk-test-clock", transport=emulator.transport()) as client:
        reply = client.chat(model="deepseek-flash", messages=hello)
        chunks = list(client.stream_chat(model="deepseek-flash", messages=hello))
    assert reply.created == int(utc(2026, 12, 7, 2).timestamp())
    assert {chunk.created for chunk in chunks} == {reply.created}


def test_usage_totals_include_the_tool_fees() -> None:
    from deepseekapi_core.accounting import UsageTotals

    cost = PRICED_TOOLS.cost(
        USAGE, "deepseek-flash", 0, builtin_tool_calls={"deepseek_web_search": 2}
    )
    assert cost is not None
    totals = UsageTotals()
    totals.add({"prompt_tokens": 1000}, cost.as_dict())
    assert totals.total_cost == pytest.approx(300 / 1e6 + 2 * 0.00075)
    assert totals.cost_by_model == {"deepseek-flash": pytest.approx(totals.total_cost)}
