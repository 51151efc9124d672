"""Issue 31, the clocks: every time a person reads is on the region's clock with the zone named,
and a zone is named as people name it ("Eastern time (EST)", never "America/New_York")."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.accounts.users import create_user
from marketplace.bootstrap import bootstrap
from marketplace.errors import Invalid
from marketplace.floors.zones import zone_name
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.posting import post_task
from tests.conftest import settings_for
from tests.service.test_task_use_cases import draft
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, seeded


def test_zones_are_named_as_people_name_them():
    winter, summer = datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    assert zone_name("America/New_York", winter) == "Eastern time (EST)"
    assert zone_name("America/New_York", summer) == "Eastern time (EDT)"
    assert zone_name("America/Chicago", winter) == "Central time (CST)"
    assert zone_name("Europe/Lisbon", winter) == "Lisbon time (WET)"
    assert zone_name("UTC", winter) == "UTC"


def test_the_region_pages_name_the_zone_in_words(client):
    page = client.get("/prices/nyc").get_data(as_text=True)
    assert "Eastern time (E" in page and "America/New_York" not in page and "America/New York" not in page


def test_the_completion_error_names_the_start_on_the_regions_clock(sqlite_template, tmp_path):
    path = tmp_path / "floorboard.db"
    shutil.copy(sqlite_template, path)
    platform = seeded(bootstrap(settings_for(f"sqlite:///{path}", priority_window=NO_WINDOW)))
    pipeline = Pipeline(platform, ["pricing"])
    try:
        with platform.uow() as uow:
            cara = create_user(uow.session, "cara@example.test", "correct horse battery", "client")
            ann = create_user(uow.session, "ann@example.test", "correct horse battery", "tasker")
            set_skills(uow, ann.id, ["springfield"], [SkillSpec("yard-work", 2400)])
            uow.commit()
        with platform.uow() as uow:
            task_id = post_task(uow, uow.session.get(type(cara), cara.id).id, draft()).id
            uow.commit()
        pipeline.drain()
        book(platform, task_id)
        for step in (
            lambda uow, a: accept_task(uow, a, task_id, NO_WINDOW),
            lambda uow, a: start_task(uow, a, task_id, ANY_TIME),
        ):
            with platform.uow() as uow:
                step(uow, uow.session.get(type(ann), ann.id))
                uow.commit()
        with platform.uow() as uow, pytest.raises(Invalid) as refused:
            complete_task(uow, uow.session.get(type(ann), ann.id), task_id, 600, "", timedelta(hours=72), timedelta(0))
        [said] = refused.value.errors["minutes_worked"]
        assert " UTC" not in said and ("CST)" in said or "CDT)" in said), said  # Springfield: America/Chicago
    finally:
        pipeline.close()
        platform.close()
