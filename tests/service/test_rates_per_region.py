"""A tasker's rates per region: a skill's rate for every region, a region's own where the tasker
sets one, a floor's lift per region; the feed and the announcer match each region's rate; and
every change says what it changed. Then, for any sequence of floor changes and skill edits, every
region's rate is the tasker's choice there or the region's floor, whichever is higher (use cases
on SQLite, no HTTP)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.errors import Invalid, NotFound
from marketplace.floors.versions import FloorChange, current_rule, set_floor
from marketplace.network.path import path_view
from marketplace.taskers.models import TaskerRegion, TaskerRegionRate, TaskerSkill
from marketplace.taskers.rates import own_rates_in, raise_rates_to_floors
from marketplace.taskers.skills import SkillSpec, put_skill, remove_skill, set_regions, set_skills, skills_view
from marketplace.tasks.feed import feed, taskers_open_to
from tests.service.test_task_use_cases import priced_and_booked, run
from tests.support import NO_WINDOW


def tasker(platform, email="rita@example.test") -> int:
    with platform.uow() as uow:
        user = create_user(uow.session, email, "correct horse battery", "tasker")
        uow.commit()
        return user.id


def rates_of(platform, tasker_id) -> dict[str, dict[str, int]]:
    """category -> region -> the rate that applies there."""
    with platform.uow() as uow:
        view = skills_view(uow.session, tasker_id)
    return {s["category"]: {r["region"]: r["rate"] for r in s["rates"]} for s in view["skills"]}


def feed_ids(platform, tasker_id) -> set[int]:
    with platform.uow() as uow:
        tasks, _ = feed(uow.session, tasker_id, NO_WINDOW, utcnow(), 1, 100)
        return {t.id for t in tasks}


def announced(platform, task_ids, tasker_id) -> set[int]:
    with platform.uow() as uow:
        rows = uow.session.exec(taskers_open_to(task_ids, NO_WINDOW, utcnow())).all()  # type: ignore[call-overload]
    return {task for task, who in rows if who == tasker_id}


def test_adding_seattle_lifts_only_seattle_and_springfield_tasks_paying_26_stay_in_the_feed(market):
    """The reproduction: adding Seattle forced the rate to 27.00 (Seattle's floor), which hid every
    Springfield task paying 26.00."""
    platform, _, people = market
    rita = tasker(platform)
    run(platform, set_skills, rita, ["springfield"], [SkillSpec("yard-work", 2600)])
    task_id = priced_and_booked(market, offered_rate=2600)
    assert task_id in feed_ids(platform, rita)
    changes = run(platform, set_regions, rita, ["springfield", "seattle"])
    assert rates_of(platform, rita) == {"yard-work": {"springfield": 2600, "seattle": 2700}}
    assert changes.regions_added == ["seattle"] and [(r.region, r.before, r.after) for r in changes.rates] == [
        ("seattle", 2600, 2700)
    ]
    assert any("Seattle, WA" in line and "27.00 USD/h" in line for line in changes.summary)
    assert task_id in feed_ids(platform, rita) and announced(platform, [task_id], rita) == {task_id}
    with platform.uow() as uow:  # the lift in Seattle is a lift: it records what it lifted
        row = uow.session.get_one(TaskerRegionRate, (rita, "yard-work", "seattle"))
        assert (row.chosen, row.raised_from) == (False, 2600)
        skill = uow.session.get_one(TaskerSkill, (rita, "yard-work"))
        assert skill.rate == 2600


def test_a_rate_under_a_regions_floor_is_refused_on_its_field_and_a_regions_own_rate_clears_it(platform):
    rita = tasker(platform)
    with platform.uow() as uow, pytest.raises(Invalid) as refused:
        set_skills(uow, rita, ["springfield", "seattle"], [SkillSpec("yard-work", 2600)])
    (message,) = refused.value.errors["skills"]["0"]["rate"]
    assert "27.00 USD/h" in message and "Seattle, WA" in message and "a rate of its own" in message
    with platform.uow() as uow, pytest.raises(Invalid) as refused:
        set_skills(uow, rita, ["springfield", "seattle"], [SkillSpec("yard-work", 2600, {"seattle": 2650})])
    assert "seattle" in refused.value.errors["skills"]["0"]["region_rates"]
    with platform.uow() as uow, pytest.raises(Invalid) as refused:  # a region's rate only in your regions
        set_skills(uow, rita, ["springfield"], [SkillSpec("yard-work", 2600, {"nyc": 3000})])
    assert "not one of your regions" in refused.value.errors["skills"]["0"]["region_rates"]["nyc"][0]
    changes = run(
        platform, set_skills, rita, ["springfield", "seattle"], [SkillSpec("yard-work", 2600, {"seattle": 2700})]
    )
    assert rates_of(platform, rita) == {"yard-work": {"springfield": 2600, "seattle": 2700}}
    assert changes.skills_added == ["yard-work"] and changes.regions_added == ["seattle", "springfield"]
    assert changes.summary[-1] == "Added Yard work at 26.00 USD/h; in Seattle, WA, 27.00 USD/h."


def test_the_feed_and_the_announcer_match_each_regions_own_rate(market):
    platform, _, _ = market
    rita = tasker(platform)
    run(
        platform,
        set_skills,
        rita,
        ["springfield", "riverside"],
        [SkillSpec("yard-work", 2600, {"springfield": 3000})],
    )
    springfield = priced_and_booked(market, offered_rate=2600)
    riverside = priced_and_booked(market, offered_rate=2600, region="riverside")
    richer = priced_and_booked(market, offered_rate=3000)
    assert feed_ids(platform, rita) == {riverside, richer}
    assert announced(platform, [springfield, riverside, richer], rita) == {riverside, richer}
    with platform.uow() as uow:
        skill = uow.session.get_one(TaskerSkill, (rita, "yard-work"))
        assert own_rates_in(uow.session, "springfield", [skill]) == {(rita, "yard-work"): 3000}
        assert own_rates_in(uow.session, "riverside", [skill]) == {(rita, "yard-work"): 2600}


def test_a_floor_rise_lifts_one_region_and_the_feed_still_shows_what_the_tasker_chose_to_work_for(market):
    platform, _, _ = market
    rita = tasker(platform)
    run(platform, set_skills, rita, ["springfield", "riverside"], [SkillSpec("yard-work", 2500)])
    booked = priced_and_booked(market, offered_rate=2500)  # booked under the old floor
    with platform.uow() as uow:
        set_floor(uow, FloorChange("yard-work", "springfield", "review", {"hourly_floor": 2700}), None, "ops")
        raise_rates_to_floors(uow, utcnow() + timedelta(seconds=1), "yard-work")
        uow.commit()
    assert rates_of(platform, rita) == {"yard-work": {"springfield": 2700, "riverside": 2500}}
    assert booked in feed_ids(platform, rita) and announced(platform, [booked], rita) == {booked}


def test_adding_changing_and_removing_one_skill_each_say_what_they_did(platform):
    rita = tasker(platform)
    run(platform, set_skills, rita, ["springfield", "riverside"], [SkillSpec("yard-work", 2400)])
    added = run(platform, put_skill, rita, SkillSpec("moving-help", 2600, {"riverside": 2800}))
    assert added.skills_added == ["moving-help"] and added.summary == [
        "Added Moving help at 26.00 USD/h; in Riverside, 28.00 USD/h."
    ]
    assert rates_of(platform, rita)["yard-work"] == {"springfield": 2400, "riverside": 2400}  # untouched
    changed = run(platform, put_skill, rita, SkillSpec("moving-help", 2700))
    assert [(r.region, r.before, r.after) for r in changed.rates] == [(None, 2600, 2700), ("riverside", 2800, 2700)]
    assert changed.summary == [
        "Moving help: 27.00 USD/h in your regions without a rate of their own, was 26.00 USD/h.",
        "Moving help in Riverside: 27.00 USD/h, was 28.00 USD/h.",
    ]
    removed = run(platform, remove_skill, rita, "moving-help")
    assert removed.skills_removed == ["moving-help"] and removed.summary == ["Removed Moving help."]
    with pytest.raises(NotFound):
        run(platform, remove_skill, rita, "moving-help")
    with platform.uow() as uow, pytest.raises(Invalid) as refused:
        put_skill(uow, rita, SkillSpec("juggling", 2400))
    assert "category" in refused.value.errors


def test_replacing_everything_says_what_it_replaced(platform):
    rita = tasker(platform)
    run(
        platform,
        set_skills,
        rita,
        ["springfield", "riverside"],
        [SkillSpec("yard-work", 2400, {"riverside": 2600}), SkillSpec("moving-help", 2500)],
    )
    replaced = run(platform, set_skills, rita, ["springfield"], [SkillSpec("yard-work", 2500)])
    assert replaced.skills_removed == ["moving-help"] and replaced.regions_removed == ["riverside"]
    assert "Removed Moving help." in replaced.summary and "Removed the region Riverside." in replaced.summary
    assert "Yard work: 25.00 USD/h in your regions without a rate of their own, was 24.00 USD/h." in replaced.summary
    with platform.uow() as uow:  # nothing is left of riverside's own rate
        assert uow.session.exec(select(TaskerRegionRate).where(col(TaskerRegionRate.tasker_id) == rita)).all() == []


def test_the_path_compares_with_the_rates_the_tasker_really_has(platform):
    """/me said "against 24.00 USD/h, your best rate now" while its own table showed 26.00: the
    comparison used the rate before a floor's lift."""
    rita = tasker(platform)
    run(platform, set_skills, rita, ["springfield"], [SkillSpec("yard-work", 2400)])
    with platform.uow() as uow:
        set_floor(uow, FloorChange("yard-work", "springfield", "review", {"hourly_floor": 2600}), None, "ops")
        raise_rates_to_floors(uow, utcnow() + timedelta(seconds=1))
        uow.commit()
    with platform.uow() as uow:
        path = path_view(uow.session, rita, utcnow())
    mounting = next(s for s in path["categories"] if s["category"] == "mounting")
    assert path["earns_now"] == 2600 and mounting["earns_now"] == 2600 and mounting["difference"] == 3800 - 2600
    assert mounting["floors"] == [
        {"region": "springfield", "hourly_floor": 3800, "earns_now": 2600, "difference": 1200}
    ]


# The property: any sequence of floor changes (each followed by the tasker-rates worker's pass)
# and skill edits leaves every region's rate at the tasker's choice there or the floor, the higher.

CATEGORIES = ["yard-work", "moving-help"]
REGIONS = ["springfield", "riverside", "seattle"]
RATE = st.sampled_from([2000, 2400, 2600, 2700, 2800, 3000, 3500])
REGION_SET = st.lists(st.sampled_from(REGIONS), unique=True, max_size=3)
REGION_RATES = st.dictionaries(st.sampled_from(REGIONS), RATE, max_size=3)
SPEC = st.builds(SkillSpec, st.sampled_from(CATEGORIES), RATE, REGION_RATES)
FLOOR = st.tuples(st.just("floor"), st.sampled_from(CATEGORIES), st.sampled_from(REGIONS), RATE)
STEP = st.one_of(
    FLOOR,
    FLOOR,
    st.tuples(st.just("put_skill"), st.builds(SkillSpec, st.sampled_from(CATEGORIES), RATE)),
    st.tuples(st.just("set_skills"), REGION_SET, st.lists(SPEC, max_size=2, unique_by=lambda s: s.category)),
    st.tuples(st.just("put_skill"), SPEC),
    st.tuples(st.just("remove_skill"), st.sampled_from(CATEGORIES)),
    st.tuples(st.just("set_regions"), REGION_SET),
)
SEQUENCE = itertools.count()


class Model:
    """What the tasker chose: regions, each skill's rate, and each region's own rate they set."""

    def __init__(self):
        self.regions: list[str] = []
        self.rates: dict[str, int] = {}
        self.chosen: dict[tuple[str, str], int] = {}

    def choice(self, category: str, region: str) -> int:
        return self.chosen.get((category, region), self.rates[category])

    def may(self, floor, spec: SkillSpec, regions: list[str]) -> bool:
        """Whether the use cases must accept this skill in these regions."""
        if any(r not in regions or rate < (floor(spec.category, r) or 0) for r, rate in spec.region_rates.items()):
            return False
        same = self.rates.get(spec.category) == spec.rate
        for region in regions:
            if region in spec.region_rates:
                continue
            kept_lift = same and region in self.regions and (spec.category, region) not in self.chosen
            if not kept_lift and spec.rate < (floor(spec.category, region) or 0):
                return False
        return True

    def take(self, spec: SkillSpec) -> None:
        self.rates[spec.category] = spec.rate
        self.chosen = {k: v for k, v in self.chosen.items() if k[0] != spec.category}
        self.chosen.update({(spec.category, r): rate for r, rate in spec.region_rates.items()})


def _floor_in(platform):
    with platform.uow() as uow:
        found = {(c, r): current_rule(uow.session, c, r) for c in CATEGORIES for r in REGIONS}
    return lambda category, region: (rule.hourly_floor if (rule := found[category, region]) else None)


def _stored(platform, tasker_id) -> tuple[list[str], dict[str, dict[str, int]]]:
    with platform.uow() as uow:
        regions = sorted(uow.session.exec(select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == tasker_id)))
    return regions, rates_of(platform, tasker_id)


def _attempt(platform, use_case, *args) -> bool:
    try:
        run(platform, use_case, *args)
    except Invalid:
        return False
    return True


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=8))
def test_no_sequence_of_floor_changes_and_edits_leaves_a_region_under_its_floor(platform, steps):
    rita = tasker(platform, f"rita{next(SEQUENCE)}@example.test")
    model = Model()
    start = [SkillSpec("yard-work", 2800), SkillSpec("moving-help", 3000, {"riverside": 2600})]
    for step in [("set_skills", ["springfield", "riverside"], start), *steps]:
        floor = _floor_in(platform)
        before = _stored(platform, rita)[1]
        if step[0] == "floor":
            _, category, region, hourly = step
            hourly = max(hourly, 2700) if region == "seattle" else hourly  # its legal minimum
            with platform.uow() as uow:
                set_floor(
                    uow, FloorChange(category, region, "sequence", {"hourly_floor": hourly}, None, True), None, "t"
                )
                uow.commit()
            with platform.uow() as uow:  # what the tasker-rates worker does on the floor's event
                raise_rates_to_floors(uow, utcnow() + timedelta(seconds=1), category)
                uow.commit()
            after = _stored(platform, rita)[1]
            for cat, places in after.items():  # a rise moves that region's rate only
                for place, rate in places.items():
                    if (cat, place) != (category, region):
                        assert rate == before[cat][place], (step, cat, place)
        elif step[0] == "set_skills":
            _, regions, specs = step
            ok = all(model.may(floor, s, regions) for s in specs)
            assert _attempt(platform, set_skills, rita, regions, specs) == ok, step
            if ok:
                model.regions, model.rates, model.chosen = list(regions), {}, {}
                for spec in specs:
                    model.take(spec)
        elif step[0] == "put_skill":
            spec = step[1]
            ok = model.may(floor, spec, model.regions)
            assert _attempt(platform, put_skill, rita, spec) == ok, step
            if ok:
                model.take(spec)
        elif step[0] == "remove_skill":
            category = step[1]
            try:
                run(platform, remove_skill, rita, category)
            except NotFound:
                assert category not in model.rates
            else:
                del model.rates[category]
                model.chosen = {k: v for k, v in model.chosen.items() if k[0] != category}
        else:
            regions = step[1]
            run(platform, set_regions, rita, regions)
            model.chosen = {k: v for k, v in model.chosen.items() if k[1] in regions}
            model.regions = list(regions)
        floor = _floor_in(platform)
        regions, stored = _stored(platform, rita)
        assert regions == sorted(model.regions)
        assert stored == {
            category: {region: max(model.choice(category, region), floor(category, region) or 0) for region in regions}
            for category in model.rates
        }, step
