"""Knowledge karma: the per-tip and per-answer vote counts the projection keeps (KarmaTip,
KarmaAnswer), and the karma a tasker's row is given from them."""

from __future__ import annotations

from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, select

from events.envelope import CloudEvent
from events.payloads import AnswerAccepted, AnswerEvent, AnswerVoted, TipPosted, view_of
from marketplace.community import tip_activity
from marketplace.community.models import KarmaAnswer, KarmaTip
from marketplace.community.reputation.keys import Key, covering
from marketplace.community.scoring import answer_karma, tip_karma
from marketplace.db import insert_many_if_absent

ANSWER_TYPES = ("answer.posted", "answer.voted", "answer.accepted", "answer.hidden")


def karma_for(session: Session, keys: list[Key]) -> dict[Key, float]:
    """Knowledge karma: tips' votes, and answers' votes and acceptances (hidden ones count not)."""
    votes: dict[Key, list[tuple[int, int, int]]] = {key: [] for key in keys}
    answers: dict[Key, list[tuple[int, int, int, bool]]] = {key: [] for key in keys}
    if keys:
        rows = session.exec(select(KarmaTip).where(*covering(KarmaTip, keys), col(KarmaTip.hidden).is_(False)))
        for r in rows:
            if (key := (r.tasker_id, r.category)) in votes:
                votes[key].append((r.tip_id, r.helpful, r.unhelpful))
        found = session.exec(
            select(KarmaAnswer).where(*covering(KarmaAnswer, keys), col(KarmaAnswer.hidden).is_(False))
        )
        for a in found:
            if (key := (a.tasker_id, a.category)) in answers:
                answers[key].append((a.answer_id, a.helpful, a.unhelpful, a.accepted))
    return {key: round(tip_karma(votes[key]) + answer_karma(answers[key]), 6) for key in keys}


def _karma_tip(posted: TipPosted) -> dict:
    return {"tip_id": posted.tip_id, "tasker_id": posted.author_id, "category": posted.category}


def apply_tips(session: Session, events: list[CloudEvent]) -> None:
    tips = [e for e in events if e.type in tip_activity.TIP_TYPES]
    if tips:
        tip_activity.apply(session, KarmaTip, tip_activity.fold(tips), _karma_tip, "reputation")
    _apply_answers(session, events)


def _apply_answers(session: Session, events: list[CloudEvent]) -> None:
    """Answers' votes, acceptance and hiding, as KarmaAnswer counts: as one event at a time would
    leave them (a vote for an answer never posted raises LookupError, as applying it alone would)."""
    posted: dict[int, AnswerEvent] = {}
    counts: dict[int, list] = {}  # answer id -> [helpful, unhelpful, accepted, hidden]
    must_exist: dict[int, str] = {}
    for event in events:
        if event.type not in ANSWER_TYPES:
            continue
        view = view_of(event)
        if event.type == "answer.posted":
            posted.setdefault(view.answer_id, view)
            continue
        if view.answer_id not in posted:
            must_exist.setdefault(view.answer_id, event.type)
        c = counts.setdefault(view.answer_id, [0, 0, False, False])
        if isinstance(view, AnswerVoted):
            c[0 if view.helpful else 1] += 1
        elif isinstance(view, AnswerAccepted):
            c[2] = True
        else:
            c[3] = True
    if not posted and not counts:
        return
    table = KarmaAnswer.__table__  # type: ignore[attr-defined]
    if must_exist:
        stored = set(
            session.exec(select(KarmaAnswer.answer_id).where(col(KarmaAnswer.answer_id).in_(list(must_exist))))
        )
        for answer_id, kind in must_exist.items():
            if answer_id not in stored:
                raise LookupError(f"{kind} for answer {answer_id}, which reputation has never seen posted")
    if posted:
        insert_many_if_absent(
            session,
            KarmaAnswer,
            [{"answer_id": a.answer_id, "tasker_id": a.author_id, "category": a.category} for a in posted.values()],
        )
    if counts:
        session.connection().execute(
            table.update()
            .where(table.c.answer_id == bindparam("b_answer"))
            .values(
                helpful=table.c.helpful + bindparam("b_helpful"),
                unhelpful=table.c.unhelpful + bindparam("b_unhelpful"),
                accepted=or_(table.c.accepted, bindparam("b_accepted")),
                hidden=or_(table.c.hidden, bindparam("b_hidden")),
            ),
            [
                {"b_answer": i, "b_helpful": h, "b_unhelpful": u, "b_accepted": ok, "b_hidden": gone}
                for i, (h, u, ok, gone) in sorted(counts.items())
            ],
        )
