"""The mentoring projection (group "network") is a function of the log: generated histories of
endorsements given, given again, withdrawn and revoked (elite and not, enough work and not, across
months, under different monthly allowances) are applied by the live handler one event at a time,
then replayed in chunks of several sizes, and every row must come out equal. The unlocks must also
follow the rule read straight off the history: two different counting endorsers, each within their
first `cap` counting endorsements of that calendar month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import col, delete, select

from events.envelope import CloudEvent
from events.tables import EventLogRow
from marketplace.taskers.mentoring import project_endorsement_event
from marketplace.taskers.models import MentoredUnlock, MentorSlot
from workers.replay import replay

START = datetime(2026, 1, 28, tzinfo=UTC)
ENDORSERS = (11, 12, 13)
ENDORSEES = (21, 22)

given_step = st.tuples(
    st.just("given"),
    st.sampled_from(ENDORSERS),
    st.sampled_from(ENDORSEES),
    st.sampled_from(["elite", "elite", "trusted", "newcomer"]),  # mostly mentors, so unlocks happen
    st.sampled_from([10, 40, 9, 3]),
    st.sampled_from([1, 3, 3, 0]),
)
taken_back = st.tuples(
    st.sampled_from(["withdrawn", "revoked"]), st.sampled_from(ENDORSERS), st.sampled_from(ENDORSEES)
)
steps = st.one_of(given_step, given_step, given_step, taken_back)
# Two mentors open mounting to 21; a third's endorsement over its monthly allowance of 1 counts not.
UNLOCKING = [
    (("given", 11, 21, "elite", 12, 3), 0),
    (("given", 13, 22, "elite", 12, 1), 1),
    (("given", 12, 21, "elite", 10, 3), 2),
    (("given", 13, 21, "elite", 12, 1), 3),
]
histories = st.lists(st.tuples(steps, st.integers(0, 6 * 24 * 60)), max_size=30)


def endorsement_id(endorser: int, endorsee: int) -> int:
    return endorser * 100 + endorsee  # one row per (endorser, endorsee) in "mounting"


def events_for(history) -> list[CloudEvent]:
    """In time order per endorser, as their shared key keeps them; given-again reuses the row."""
    events = []
    for step, minute in sorted(history, key=lambda h: h[1]):
        kind, endorser, endorsee = step[:3]
        data = {
            "endorsement_id": endorsement_id(endorser, endorsee),
            "endorser_id": endorser,
            "endorsee_id": endorsee,
            "category": "mounting",
            "at": START + timedelta(minutes=minute),
        }
        if kind == "given":
            data |= {"endorser_tier": step[3], "endorser_completed": step[4], "mentor_cap": step[5]}
        else:
            data |= {"revoked_by": 1 if kind == "revoked" else None}
        events.append(CloudEvent(type=f"endorsement.{kind}", subject=str(endorser), data=data))
    return events


def expected_unlocks(events: list[CloudEvent]) -> set[tuple[int, str]]:
    """The rule, read straight off the history."""
    used: dict[tuple[int, str], int] = {}
    live: dict[int, tuple[int, int, bool]] = {}  # endorsement -> (endorser, endorsee, counts)
    for e in events:
        d = e.data
        if e.type == "endorsement.given":
            month = f"{d['at']:%Y-%m}"
            qualifies = d["endorser_tier"] == "elite" and d["endorser_completed"] >= 10
            counts = qualifies and used.get((d["endorser_id"], month), 0) < d["mentor_cap"]
            if counts:
                used[(d["endorser_id"], month)] = used.get((d["endorser_id"], month), 0) + 1
            live[d["endorsement_id"]] = (d["endorser_id"], d["endorsee_id"], counts)
        else:
            live.pop(d["endorsement_id"], None)
    unlocked = set()
    for endorsee in ENDORSEES:
        mentors = {endorser for endorser, e, counts in live.values() if e == endorsee and counts}
        if len(mentors) >= 2:
            unlocked.add((endorsee, "mounting"))
    return unlocked


def snapshot(platform) -> tuple[list, list]:
    with platform.uow() as uow:
        slots = sorted(
            (s.event_id, s.endorsement_id, s.month, s.counts, s.active) for s in uow.session.exec(select(MentorSlot))
        )
        unlocks = sorted((u.tasker_id, u.category) for u in uow.session.exec(select(MentoredUnlock)))
    return slots, unlocks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, chunk=st.integers(1, 7))
@example(history=UNLOCKING, chunk=2)
def test_replay_equals_live_and_both_follow_the_rule(platform, history, chunk):
    events = events_for(history)
    with platform.uow() as uow:
        uow.session.exec(delete(EventLogRow).where(col(EventLogRow.topic) == "community.activity"))
        for model in (MentorSlot, MentoredUnlock):
            uow.session.exec(delete(model))
        for event in events:
            uow.emit(event, key=str(event.data["endorser_id"]))
        uow.commit()
    with platform.uow() as uow:
        for event in events:  # the live handler, one event at a time
            project_endorsement_event(uow, event)
        uow.commit()
    live = snapshot(platform)
    assert set(live[1]) == expected_unlocks(events)
    result = replay(platform, "network", chunk=chunk)
    assert result.applied == len(events) and result.skipped == 0
    assert snapshot(platform) == live


def test_the_rule_itself_on_a_known_history():
    assert expected_unlocks(events_for(UNLOCKING)) == {(21, "mounting")}
    withdrawn = [*UNLOCKING, (("withdrawn", 12, 21), 4)]
    assert expected_unlocks(events_for(withdrawn)) == set()  # 13's endorsement of 21 was over its allowance
