"""Migration 0019 on SQLite and PostgreSQL: a skill whose one rate a floor had lifted gets its own
rate back, each of its regions keeps the lifted figure until the tasker-rates sweep takes every
region down to what its own floor requires; and downgrading folds the regions' rates back into
one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.taskers.rates import raise_rates_to_floors
from marketplace.taskers.skills import SkillSpec, set_regions, set_skills, skills_view
from migrations import downgrade, upgrade
from tests.support import seeded


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_one_lifted_rate_becomes_a_lift_per_region_and_back(database, request, make_platform):
    url = request.getfixturevalue(f"{database}_url")
    platform = seeded(make_platform(url))
    with platform.uow() as uow:
        lifted = create_user(uow.session, "lifted@example.test", "correct horse battery", "tasker").id
        plain = create_user(uow.session, "plain@example.test", "correct horse battery", "tasker").id
        set_skills(uow, lifted, ["springfield"], [SkillSpec("yard-work", 2600), SkillSpec("moving-help", 3000)])
        set_regions(uow, lifted, ["springfield", "seattle"])  # yard-work lifted to 27.00 in seattle
        set_skills(uow, plain, ["springfield"], [SkillSpec("yard-work", 2500)])
        uow.commit()
    platform.close()

    downgrade(url, "0018")
    with platform.engine.connect() as conn:
        rows = conn.execute(text("SELECT tasker_id, category, rate, raised_from FROM tasker_skills")).all()
    assert sorted(tuple(r) for r in rows) == sorted(
        [(lifted, "yard-work", 2700, 2600), (lifted, "moving-help", 3000, None), (plain, "yard-work", 2500, None)]
    )

    upgrade(url, "head")
    with platform.uow() as uow:
        view = {s["category"]: s for s in skills_view(uow.session, lifted)["skills"]}
        assert view["yard-work"]["rate"] == 2600  # the tasker's own, in every region without its own
        assert {r["region"]: (r["rate"], r["raised_from"]) for r in view["yard-work"]["rates"]} == {
            "springfield": (2700, 2600),  # nobody's rate moved in the migration
            "seattle": (2700, 2600),
        }
        raise_rates_to_floors(uow, utcnow() + timedelta(seconds=1))  # the worker's sweep
        uow.commit()
    with platform.uow() as uow:
        view = {s["category"]: s for s in skills_view(uow.session, lifted)["skills"]}
        assert {r["region"]: (r["rate"], r["raised_from"]) for r in view["yard-work"]["rates"]} == {
            "springfield": (2600, None),  # its floor is 24.00: the tasker's own rate again
            "seattle": (2700, 2600),
        }
        assert {r["rate"] for r in view["moving-help"]["rates"]} == {3000}
        assert skills_view(uow.session, plain)["skills"][0]["rates"][0]["rate"] == 2500
    platform.close()
