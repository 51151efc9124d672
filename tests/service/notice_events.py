"""An event of every type a notice is about, with the variants each kind's letter or payload
branches on, for a task of the service tests' market: the notice tests drive them through the
notifications group's own functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from events.contracts import decode, encode
from events.envelope import CloudEvent
from marketplace.community.models import Question
from marketplace.conversations.models import Message
from marketplace.network.models import Endorsement, HandoffOffer, OfferStatus
from marketplace.tasks.models import Review, Task

AT = datetime(2031, 5, 1, 9, tzinfo=timezone.utc)
QUOTE = {
    "rate": 2400,
    "billable_minutes": 60,
    "subtotal": 2400,
    "service_fee": 240,
    "trust_fee": 100,
    "commission": 0,
    "total": 2740,
    "payout": 2400,
    "platform": 340,
    "rule_version": 1,
}
CLAIMED = {**QUOTE, "total": 4110, "payout": 3600}


def a_task(uow, client: int, tasker: int, **changes) -> int:
    """A task held by `tasker`, addressed to them as a rebooking (so task.priced also rebooks)."""
    values = {
        "client_id": client,
        "category": "yard-work",
        "region": "springfield",
        "title": "Rake & <mow>",
        "estimated_minutes": 60,
        "starts_at": AT + timedelta(days=2),
        "status": "accepted",
        "tasker_id": tasker,
        "addressed_to_id": tasker,
        "addressed_until": AT + timedelta(days=1),
        **changes,
    }
    task = Task(**values)
    uow.session.add(task)
    uow.session.flush()
    return task.id


def a_network(uow, task_id: int, ann: int, bob: int) -> tuple[int, int]:
    """What the network notices look up: Ann's offer of the task to Bob, which lapsed unanswered,
    and a question Ann asked on the yard-work board; (the offer's id, the question's id)."""
    offer = HandoffOffer(
        task_id=task_id,
        from_tasker_id=ann,
        to_tasker_id=bob,
        status=OfferStatus.lapsed,
        offered_at=AT - timedelta(hours=6),
        expires_at=AT,
        decided_at=AT,
        reason="Nobody answered in time.",
    )
    question = Question(
        category="yard-work", author_id=ann, title="Leaf blower or rake?", body_markdown="Which?", body_html="<p>?</p>"
    )
    # The words the events name by id (they never carry them): the messages, Bob's endorsement of
    # Ann (the second one, id 10, is not there: its letter has no words), a review from before.
    task = uow.session.get_one(Task, task_id)
    client = task.client_id
    # The review from before double-blind reviews is of an earlier task (a row on this one would
    # say its client has written theirs).
    earlier = Task(**{**task.model_dump(exclude={"id"}), "status": "completed"})
    uow.session.add(earlier)
    uow.session.flush()
    words = [
        Message(id=1, task_id=task_id, sender_id=client, recipient_id=ann, body="<b>gate</b>", sent_at=AT),
        Message(id=2, task_id=task_id, sender_id=ann, recipient_id=client, body="<b>gate</b>", sent_at=AT),
        Endorsement(id=9, endorser_id=bob, endorsee_id=ann, category="yard-work", text="Tidy & <quick>"),
        Review(id=1, task_id=earlier.id, client_id=client, tasker_id=ann, rating=4, comment="Tidy work"),
    ]
    uow.session.add_all([offer, question, *words])
    uow.session.flush()
    # Two offers Bob declined, earlier, with and without a reason (ids offer.id + 1 and + 2): the
    # reasons are in the rows, never in the events.
    for reason in ("Away that week", "Declined."):
        declined = HandoffOffer(
            task_id=task_id,
            from_tasker_id=ann,
            to_tasker_id=bob,
            status=OfferStatus.declined,
            offered_at=AT - timedelta(hours=9),
            expires_at=AT - timedelta(hours=3),
            decided_at=AT - timedelta(hours=8),
            reason=reason,
        )
        uow.session.add(declined)
        uow.session.flush()
    return offer.id, question.id


def events(task_id: int, client: int, ann: int, bob: int, offer_id: int = 4, question_id: int = 1) -> list[CloudEvent]:
    """Ann holds the task; Bob is her peer (`offer_id`: Ann's offer of it to Bob; `question_id`:
    Ann's question, which Bob answers). Each event is encoded and decoded, as consumers read it."""
    held = {"task_id": task_id, "client_id": client, "tasker_id": ann, "category": "yard-work", "region": "springfield"}
    lifecycle = {**held, "at": AT}
    adjustment = {**lifecycle, "minutes_worked": 90, "booked": QUOTE, "claimed": CLAIMED}
    parties = {"task_id": task_id, "tasker_id": ann, "client_id": client, "category": "yard-work"}
    review = {"review_id": 1, **parties}
    priced = {"task_id": task_id, "category": "yard-work", "region": "springfield", "priced_at": AT}
    made = [
        ("task.priced", {**priced, "status": "priced", "quote": QUOTE, "reason": None}),
        ("task.priced", {**priced, "status": "rejected", "quote": None, "reason": "below the floor"}),
        ("task.accepted", lifecycle),
        ("task.started", lifecycle),
        ("task.completed", {**lifecycle, "minutes_worked": 75, "quote": QUOTE}),
        ("task.cancelled", {**lifecycle, "cancelled_by": "client", "fee": QUOTE, "reopened": False}),
        ("task.cancelled", {**lifecycle, "cancelled_by": "client", "fee": None, "reopened": False}),
        (
            "task.cancelled",
            {**lifecycle, "cancelled_by": "tasker", "fee": None, "reopened": True},
        ),
        ("task.adjustment_requested", {**adjustment, "status": "pending", "due_at": AT + timedelta(hours=72)}),
        *(
            ("task.adjustment_decided", {**adjustment, "status": status, "due_at": AT})
            for status in ("approved", "disputed", "expired", "upheld", "rejected")
        ),
        (
            "task.handoff_offered",
            {**lifecycle, "offer_id": offer_id, "to_tasker_id": bob, "expires_at": AT + timedelta(hours=5)},
        ),
        *(
            (
                "task.handed_off",
                {**lifecycle, "tasker_id": bob, "offer_id": offer_id, "from_tasker_id": ann, "late": late},
            )
            for late in (False, True)
        ),
        *(
            ("task.handoff_declined", {**lifecycle, "offer_id": offer_id + n, "to_tasker_id": bob})
            for n in (1, 2)  # a_network's declined offers: with a reason, and with none
        ),
        (
            "task.handoff_lapsed",
            {**lifecycle, "offer_id": offer_id, "to_tasker_id": bob},
        ),
        *(
            (
                "task.rebooking_closed",
                {**lifecycle, "tasker_id": None, "addressed_to_id": ann, "reason": reason, "reopened": reopened},
            )
            for reason, reopened in (("declined", True), ("lapsed", False))
        ),
        ("review.submitted", {**review, "at": AT, "rating": 4}),  # from before double-blind
        ("review.submitted", {**review, "at": AT, "by": "client"}),
        ("review.submitted", {**review, "at": AT, "by": "tasker"}),
        ("review.revealed", {**parties, "reason": "both", "tasker_rating": 4, "client_rating": 5, "at": AT}),
        ("review.revealed", {**parties, "reason": "lapsed", "tasker_rating": None, "client_rating": 2, "at": AT}),
        *(
            (
                "message.sent",
                {"message_id": i, "task_id": task_id, "sender_id": by, "recipient_id": to}
                | {"masked": False, "at": AT},
            )
            for i, (by, to) in enumerate(((client, ann), (ann, client)), start=1)
        ),
        ("connection.requested", {"tasker_id": bob, "other_id": ann, "at": AT}),
        ("connection.accepted", {"tasker_id": ann, "other_id": bob, "at": AT}),
        (
            "endorsement.given",
            {"endorsement_id": 9, "endorser_id": bob, "endorsee_id": ann, "category": "yard-work", "at": AT}
            | {"endorser_tier": "trusted", "endorser_completed": 12, "mentor_cap": 3},
        ),
        (
            "endorsement.given",
            {"endorsement_id": 10, "endorser_id": bob, "endorsee_id": ann, "category": "yard-work", "at": AT}
            | {"endorser_tier": "newcomer", "endorser_completed": 1, "mentor_cap": 3},
        ),
        *(
            (
                "answer.posted",
                {"answer_id": i, "question_id": question_id, "category": "yard-work", "author_id": by, "at": AT},
            )
            for i, by in ((1, bob), (2, ann))  # Ann answering her own question hears nothing
        ),
        *(
            (
                f"payment.{kind}",
                {"task_id": task_id, "intent_id": "pi_client_card", "amount": 2740, "reference": "tr_or_re_1"}
                | {"source": "api", "stripe_event_id": "evt_1", "at": AT},
            )
            for kind in ("captured", "refunded", "transferred")
        ),
    ]
    return [decode(encode(CloudEvent(type=t, subject=str(task_id), data=d))) for t, d in made]
