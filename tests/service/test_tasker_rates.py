"""A floor that rises above a tasker's rate in one region lifts that region's rate, and only that
region's, now or when it takes effect; a floor that comes down undoes the lift (use cases and the
tasker-rates worker on SQLite, no HTTP)."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.taskers.models import TaskerRegion, TaskerRegionRate, TaskerSkill
from marketplace.taskers.rates import Lift, raise_rates_to_floors
from marketplace.taskers.skills import SkillSpec, put_skill, set_skills, skills_view
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


def skill_rate(platform, tasker_id) -> int:
    with platform.uow() as uow:
        return uow.session.get_one(TaskerSkill, (tasker_id, "yard-work")).rate


def region(platform, tasker_id, place) -> TaskerRegionRate | None:
    """The region's own rate, or None where the region follows the skill's rate."""
    with platform.uow() as uow:
        return uow.session.get(TaskerRegionRate, (tasker_id, "yard-work", place))


def rates(platform, tasker_id) -> dict[str, tuple]:
    """Per region: (the rate that applies there, raised_from)."""
    with platform.uow() as uow:
        view = skills_view(uow.session, tasker_id)
    return {r["region"]: (r["rate"], r["raised_from"]) for r in view["skills"][0]["rates"]}


def change(platform, place, hourly, effective_from=None, confirmed=False):
    with platform.uow() as uow:
        set_floor(
            uow,
            FloorChange("yard-work", place, "test", {"hourly_floor": hourly}, effective_from, confirmed),
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


def test_a_rising_floor_lifts_the_rate_of_its_own_region_only_and_says_so(platform):
    tasker = make_tasker(platform, rate=2500)  # floors start at 2400
    change(platform, "springfield", 2450)  # still below the rate: nothing to do
    drain(platform)
    assert rates(platform, tasker) == {"springfield": (2500, None), "riverside": (2500, None)}
    change(platform, "riverside", 2800)
    drain(platform)
    assert rates(platform, tasker) == {"springfield": (2500, None), "riverside": (2800, 2500)}
    lifted = region(platform, tasker, "riverside")
    assert lifted is not None and not lifted.chosen and lifted.raised_at is not None
    assert skill_rate(platform, tasker) == 2500 and region(platform, tasker, "springfield") is None


def test_a_scheduled_rise_lifts_the_rate_only_when_it_takes_effect(platform):
    tasker = make_tasker(platform, rate=2500)
    when = utcnow() + timedelta(days=2)
    change(platform, "springfield", 3000, effective_from=when)
    drain(platform)
    assert rates(platform, tasker)["springfield"] == (2500, None)
    with platform.uow() as uow:  # what the worker's idle sweep does once the time has come
        raised = raise_rates_to_floors(uow, when + timedelta(seconds=1))
        uow.commit()
    assert raised == [Lift(tasker, "yard-work", "springfield", 2500, 3000)]
    assert rates(platform, tasker) == {"springfield": (3000, 2500), "riverside": (2500, None)}


def test_a_floor_typo_rolled_back_undoes_the_lift_it_made(platform):
    """The reproduction: floors set yard-work springfield hourly_floor=500000000 raised every
    yard-work tasker to 5,000,000 USD/h, and setting the floor back left them there."""
    tasker = make_tasker(platform, rate=2500)
    change(platform, "springfield", 500_000_00, confirmed=True)  # the typo, confirmed past the sanity bound
    drain(platform)
    assert rates(platform, tasker) == {"springfield": (500_000_00, 2500), "riverside": (2500, None)}
    change(
        platform, "springfield", 2600, confirmed=True
    )  # rolled back (a cut past 3x: confirmed), a little above their rate
    drain(platform)
    assert rates(platform, tasker)["springfield"] == (2600, 2500)
    change(platform, "springfield", 2400)  # and back to where it was: the tasker's own rate again
    drain(platform)
    assert rates(platform, tasker)["springfield"] == (2500, None)
    assert region(platform, tasker, "springfield") is None  # it follows the skill's rate again


def test_a_rate_the_tasker_set_after_a_lift_is_theirs_to_keep(platform):
    tasker = make_tasker(platform, rate=2500)
    change(platform, "springfield", 3000)
    drain(platform)
    with platform.uow() as uow:  # the tasker chooses a rate of their own there after the lift
        set_skills(uow, tasker, ["springfield", "riverside"], [SkillSpec("yard-work", 2500, {"springfield": 3200})])
        uow.commit()
    change(platform, "springfield", 2400)
    drain(platform)
    assert rates(platform, tasker) == {"springfield": (3200, None), "riverside": (2500, None)}
    assert region(platform, tasker, "springfield").chosen


def test_a_lifted_rate_the_tasker_chose_comes_back_down_to_their_choice_not_to_the_skills_rate(platform):
    tasker = make_tasker(platform, rate=2500)
    with platform.uow() as uow:
        put_skill(uow, tasker, SkillSpec("yard-work", 2500, {"riverside": 2700}))
        uow.commit()
    change(platform, "riverside", 2900)
    drain(platform)
    assert rates(platform, tasker)["riverside"] == (2900, 2700)
    change(platform, "riverside", 2400)
    drain(platform)
    assert rates(platform, tasker)["riverside"] == (2700, None) and region(platform, tasker, "riverside").chosen


def test_restating_the_same_rates_keeps_the_lift_and_its_notice(platform):
    tasker = make_tasker(platform, rate=2500)
    change(platform, "riverside", 2800)
    drain(platform)
    with platform.uow() as uow:  # the same skill's rate again, nothing said of riverside: the lift stays
        changes = set_skills(uow, tasker, ["springfield", "riverside"], [SkillSpec("yard-work", 2500)])
        uow.commit()
    assert rates(platform, tasker)["riverside"] == (2800, 2500) and changes.summary == ["Nothing changed."]
