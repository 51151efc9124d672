"""A claim beyond the booking needs the tasker's reason (issue 31, finding 6): in Seattle a tasker
who worked 51 minutes claimed 61 with no reason, and the claim was accepted. Now the completion is
refused, on its `reason` field, until the tasker says why; within the booking no reason is asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace.errors import Invalid
from marketplace.tasks.lifecycle import complete_task
from marketplace.tasks.models import Adjustment, Task, TaskStatus
from tests.service.test_ruling_minimum import claimed, run, seattle, who  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("seattle")


def test_a_claim_beyond_the_booking_without_a_reason_is_refused_on_its_field(seattle):  # noqa: F811
    platform, _, people = seattle
    with pytest.raises(Invalid) as refused:
        claimed(seattle, reason="   ")
    assert set(refused.value.errors) == {"reason"}
    assert "61 minutes come to more than the 60 the client booked" in refused.value.errors["reason"][0]
    with platform.uow() as uow:
        [task] = uow.session.exec(select(Task)).all()
        assert task.status == TaskStatus.in_progress and uow.session.get(Adjustment, task.id) is None
    # With a reason it is a claim the client answers; within the booking none is asked.
    run(platform, complete_task, who(platform, people["sam"]), task.id, 61, "A second pass on the hedge",
        timedelta(hours=72), timedelta(days=1))  # fmt: skip
    with platform.uow() as uow:
        assert uow.session.get_one(Adjustment, task.id).reason == "A second pass on the hedge"
    within = claimed(seattle, worked=45, reason="")
    with platform.uow() as uow:
        assert uow.session.get_one(Task, within).status == TaskStatus.completed
