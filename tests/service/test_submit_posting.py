"""One use case posts a task for the web form and the API (marketplace.tasks.posting.submit_posting):
a start without a zone is the region's wall-clock time, a time the clocks skip is refused on its
field, and an idempotency key gives a retry the first task back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from marketplace.clock import utcnow
from marketplace.errors import Invalid
from marketplace.tasks.models import Task
from marketplace.tasks.posting import submit_posting
from tests.service.test_task_use_cases import draft


def test_a_start_without_a_zone_is_the_regions_wall_clock_time(market):
    platform, _, people = market
    wall = (utcnow() + timedelta(days=5)).replace(hour=9, minute=30, second=0, microsecond=0, tzinfo=None)
    task, fresh = submit_posting(platform.uow, people["client"], draft(starts=wall))
    assert fresh
    chicago = wall.replace(tzinfo=ZoneInfo("America/Chicago"))  # Springfield's clock
    assert task.starts_at == chicago.astimezone(timezone.utc)


def test_a_time_the_clocks_skip_is_refused_on_the_start_field(market):
    platform, _, people = market
    year = utcnow().year + 1
    skipped = datetime(year, 3, 8, 2, 30)  # a Sunday in March: find the spring-forward night below
    while not (skipped.month == 3 and skipped.weekday() == 6 and 8 <= skipped.day <= 14):
        skipped += timedelta(days=1)
    with pytest.raises(Invalid) as refused:
        submit_posting(platform.uow, people["client"], draft(starts=skipped))
    assert "does not exist in America/Chicago" in refused.value.errors["starts_at"][0]


def test_a_key_gives_a_retry_the_first_task_and_no_key_posts_each_time(market):
    platform, _, people = market
    start = utcnow() + timedelta(days=3)
    first, fresh = submit_posting(platform.uow, people["client"], draft(starts=start), "key-1")
    again, fresh_again = submit_posting(platform.uow, people["client"], draft(starts=start), "key-1")
    assert fresh and not fresh_again and again.id == first.id
    one, _ = submit_posting(platform.uow, people["client"], draft())
    two, _ = submit_posting(platform.uow, people["client"], draft())
    assert one.id != two.id
    with platform.uow() as uow:
        assert uow.session.get(Task, one.id) is not None
