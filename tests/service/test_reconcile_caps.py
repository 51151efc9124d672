"""`floorboard payments reconcile` reports a tasker owed or paid more than was captured for the
task less the platform's fees, the overpayment the old completion path allowed."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.payments.ledger import post
from marketplace.payments.models import Payment
from marketplace.payments.reconcile import reconcile
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import seeded


def test_reconcile_reports_a_payout_beyond_captured_less_fees(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url))
    with platform.uow() as uow:
        client = create_user(uow.session, "c@example.test", "correct horse battery", "client")
        task = post_task(
            uow, client.id, TaskDraft("yard-work", "springfield", "t", "", 60, utcnow() + timedelta(days=2))
        )
        uow.session.add(
            Payment(
                task_id=task.id,
                client_id=client.id,
                intent_id="pi_x",
                status="captured",
                amount_authorized=2880,
                amount_captured=2880,
            )
        )
        # What a week claimed on a one-hour booking used to book: 4,032.00 owed on 28.80 captured.
        post(
            uow.session,
            task.id,
            "capture",
            "pi_x",
            {"client": -2880, "tasker_payable": 403_200, "platform_fees": 2880 - 403_200},
        )
        uow.commit()
    found = [d for d in reconcile(platform.uow, platform.gateway) if d.task_id == task.id]
    assert any("beyond captured" in d.what for d in found), found
    with platform.uow() as uow:
        assert uow.session.get(Task, task.id) is not None
