"""Regions' local time, on the two weekends a year the clocks change: the 24 h cancellation rule and
the start window stay 24 elapsed hours (the local clock time of the boundary moves by an hour),
a wall-clock time the clocks skip is refused, and one that happens twice is the first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.floors.zones import LocalTimeError, day_bounds, from_local, label, local_day, month_days
from marketplace.tasks.lifecycle import cancellation_terms, free_cancellation_ends, start_window
from marketplace.tasks.models import Task, TaskStatus

SEATTLE = ZoneInfo("America/Los_Angeles")


def _accepted(starts_at: datetime) -> Task:
    return Task(
        id=1,
        client_id=1,
        category="yard-work",
        region="seattle",
        title="t",
        estimated_minutes=60,
        starts_at=starts_at,
        status=TaskStatus.accepted,
        tasker_id=2,
    )


@pytest.mark.parametrize(
    ("start_local", "boundary_local"),
    [
        # Spring forward: 2026-03-08 02:00 PST becomes 03:00 PDT. 24 h before Sunday 10:00 PDT is
        # Saturday 09:00 PST on the clock (10:00 would be only 23 h before).
        (datetime(2026, 3, 8, 10, 0), "2026-03-07 09:00 PST"),
        # Fall back: 2026-11-01 02:00 PDT becomes 01:00 PST. 24 h before Sunday 10:00 PST is
        # Saturday 11:00 PDT (10:00 would be 25 h before).
        (datetime(2026, 11, 1, 10, 0), "2026-10-31 11:00 PDT"),
    ],
)
def test_free_cancellation_ends_24_elapsed_hours_before_the_start(start_local, boundary_local):
    task = _accepted(from_local(start_local, SEATTLE))
    ends = free_cancellation_ends(task)
    assert task.starts_at - ends == timedelta(hours=24)
    assert label(ends, SEATTLE) == boundary_local
    fee_due, policy = cancellation_terms(task, ends - timedelta(minutes=1), tz=SEATTLE)
    assert not fee_due and policy.endswith(f"free until {boundary_local}.")
    assert cancellation_terms(task, ends + timedelta(minutes=1), tz=SEATTLE)[0]
    # The naive reading, "the same clock time the day before", would get it wrong by an hour:
    same_clock = from_local(start_local - timedelta(days=1), SEATTLE)
    assert abs(same_clock - ends) == timedelta(hours=1)


def test_the_start_window_is_elapsed_time_across_the_change():
    task = _accepted(from_local(datetime(2026, 3, 8, 1, 0), SEATTLE))  # 01:00 PST, an hour before the change
    opens, closes = start_window(task)
    assert label(opens, SEATTLE) == "2026-03-07 23:00 PST"
    assert label(closes, SEATTLE) == "2026-03-09 02:00 PDT"  # 24 h later, the clock says 02:00
    assert closes - task.starts_at == timedelta(hours=24)


def test_wall_clock_times_the_clocks_skip_or_repeat():
    with pytest.raises(LocalTimeError, match="does not exist"):
        from_local(datetime(2026, 3, 8, 2, 30), SEATTLE)
    first = from_local(datetime(2026, 11, 1, 1, 30), SEATTLE)
    assert first == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert label(first, SEATTLE) == "2026-11-01 01:30 PDT"
    with pytest.raises(LocalTimeError):
        from_local(datetime(9999, 12, 31, 23, 59), SEATTLE)  # past the calendar in UTC
    with pytest.raises(LocalTimeError):
        from_local(datetime(2026, 1, 1, tzinfo=UTC), SEATTLE)


def test_local_days_last_23_or_25_hours_on_the_change_weekends():
    spring = day_bounds(date(2026, 3, 8), date(2026, 3, 8), SEATTLE)
    autumn = day_bounds(date(2026, 11, 1), date(2026, 11, 1), SEATTLE)
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    assert local_day(datetime(2026, 11, 2, 7, 59, tzinfo=UTC), SEATTLE) == date(2026, 11, 1)
    assert local_day(datetime(2026, 11, 2, 8, 0, tzinfo=UTC), SEATTLE) == date(2026, 11, 2)


def test_months():
    assert month_days("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_days("2100-12") == (date(2100, 12, 1), date(2100, 12, 31))
    for bad in ("2026-13", "26-01", "9999-12", "", "2026-1x"):
        with pytest.raises(ValueError):
            month_days(bad)
