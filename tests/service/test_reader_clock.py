"""The one rule for the clock a person reads on (marketplace/tasks/reader_clock.py): a tasker's
first region by name, a client's latest task's region, and UTC for an operator or anyone with no
region yet. The letters, the account pages and the console all ask it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.reader_clock import reader_clock, reader_region
from tests.support import seeded


@pytest.fixture
def platform(sqlite_url, make_platform):
    return seeded(make_platform(sqlite_url))


def someone(platform, email: str, role: str) -> int:
    with platform.uow() as uow:
        user = create_user(uow.session, email, "correct horse battery", role)
        uow.commit()
    return user.id


def post(platform, client_id: int, region: str) -> None:
    with platform.uow() as uow:
        post_task(uow, client_id, TaskDraft("yard-work", region, "Rake", "", 60, utcnow() + timedelta(days=3)))
        uow.commit()


def read(platform, user_id: int) -> tuple[str, ZoneInfo]:
    with platform.uow() as uow:
        user = uow.session.get(User, user_id)
        return reader_region(uow.session, user), reader_clock(uow.session, user)


def test_a_tasker_reads_on_their_first_region_by_name(platform):
    tasker = someone(platform, "t@example.test", "tasker")
    assert read(platform, tasker) == ("", ZoneInfo("UTC"))  # no region yet
    with platform.uow() as uow:
        set_skills(uow, tasker, ["springfield", "nyc", "riverside"], [SkillSpec("yard-work", 2500)])
        uow.commit()
    assert read(platform, tasker) == ("nyc", ZoneInfo("America/New_York"))
    with platform.uow() as uow:
        set_skills(uow, tasker, ["springfield", "riverside"], [SkillSpec("yard-work", 2500)])
        uow.commit()
    assert read(platform, tasker) == ("riverside", ZoneInfo("America/Los_Angeles"))


def test_a_client_reads_on_their_latest_tasks_region(platform):
    client = someone(platform, "c@example.test", "client")
    assert read(platform, client) == ("", ZoneInfo("UTC"))  # nothing posted yet
    post(platform, client, "springfield")
    assert read(platform, client) == ("springfield", ZoneInfo("America/Chicago"))
    post(platform, client, "nyc")
    assert read(platform, client) == ("nyc", ZoneInfo("America/New_York"))


def test_an_operator_reads_utc_whatever_rows_carry_their_id(platform):
    """By role: the data-export letter used to read an operator as a client (their latest task's
    region); an operator posts no task through the site, but a row under their id changes nothing."""
    operator = someone(platform, "o@example.test", "operator")
    assert read(platform, operator) == ("", ZoneInfo("UTC"))
    post(platform, operator, "nyc")
    assert read(platform, operator) == ("", ZoneInfo("UTC"))
