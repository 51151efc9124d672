"""The mentored unlock: a projection of community.activity (group "network"), rebuilt by
`floorboard replay network` equal to live: a skilled category opens to a tasker who holds two
*counting* endorsements for it from different endorsers. An endorsement counts when its endorser
was elite in the category with at least 10 completed tasks there when giving it, and was within
their monthly allowance of such endorsements (3 by default; every counting endorsement given in a
calendar month uses one, even if withdrawn later). The event carries the endorser's standing and
the allowance then in force, so the projection decides from the log alone (an unlock row only
matters for a skilled category: general ones are open to all, licensed ones need a licence).
When a withdrawal or a revocation leaves fewer than two, the category closes again (tasks already accepted are kept).

It belongs to the taskers (a level a tasker holds, read by `levels.standing`); the endorsements
themselves are the network's (marketplace/network/endorsements.py), which reads the slots here to
say whether one counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select, update

from events.envelope import CloudEvent
from events.payloads import EndorsementGiven, EndorsementWithdrawn, view_of
from marketplace.db import UnitOfWork
from marketplace.taskers.models import MentoredUnlock, MentorSlot

MENTOR_TIER = "elite"
MENTOR_MIN_COMPLETED = 10
MENTORS_NEEDED = 2


def mentored_categories(session: Session, tasker_id: int) -> set[str]:
    return set(session.exec(select(MentoredUnlock.category).where(col(MentoredUnlock.tasker_id) == tasker_id)))


def _recount(session: Session, tasker_id: int, category: str, at: datetime) -> None:
    mentors = session.exec(
        select(func.count(func.distinct(MentorSlot.endorser_id))).where(
            col(MentorSlot.endorsee_id) == tasker_id,
            col(MentorSlot.category) == category,
            col(MentorSlot.counts).is_(True),
            col(MentorSlot.active).is_(True),
        )
    ).one()
    unlocked = session.get(MentoredUnlock, (tasker_id, category))
    if mentors >= MENTORS_NEEDED and unlocked is None:
        session.add(MentoredUnlock(tasker_id=tasker_id, category=category, unlocked_at=at))
    elif mentors < MENTORS_NEEDED and unlocked is not None:
        session.delete(unlocked)
    session.flush()


def project_endorsement_event(uow: UnitOfWork, event: CloudEvent) -> None:
    """Apply one endorsement event to the mentoring projection (events of one endorser arrive in
    order: they share the key)."""
    session = uow.session
    view = view_of(event)
    if isinstance(view, EndorsementGiven):
        month = f"{view.at:%Y-%m}"
        qualifies = view.endorser_tier == MENTOR_TIER and view.endorser_completed >= MENTOR_MIN_COMPLETED
        used = session.exec(
            select(func.count())
            .select_from(MentorSlot)
            .where(
                col(MentorSlot.endorser_id) == view.endorser_id,
                col(MentorSlot.month) == month,
                col(MentorSlot.counts).is_(True),
            )
        ).one()
        session.exec(  # given again: its earlier slot is spent, this one is the live one
            update(MentorSlot).where(col(MentorSlot.endorsement_id) == view.endorsement_id).values(active=False)
        )
        session.add(
            MentorSlot(
                event_id=event.id,
                endorsement_id=view.endorsement_id,
                endorser_id=view.endorser_id,
                endorsee_id=view.endorsee_id,
                category=view.category,
                month=month,
                counts=qualifies and used < view.mentor_cap,
                active=True,
            )
        )
        session.flush()
        _recount(session, view.endorsee_id, view.category, view.at)
    elif isinstance(view, EndorsementWithdrawn):
        for slot in session.exec(select(MentorSlot).where(col(MentorSlot.endorsement_id) == view.endorsement_id)):
            slot.active = False
            session.add(slot)
        session.flush()
        _recount(session, view.endorsee_id, view.category, view.at)


def project_endorsement_events(uow: UnitOfWork, events: list[CloudEvent]) -> None:
    for event in events:
        if event.type in ENDORSEMENT_TYPES:
            project_endorsement_event(uow, event)


ENDORSEMENT_TYPES = ("endorsement.given", "endorsement.withdrawn", "endorsement.revoked")
PROJECTION_TABLES = (MentorSlot, MentoredUnlock)
