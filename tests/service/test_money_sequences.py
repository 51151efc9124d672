"""Money under random sequences of what clients, taskers and operators do: book, complete (within
or beyond the booking), approve, dispute, rule, let a claim lapse, cancel on either side, refund,
hand a task to a peer (who accepts, declines or lets the offer lapse).
After every step, with the payments worker drained: every task's ledger sums to zero, nothing was
captured beyond what the client agreed to, and no tasker is owed or paid more than was captured
for the task less the platform's fees, nor more than the payout the client agreed to.

Use cases on SQLite with the null gateway, no HTTP."""

from __future__ import annotations

import shutil
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.bootstrap import bootstrap
from marketplace.clock import utcnow
from marketplace.errors import DomainError
from marketplace.network.handoffs import accept_handoff, decline_handoff, lapse_offers, offer_handoff
from marketplace.network.models import HandoffOffer, OfferStatus
from marketplace.payments.holds import book_task
from marketplace.payments.ledger import balances
from marketplace.payments.models import Payment, PayoutAccount
from marketplace.payments.settlement import refund
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.adjustments import approve_adjustment, dispute_adjustment, expire_adjustments, resolve_dispute
from marketplace.tasks.lifecycle import accept_task, cancel_by_client, cancel_by_tasker, complete_task, start_task
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.quotes import quotes_of
from tests import conftest
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, seeded


class Market(RuleBasedStateMachine):
    template: str = ""
    workdir = None

    tasks = Bundle("tasks")

    def __init__(self):
        super().__init__()
        path = self.workdir / f"{uuid.uuid4().hex}.db"
        shutil.copy(self.template, path)
        self.platform = seeded(bootstrap(conftest.settings_for(f"sqlite:///{path}", priority_window=NO_WINDOW)))
        with self.platform.uow() as uow:
            self.client = create_user(uow.session, "c@example.test", "correct horse battery", "client")
            self.tasker = create_user(uow.session, "t@example.test", "correct horse battery", "tasker")
            self.operator = create_user(uow.session, "o@example.test", "correct horse battery", "operator")
            self.peer = create_user(uow.session, "p@example.test", "correct horse battery", "tasker")
            for tasker in (self.tasker, self.peer):
                set_skills(uow, tasker.id, ["springfield"], [SkillSpec("yard-work", 2400)])
                uow.session.add(PayoutAccount(tasker_id=tasker.id, account_id=f"acct_null_{tasker.id}"))
            uow.commit()
        self.pipeline = Pipeline(self.platform, ["pricing", "payments"])

    def teardown(self):
        self.pipeline.close()
        self.platform.close()

    def act(self, use_case, *args) -> None:
        """Run a use case; a refused one (a wrong state, say) must leave no trace."""
        with self.platform.uow() as uow:
            try:
                use_case(uow, *args)
            except DomainError:
                return
            uow.commit()
        self.pipeline.drain()

    def act_in_steps(self, use_case) -> None:
        """Run a use case that opens its own units of work (it asks Stripe between them)."""
        try:
            use_case(self.platform.uow)
        except DomainError:
            return
        self.pipeline.drain()

    def user(self, uow, who: User) -> User:
        return uow.session.get(User, who.id)

    def holder(self, uow, task_id: int) -> User:
        """Whoever holds the task now (after a hand-off, the peer); the first tasker if nobody does."""
        task = uow.session.get(Task, task_id)
        held_by = task.tasker_id if task is not None and task.tasker_id else self.tasker.id
        return uow.session.get_one(User, held_by)

    def other(self, uow, task_id: int) -> User:
        return self.user(uow, self.peer if self.holder(uow, task_id).id == self.tasker.id else self.tasker)

    @rule(
        target=tasks,
        minutes=st.integers(1, 600),
        offered=st.one_of(st.none(), st.integers(0, 6000)),
        starts_in_h=st.sampled_from([3, 30]),
    )
    def post(self, minutes, offered, starts_in_h):
        with self.platform.uow() as uow:
            task = post_task(
                uow,
                self.client.id,
                TaskDraft(
                    "yard-work", "springfield", "t", "", minutes, utcnow() + timedelta(hours=starts_in_h), offered
                ),
            )
            uow.commit()
        self.pipeline.drain()
        return task.id

    @rule(
        task_id=tasks,
        until=st.sampled_from(["booked", "accepted", "started"] + ["completed"] * 3),
        minutes=st.integers(1, 10_080),
        reason=st.sampled_from(["", "the job grew"]),
    )
    def work(self, task_id, until, minutes, reason):
        """Take a task forward from wherever it is, up to `until`: book, accept, start, complete
        (for `minutes`, which may be far beyond the booking, with or without a reason)."""
        steps = {
            "booked": lambda uows: book_task(uows, self.platform.gateway, self.client, task_id, "pm_null"),
            "accepted": lambda uow: accept_task(uow, self.user(uow, self.tasker), task_id, NO_WINDOW),
            "started": lambda uow: start_task(uow, self.holder(uow, task_id), task_id, early=ANY_TIME),
            "completed": lambda uow: complete_task(
                uow, self.holder(uow, task_id), task_id, minutes, reason, tolerance=ANY_TIME
            ),
        }
        for name, step in steps.items():
            (self.act_in_steps if name == "booked" else self.act)(step)
            if name == until:
                return

    @rule(task_id=tasks)
    def approve(self, task_id):
        self.act(lambda uow: approve_adjustment(uow, self.user(uow, self.client), task_id))

    @rule(task_id=tasks)
    def dispute(self, task_id):
        self.act(lambda uow: dispute_adjustment(uow, self.user(uow, self.client), task_id, "too long"))

    @rule(task_id=tasks, for_tasker=st.booleans())
    def rule_on_dispute(self, task_id, for_tasker):
        self.act(lambda uow: resolve_dispute(uow, self.user(uow, self.operator), task_id, for_tasker, "ruled"))

    @rule()
    def claims_lapse(self):
        self.act(lambda uow: expire_adjustments(uow, utcnow() + timedelta(hours=73)))

    @rule(task_id=tasks)
    def client_cancels(self, task_id):
        self.act(lambda uow: cancel_by_client(uow, self.user(uow, self.client), task_id, "changed plans"))

    @rule(task_id=tasks)
    def tasker_cancels(self, task_id):
        self.act(lambda uow: cancel_by_tasker(uow, self.holder(uow, task_id), task_id, "sick"))

    @rule(task_id=tasks, answer=st.sampled_from(["accept", "decline", "lapse", "none"]))
    def hand_off(self, task_id, answer):
        """The holder offers the task to the other tasker, who takes it, declines, or lets it lapse."""
        self.act(
            lambda uow: offer_handoff(
                uow, self.holder(uow, task_id), task_id, [self.other(uow, task_id).id], "", NO_WINDOW
            )
        )
        with self.platform.uow() as uow:
            offer = uow.session.exec(
                select(HandoffOffer).where(HandoffOffer.task_id == task_id, HandoffOffer.status == OfferStatus.open)
            ).first()
            peer_id = offer.to_tasker_id if offer is not None else None
        if offer is None or answer == "none":
            return
        if answer == "accept":
            self.act(lambda uow: accept_handoff(uow, uow.session.get_one(User, peer_id), offer.id, NO_WINDOW))
        elif answer == "decline":
            self.act(lambda uow: decline_handoff(uow, uow.session.get_one(User, peer_id), offer.id, "busy"))
        else:
            self.act(lambda uow: lapse_offers(uow, utcnow() + timedelta(days=2)))

    @rule(task_id=tasks, amount=st.one_of(st.none(), st.integers(1, 20_000)))
    def operator_refunds(self, task_id, amount):
        self.act_in_steps(lambda uows: refund(uows, self.platform.gateway, self.operator, task_id, amount, "r"))

    @invariant()
    def offers_follow_the_task(self):
        """An open hand-off offer is always for an accepted task still held by whoever offered it."""
        with self.platform.uow() as uow:
            for offer in uow.session.exec(select(HandoffOffer).where(HandoffOffer.status == OfferStatus.open)):
                task = uow.session.get_one(Task, offer.task_id)
                assert (task.status, task.tasker_id) == ("accepted", offer.from_tasker_id), (offer, task)

    @invariant()
    def books_hold(self):
        with self.platform.uow() as uow:
            s = uow.session
            for task in s.exec(Task.__table__.select()).all():
                books = balances(s, task.id)
                assert sum(books.values()) == 0, (task.id, books)
                payment = s.get(Payment, task.id)
                if payment is None:
                    assert books == {}
                    continue
                quotes = quotes_of(s, task.id)
                claim = s.get(Adjustment, task.id)
                extra_agreed = claim is not None and claim.status in (
                    AdjustmentStatus.approved,
                    AdjustmentStatus.upheld,
                )
                agreed_total = quotes["claimed"].total if extra_agreed else payment.amount_authorized
                assert payment.amount_captured <= agreed_total, (task.id, payment, agreed_total)
                refunded = -sum(
                    e.amount for e in s.exec(_entries(task.id, "platform_fees")).all() if e.posting.startswith("refund")
                )
                fees = books.get("platform_fees", 0) + refunded
                assert fees >= 0, (task.id, books)  # the platform never pays a tasker out of its own pocket
                to_tasker = books.get("tasker_paid_out", 0) + books.get("tasker_payable", 0)
                assert 0 <= to_tasker <= payment.amount_captured - fees, (task.id, books, payment)
                payout_cap = max(
                    quotes["claimed"].payout if extra_agreed else quotes["posted"].payout,
                    quotes["cancellation"].payout if "cancellation" in quotes else 0,
                )
                assert to_tasker <= payout_cap, (task.id, to_tasker, payout_cap)


def _entries(task_id: int, account: str):
    from marketplace.payments.models import LedgerEntry

    return select(LedgerEntry).where(LedgerEntry.task_id == task_id, LedgerEntry.account == account)


@pytest.mark.timeout(900)
def test_no_sequence_moves_more_money_than_was_agreed(sqlite_template, tmp_path):
    Market.template, Market.workdir = sqlite_template, tmp_path
    run_state_machine_as_test(
        Market,
        settings=settings(
            max_examples=60,
            stateful_step_count=16,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
