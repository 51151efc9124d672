"""Operators' floors and taskers' skills through the use cases, on SQLite, no HTTP: versions and
their checks, scheduled changes, CSV all or nothing, and rates that never sit below a floor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.errors import Invalid
from marketplace.floors.csv_files import CsvImportError, export_csv, import_floors, parse_floor_csv
from marketplace.floors.history import floor_history
from marketplace.floors.versions import FloorChange, current_rule, rules_in_force, scheduled_changes, set_floor
from marketplace.taskers.skills import SkillSpec, set_skills, skills_view
from pricing import FloorRuleError


def change(platform, category: str, region: str, values: dict, **options):
    with platform.uow() as uow:
        version = set_floor(uow, FloorChange(category, region, "a test", values, **options), None, "test")
        uow.commit()
        return version


def rule(platform, category="yard-work", region="springfield", at=None):
    with platform.uow() as uow:
        return current_rule(uow.session, category, region, at)


def test_a_change_is_a_new_version_with_its_history(platform):
    assert rule(platform).hourly_floor == 2400
    change(platform, "yard-work", "springfield", {"hourly_floor": 2600})
    assert (rule(platform).hourly_floor, rule(platform).version) == (2600, 2)
    with platform.uow() as uow:
        entries = floor_history(uow.session, "yard-work", "springfield")
    newest = entries[0]  # newest first
    assert newest["version"] == 2 and newest["reason"] == "a test"
    assert newest["changes"] == {"hourly_floor": {"old": 2400, "new": 2600}}


def test_a_floor_below_the_legal_minimum_or_past_3x_without_confirm_is_refused(platform):
    with pytest.raises(FloorRuleError) as below:
        change(platform, "yard-work", "seattle", {"hourly_floor": 100})
    assert "hourly_floor" in below.value.errors
    with pytest.raises(FloorRuleError) as typo:
        change(platform, "yard-work", "springfield", {"hourly_floor": 24_000})  # ten times: a typo?
    assert "confirm" in str(typo.value)
    assert rule(platform).version == 1  # nothing was stored
    change(platform, "yard-work", "springfield", {"hourly_floor": 24_000}, confirmed=True)
    assert rule(platform).hourly_floor == 24_000


def test_a_scheduled_change_is_in_force_only_from_its_time(platform):
    later = utcnow() + timedelta(days=2)
    change(platform, "yard-work", "springfield", {"hourly_floor": 3000}, effective_from=later)
    assert rule(platform).hourly_floor == 2400
    assert rule(platform, at=later + timedelta(seconds=1)).hourly_floor == 3000
    with platform.uow() as uow:
        assert rules_in_force(uow.session)["yard-work", "springfield"].hourly_floor == 2400
        assert ("yard-work", "springfield") in scheduled_changes(uow.session)
    with pytest.raises(FloorRuleError):  # a change cannot take effect in the past
        change(platform, "yard-work", "springfield", {"hourly_floor": 3000}, effective_from=utcnow() - timedelta(1))


def test_a_csv_import_applies_every_row_or_none(platform):
    with platform.uow() as uow:
        exported = export_csv(uow.session)
    lines = exported.splitlines()
    header, first = lines[0], lines[1]
    category, region, hourly = first.split(",")[:3]
    raised = first.replace(f",{hourly},", f",{int(hourly) + 100},", 1)
    broken = lines[2].replace(",1500,", ",-5,", 1)  # a negative per-task floor
    with platform.uow() as uow, pytest.raises(CsvImportError) as refused:
        import_floors(uow, parse_floor_csv("\n".join([header, raised, broken]), "a test"), None, "test")
    assert any("line 3" in e for e in refused.value.errors)
    assert rule(platform, category, region).version == 1  # the good row did not land either
    with platform.uow() as uow:
        created, unchanged = import_floors(uow, parse_floor_csv("\n".join(lines), "a test"), None, "test")
        uow.commit()
    assert (created, unchanged) == ([], len(lines) - 1)  # restating the table changes nothing


def test_a_tasker_rate_below_the_floor_or_an_unknown_skill_is_refused(platform):
    with platform.uow() as uow:
        tasker = create_user(uow.session, "t@example.test", "correct horse battery", "tasker")
        uow.commit()
    with platform.uow() as uow, pytest.raises(Invalid) as refused:
        set_skills(uow, tasker.id, ["springfield"], [SkillSpec("yard-work", 2000), SkillSpec("juggling", 3000)])
    assert set(refused.value.errors["skills"]) == {"0", "1"}
    with platform.uow() as uow, pytest.raises(Invalid) as region:
        set_skills(uow, tasker.id, ["atlantis"], [SkillSpec("yard-work", 2400)])
    assert "regions" in region.value.errors
    with platform.uow() as uow:
        set_skills(uow, tasker.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        uow.commit()
    with platform.uow() as uow:
        view = skills_view(uow.session, tasker.id)
    assert view["regions"] == ["springfield"] and view["skills"][0]["rate"] == 2400
