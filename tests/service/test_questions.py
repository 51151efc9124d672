"""Questions and answers on the boards: who may do what, answers ranked like tips with the
accepted one first, Markdown sanitized as tips are; and the karma answers earn through the
reputation projection, rebuilt by `floorboard replay reputation` equal to live on generated
histories (votes, acceptances and hides, a vote for an answer never posted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, delete, select

from events.contracts import decode
from events.envelope import CloudEvent
from events.tables import EventLogRow, ProcessedEvent
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.community.models import KarmaAnswer, KarmaTip, Reputation
from marketplace.community.questions import (
    accept_answer,
    answer_question,
    ask_question,
    board_questions,
    hide_answer,
    hide_question,
    question_page,
    vote_answer,
)
from marketplace.community.reputation import project_reputation_event
from marketplace.community.scoring import ACCEPTED_ANSWER_KARMA, wilson_lower_bound
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from workers.replay import replay

PASSWORD = "correct horse battery"


@pytest.fixture
def people(platform):
    with platform.uow() as uow:
        s = uow.session
        made = {
            name: create_user(s, f"{name}@example.test", PASSWORD, role, name.title())
            for name, role in (("asker", "tasker"), ("ann", "tasker"), ("bob", "tasker"), ("ops", "operator"))
        }
        uow.commit()
        return {name: user.id for name, user in made.items()}


def _user(uow, user_id):
    return uow.session.get(User, user_id)


def test_ask_answer_vote_accept_and_hide(platform, people):
    with platform.uow() as uow:
        asker, ann, bob, ops = (_user(uow, people[n]) for n in ("asker", "ann", "bob", "ops"))
        q = ask_question(uow, asker, "yard-work", "Hedge by the metre?", "<script>x</script> **how**?")
        assert "<script>" not in q.body_html and "<strong>how</strong>" in q.body_html
        first = answer_question(uow, ann, q.id, "Measure it [first](javascript:alert(1)).")
        assert 'href="javascript' not in first.body_html and "<a" not in first.body_html  # left as text
        second = answer_question(uow, bob, q.id, "Ten minutes a metre.")
        vote_answer(uow, ann, second.id, True)
        vote_answer(uow, asker, second.id, True)
        with pytest.raises(Forbidden):
            vote_answer(uow, bob, second.id, True)  # your own
        with pytest.raises(Conflict):
            vote_answer(uow, ann, second.id, False)  # twice
        with pytest.raises(Forbidden):
            accept_answer(uow, ann, first.id)  # only the asker
        accept_answer(uow, asker, first.id)
        with pytest.raises(Conflict):
            accept_answer(uow, asker, second.id)  # once per question
        page = question_page(uow.session, q.id, asker)
        assert [a["id"] for a in page["answers"]] == [first.id, second.id]  # accepted first, then by rank
        assert page["answers"][0]["accepted"] and page["answers"][1]["helpful"] == 2
        assert page["author_tier"] == "newcomer" and page["answers"][1]["author"] == "Bob"
        with pytest.raises(Invalid):
            answer_question(uow, bob, q.id, " ")
        with pytest.raises(Invalid):
            ask_question(uow, asker, "yard-work", "x" * 121, "body")
        with pytest.raises(NotFound):
            ask_question(uow, asker, "no-such-board", "t", "b")
        hide_answer(uow, ops, second.id, "Off topic")
        assert [a["id"] for a in question_page(uow.session, q.id, ann)["answers"]] == [first.id]
        assert len(question_page(uow.session, q.id, ops)["answers"]) == 2  # operators see hidden ones
        listed = board_questions(uow.session, "yard-work")
        assert listed["total"] == 1 and listed["questions"][0]["answers"] == 1
        hide_question(uow, ops, q.id, "Duplicate")
        with pytest.raises(NotFound):
            question_page(uow.session, q.id, ann)
        assert board_questions(uow.session, "yard-work")["total"] == 0
        with pytest.raises(NotFound):
            answer_question(uow, bob, q.id, "late")
        uow.commit()


def test_an_accepted_answer_and_its_votes_add_to_the_authors_karma(platform, people):
    with platform.uow() as uow:
        asker, ann, bob = (_user(uow, people[n]) for n in ("asker", "ann", "bob"))
        q = ask_question(uow, asker, "yard-work", "Tarps?", "Which size?")
        a = answer_question(uow, ann, q.id, "Three by four.")
        vote_answer(uow, bob, a.id, True)
        accept_answer(uow, asker, a.id)
        uow.commit()
    with platform.uow() as uow:
        events = [r for r in uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "tips.activity"))]
        for row in events:
            project_reputation_event(uow, decode(row.value))
        uow.commit()
        rep = uow.session.get(Reputation, (people["ann"], "yard-work"))
    assert rep.tip_karma == pytest.approx(round(wilson_lower_bound(1, 1) + ACCEPTED_ANSWER_KARMA, 6))


START = datetime(2026, 5, 1, tzinfo=UTC)
step = st.one_of(
    st.tuples(st.just("posted"), st.integers(1, 4), st.sampled_from([0, 1])),  # which of two answerers
    st.tuples(st.just("voted"), st.integers(1, 5), st.booleans()),  # answer 5 is never posted
    st.tuples(st.just("accepted"), st.integers(1, 4), st.just(None)),
    st.tuples(st.just("hidden"), st.integers(1, 4), st.just(None)),
)


def _events(history, answerers: list[int]) -> list[CloudEvent]:
    authors: dict[int, int] = {}
    out = []
    for n, (kind, answer_id, extra) in enumerate(history):
        if kind == "posted":
            authors.setdefault(answer_id, answerers[extra])
        data = {
            "answer_id": answer_id,
            "question_id": 1,
            "category": "yard-work",
            "author_id": authors.get(answer_id, answerers[0]),
            "at": START + timedelta(minutes=n),
        }
        if kind == "voted":
            data |= {"voter_id": 99, "helpful": extra}
        elif kind == "accepted":
            data |= {"accepted_by": 98}
        elif kind == "hidden":
            data |= {"hidden_by": 97, "reason": "spam"}
        out.append(CloudEvent(type=f"answer.{kind}", subject=str(answer_id), data=data))
    return out


def _snapshot(platform):
    with platform.uow() as uow:
        s = uow.session
        karma = sorted(tuple(r.model_dump().values()) for r in s.exec(select(KarmaAnswer)))
        reps = sorted((r.tasker_id, r.category, r.tip_karma, r.score) for r in s.exec(select(Reputation)))
    return karma, reps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(step, max_size=25), chunk=st.integers(1, 7))
def test_answer_karma_replays_equal_to_live(platform, history, chunk):
    with platform.uow() as uow:
        s = uow.session
        answerers = []
        for n in (0, 1):
            email = f"answerer{n}@example.test"
            found = s.exec(select(User).where(col(User.email) == email)).first()
            answerers.append((found or create_user(s, email, PASSWORD, "tasker")).id)
        uow.commit()
    events = _events(history, answerers)
    with platform.uow() as uow:
        s = uow.session
        s.exec(delete(EventLogRow))
        s.exec(delete(ProcessedEvent))
        for model in (KarmaAnswer, KarmaTip, Reputation):
            s.exec(delete(model))
        for event in events:
            uow.emit(event, key="yard-work")
        uow.commit()
    skipped = 0
    for event in events:  # live: one event at a time, a failing one dead-lettered (rolled back)
        try:
            with platform.uow() as uow:
                project_reputation_event(uow, event, emit=False)
                uow.commit()
        except LookupError:
            skipped += 1
    live = _snapshot(platform)
    result = replay(platform, "reputation", chunk=chunk)
    assert result.skipped == skipped
    assert _snapshot(platform) == live
