"""The service tests' shared marketplace: a seeded SQLite platform, a client, two taskers who
work yard-work in Springfield at the floor, and the pricing and payments stages driven by hand."""

from __future__ import annotations

import pytest

from marketplace.accounts.users import create_user
from marketplace.payments.models import PayoutAccount
from marketplace.taskers.skills import SkillSpec, set_skills
from tests.support import NO_WINDOW, Pipeline, seeded


@pytest.fixture
def market(sqlite_url, make_platform):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    with platform.uow() as uow:
        people = {
            name: create_user(uow.session, f"{name}@example.test", "correct horse battery", role).id
            for name, role in (("client", "client"), ("ann", "tasker"), ("bob", "tasker"), ("eve", "client"))
        }
        for tasker in ("ann", "bob"):
            set_skills(uow, people[tasker], ["springfield"], [SkillSpec("yard-work", 2400)])
            uow.session.add(PayoutAccount(tasker_id=people[tasker], account_id=f"acct_null_{tasker}"))
        uow.commit()
    pipeline = Pipeline(platform, ["pricing", "payments"])
    yield platform, pipeline, people
    pipeline.close()
