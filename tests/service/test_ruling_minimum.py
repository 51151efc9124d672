"""The legal minimum outlives every later step of a claim for extra time (issue 31, finding 6).

In Seattle (0.45 USD a minute of engaged time) a tasker books 60 minutes at the floor, 27.00 USD,
and claims 61: the law asks 27.45 USD for them. A ruling for the client (the booked amount) is
refused with those figures; a claim left unanswered does not lapse to the booked amount but waits
for an operator; the compliance report marks the shortfall while the ruling is pending, and is
clean once the operator rules for the tasker. A client who offered more than the floor keeps the
ruling for the client, and Springfield, with no legal minimum, is unaffected."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.errors import Invalid
from marketplace.market.compliance import report
from marketplace.payments.models import Payment, PaymentStatus, PayoutAccount
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.adjustments import (
    dispute_adjustment,
    disputes,
    expire_adjustments,
    resolve_dispute,
    ruling_figures,
)
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task, TaskStatus
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.quotes import quotes_of
from tests.support import ANY_TIME, NO_WINDOW, book

NOW_DUE = timedelta(0)  # the client's time to answer: none, so the claim is due at once


def run(platform, use_case, *args):
    with platform.uow() as uow:
        result = use_case(uow, *args)
        uow.commit()
        return result


def who(platform, user_id: int) -> User:
    with platform.uow() as uow:
        return uow.session.get_one(User, user_id)


@pytest.fixture
def seattle(market):
    """The service tests' marketplace, with Sam, who works yard work in Seattle at its floor, and an operator."""
    platform, pipeline, people = market
    with platform.uow() as uow:
        people["sam"] = create_user(uow.session, "sam@example.test", "correct horse battery", "tasker").id
        people["ops"] = create_user(uow.session, "ops@example.test", "correct horse battery", "operator").id
        set_skills(uow, people["sam"], ["seattle"], [SkillSpec("yard-work", 2700)])
        uow.session.add(PayoutAccount(tasker_id=people["sam"], account_id="acct_null_sam"))
        uow.commit()
    return market


def claimed(
    market,
    region="seattle",
    worked=61,
    elapsed=51,
    answer_within=timedelta(hours=72),
    reason="The hedge needed a second pass",
    **posting,
) -> int:
    """A task of 60 booked minutes, started `elapsed` minutes ago and completed with `worked`."""
    platform, pipeline, people = market
    draft = TaskDraft(
        category="yard-work",
        region=region,
        title="Rake the lawn",
        description="",
        estimated_minutes=60,
        starts_at=utcnow() + timedelta(days=3),
        **posting,
    )
    task_id = run(platform, post_task, people["client"], draft).id
    pipeline.drain()
    book(platform, task_id)
    tasker = who(platform, people["sam" if region == "seattle" else "ann"])
    run(platform, accept_task, tasker, task_id, NO_WINDOW)
    run(platform, start_task, tasker, task_id, ANY_TIME)
    with platform.uow() as uow:  # the start, `elapsed` minutes ago
        task = uow.session.get_one(Task, task_id)
        task.started_at = utcnow() - timedelta(minutes=elapsed)
        uow.session.add(task)
        uow.commit()
    run(platform, complete_task, tasker, task_id, worked, reason, answer_within)
    return task_id


def month_of(platform, task_id) -> str:
    """The month of the task's completion on Seattle's clock (the report's month)."""
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
    return f"{task.completed_at.astimezone(ZoneInfo('America/Los_Angeles')):%Y-%m}"


def test_a_ruling_for_the_client_under_the_legal_minimum_is_refused_with_the_figures(seattle):
    platform, pipeline, people = seattle
    task_id = claimed(seattle)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        claim = uow.session.get_one(Adjustment, task_id)
        figures = ruling_figures(uow.session, task, claim)
    assert (figures.elapsed_minutes, figures.estimated_minutes, figures.claimed_minutes) == (51, 60, 61)
    assert (figures.booked_payout, figures.required, figures.required_rule) == (2700, 2745, "per minute")
    assert figures.client_ruling_short_by == 45 and figures.minimum.per_minute == 45

    run(platform, dispute_adjustment, who(platform, people["client"]), task_id, "It took under an hour")
    pipeline.drain()
    month = month_of(platform, task_id)
    with platform.uow() as uow:  # the booked amount is paid meanwhile: short, with the ruling pending
        [short] = report(uow.session, "seattle", month).shortfalls
    assert (short.task_id, short.payout, short.required, short.shortfall, short.ruling_pending) == (
        task_id,
        2700,
        2745,
        45,
        True,
    )

    operator = who(platform, people["ops"])
    with pytest.raises(Invalid) as refused:
        run(platform, resolve_dispute, operator, task_id, False, "The client is right")
    message = refused.value.message
    for figure in ("27.00 USD", "61 minutes worked", "0.45 USD under", "legal minimum of 27.45 USD", "33.75 USD"):
        assert figure in message, (figure, message)
    assert "decision" in refused.value.errors
    with platform.uow() as uow:
        assert uow.session.get_one(Adjustment, task_id).status == AdjustmentStatus.disputed  # nothing moved

    run(platform, resolve_dispute, operator, task_id, True, "The law asks for the minutes worked")
    pipeline.drain()
    with platform.uow() as uow:
        assert report(uow.session, "seattle", month).clean
        assert uow.session.get_one(Payment, task_id).amount_captured == quotes_of(uow.session, task_id)["final"].total


def test_an_unanswered_claim_under_the_legal_minimum_waits_for_an_operator_instead_of_lapsing(seattle):
    platform, pipeline, people = seattle
    task_id = claimed(seattle, answer_within=NOW_DUE)
    later = utcnow() + timedelta(minutes=1)
    assert run(platform, expire_adjustments, later) == 0
    with platform.uow() as uow:
        assert uow.session.get_one(Adjustment, task_id).status == AdjustmentStatus.pending
        assert uow.session.get_one(Task, task_id).status == TaskStatus.awaiting_approval
        [waiting] = disputes(uow.session, later)
    assert waiting.task.id == task_id and waiting.unanswered and waiting.figures.client_ruling_short_by == 45

    operator = who(platform, people["ops"])
    with pytest.raises(Invalid):
        run(platform, resolve_dispute, operator, task_id, False, "No answer from the client")
    run(platform, resolve_dispute, operator, task_id, True, "The law asks for the minutes worked")
    pipeline.drain()
    month = month_of(platform, task_id)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        payment = uow.session.get_one(Payment, task_id)
        final = quotes_of(uow.session, task_id)["final"]
        assert task.status == TaskStatus.completed and final.payout == 3375
        assert payment.status == PaymentStatus.captured and payment.amount_captured == final.total
        assert uow.session.get_one(Adjustment, task_id).status == AdjustmentStatus.upheld
        assert report(uow.session, "seattle", month).clean
        assert disputes(uow.session, later) == []


def test_where_the_booking_pays_the_minimum_the_client_may_win_and_a_claim_lapses(seattle):
    platform, pipeline, people = seattle
    generous = claimed(seattle, offered_rate=3000)  # 30.00 USD for the hour booked: over 27.45
    run(platform, dispute_adjustment, who(platform, people["client"]), generous, "One hour was agreed")
    operator = who(platform, people["ops"])
    run(platform, resolve_dispute, operator, generous, False, "One hour was agreed")
    with platform.uow() as uow:
        assert uow.session.get_one(Adjustment, generous).status == AdjustmentStatus.rejected

    springfield = claimed(seattle, region="springfield", answer_within=NOW_DUE)  # no legal minimum there
    with platform.uow() as uow:
        figures = ruling_figures(
            uow.session, uow.session.get_one(Task, springfield), uow.session.get_one(Adjustment, springfield)
        )
    assert figures.minimum is None and figures.client_ruling_short_by == 0
    assert run(platform, expire_adjustments, utcnow() + timedelta(minutes=1)) == 1
    with platform.uow() as uow:
        assert uow.session.get_one(Adjustment, springfield).status == AdjustmentStatus.expired
