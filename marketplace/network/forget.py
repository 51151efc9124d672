"""What the network clears when a person closes their account (marketplace/privacy asks): the
words about them in the rows it keeps. Endorsements stay (public contributions) without the text
about the person; hand-off offers stay (a task's history) without their notes and reasons."""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlmodel import Session, col

from marketplace.network.models import Endorsement, HandoffOffer


def clear_words_about(session: Session, user_id: int) -> None:
    session.execute(update(Endorsement).where(col(Endorsement.endorsee_id) == user_id).values(text=""))
    offers = or_(col(HandoffOffer.from_tasker_id) == user_id, col(HandoffOffer.to_tasker_id) == user_id)
    session.execute(update(HandoffOffer).where(offers).values(note="", reason=""))
