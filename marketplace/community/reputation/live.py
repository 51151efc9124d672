"""The live path: the reputation worker applies one event and announces each changed score or tier
on reputation.changes."""

from __future__ import annotations

from events.envelope import CloudEvent
from events.payloads import ReputationChanged
from marketplace.community.models import Reputation
from marketplace.community.reputation.counts import project_reputation_events
from marketplace.community.reputation.public import figures
from marketplace.db import UnitOfWork


def project_reputation_event(uow: UnitOfWork, event: CloudEvent, emit: bool = True) -> list[Reputation]:
    """Apply one event, and announce each changed score or tier on reputation.changes (`emit=False`
    on replay, which must not announce changes a second time). Most events change one row; a
    hand-off changes two (the peer who took it, the tasker who passed it on), and so does the
    completion of a handed-off task (its tasker, and the one who passed it on). Returns the rows."""
    changed = project_reputation_events(uow, [event])
    for before, rep in changed.values():
        if not emit or (rep.score, rep.tier) == before:
            continue
        changed_to = ReputationChanged(
            tasker_id=rep.tasker_id,
            category=rep.category,
            score=rep.score,
            tier=rep.tier,
            **figures(rep),  # the rating, the reliability and the karma, as the profile shows them
            completed=rep.completed,
            at=rep.updated_at,
        )
        uow.emit(changed_to.event(subject=rep.tasker_id), key=str(rep.tasker_id))
    return [rep for _, rep in changed.values()]
