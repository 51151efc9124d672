"""A floor that rises above a tasker's own rate raises the rate, now or when it takes effect, and a
floor that comes down undoes the raise (use cases and the tasker-rates worker on SQLite, no HTTP)."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.taskers.rates import raise_rates_to_floors
from workers import tasker_rates


def make_tasker(platform, rate: int) -> int:
    with platform.uow() as uow:
        tasker = create_user(uow.session, "t@example.test", "a long password", "tasker")
        uow.session.add_all(
            [
                TaskerRegion(tasker_id=tasker.id, region="springfield"),
                TaskerRegion(tasker_id=tasker.id, region="riverside"),
                TaskerSkill(tasker_id=tasker.id, category="yard-work", rate=rate),
            ]
        )
        uow.commit()
        return tasker.id


def skill(platform, tasker_id) -> TaskerSkill:
    with platform.uow() as uow:
        return uow.session.get(TaskerSkill, (tasker_id, "yard-work"))


def change(platform, region, hourly, effective_from=None, confirmed=False):
    with platform.uow() as uow:
        set_floor(
            uow,
            FloorChange("yard-work", region, "test", {"hourly_floor": hourly}, effective_from, confirmed),
            None,
            "test",
        )
        uow.commit()


def drain(platform):
    runner = tasker_rates.build(platform)
    try:
        while runner.run_once(timeout_s=0.1):
            pass
    finally:
        runner.close()


def test_a_rising_floor_raises_a_rate_below_it_and_says_so(platform):
    tasker = make_tasker(platform, rate=2500)  # floors start at 2400
    change(platform, "springfield", 2450)  # still below the rate: nothing to do
    drain(platform)
    assert (skill(platform, tasker).rate, skill(platform, tasker).raised_from) == (2500, None)
    change(platform, "riverside", 2800)  # the highest floor among the tasker's regions binds
    drain(platform)
    s = skill(platform, tasker)
    assert (s.rate, s.raised_from) == (2800, 2500) and s.raised_at is not None


def test_a_scheduled_rise_raises_the_rate_only_when_it_takes_effect(platform):
    tasker = make_tasker(platform, rate=2500)
    when = utcnow() + timedelta(days=2)
    change(platform, "springfield", 3000, effective_from=when)
    drain(platform)
    assert skill(platform, tasker).rate == 2500
    with platform.uow() as uow:  # what the worker's idle sweep does once the time has come
        raised = raise_rates_to_floors(uow, when + timedelta(seconds=1))
        uow.commit()
    assert [s.rate for s in raised] == [3000] and skill(platform, tasker).raised_from == 2500


def test_a_floor_typo_rolled_back_undoes_the_raise_it_made(platform):
    """The reproduction: floors set yard-work springfield hourly_floor=500000000 raised every
    yard-work tasker to 5,000,000 USD/h, and setting the floor back left them there."""
    tasker = make_tasker(platform, rate=2500)
    change(platform, "springfield", 500_000_00, confirmed=True)  # the typo, confirmed past the sanity bound
    drain(platform)
    assert (skill(platform, tasker).rate, skill(platform, tasker).raised_from) == (500_000_00, 2500)
    change(platform, "springfield", 2600)  # rolled back, to a little above the tasker's own rate
    drain(platform)
    assert (skill(platform, tasker).rate, skill(platform, tasker).raised_from) == (2600, 2500)
    change(platform, "springfield", 2400)  # and back to where it was: the tasker's own rate again
    drain(platform)
    s = skill(platform, tasker)
    assert (s.rate, s.raised_from, s.raised_at) == (2500, None, None)


def test_a_rate_the_tasker_set_after_a_raise_is_theirs_to_keep(platform):
    from marketplace.taskers.skills import SkillSpec, set_skills

    tasker = make_tasker(platform, rate=2500)
    change(platform, "springfield", 3000)
    drain(platform)
    with platform.uow() as uow:  # the tasker chooses a rate of their own after the raise
        set_skills(uow, tasker, ["springfield", "riverside"], [SkillSpec("yard-work", 3200)])
        uow.commit()
    change(platform, "springfield", 2400)
    drain(platform)
    assert (skill(platform, tasker).rate, skill(platform, tasker).raised_from) == (3200, None)
