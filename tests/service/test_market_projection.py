"""The market projection (group "market") is a function of the log, whatever order its five topics
arrive in: generated histories of tasks (priced at the floor or above it, or refused; accepted,
given back (no longer filled) and accepted again, handed off, cancelled by either side, claimed extra time approved or
disputed, completed, paid out) and of board activity, spread over the weekend Springfield's clocks
change, are applied by the live handler one event at a time in an order that interleaves the topics
at random, then replayed topic by topic in chunks; every row must come out equal, and equal to the
counts read straight off the history on the region's local days."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, delete, select

from bench.replay_bench import QUOTE
from events.contracts import EVENT_TYPES
from events.envelope import CloudEvent
from events.tables import EventLogRow
from marketplace.market.models import PROJECTION_TABLES, MarketAcceptBucket, MarketDay
from marketplace.market.projection import bucket_for, project_market_event
from workers.replay import replay

CHICAGO = ZoneInfo("America/Chicago")  # Springfield's zone in the seed
# 2026-03-08: the clocks go from 02:00 to 03:00 in Chicago, a 23-hour local day.
START = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
FLOOR = 2400  # yard-work in Springfield, version 1 of the seed

task_story = st.fixed_dictionaries(
    {
        "priced": st.sampled_from(["floor", "floor", "above", "rejected"]),
        "priced_min": st.integers(0, 3 * 24 * 60),
        "waits": st.lists(st.integers(1, 36 * 60), max_size=6),  # minutes between its lifecycle steps
        "steps": st.lists(
            st.sampled_from(
                [
                    "accepted",
                    "tasker_cancel",
                    "handed_off",
                    "claim",
                    "approved",
                    "disputed",
                    "completed",
                    "client_cancel",
                ]
            ),
            max_size=6,
        ),
        "paid": st.sampled_from([0, 0, 2040, 1500]),
    }
)
board_story = st.lists(
    st.tuples(st.sampled_from(["tip.posted", "tip.voted", "endorsement.given"]), st.integers(0, 4320)), max_size=6
)


def _lifecycle(kind: str, task_id: int, at: datetime, **extra) -> CloudEvent:
    data = {
        "task_id": task_id,
        "client_id": 1,
        "tasker_id": 7,
        "category": "yard-work",
        "region": "springfield",
        "at": at,
    }
    return CloudEvent(type=f"task.{kind}", subject=str(task_id), data=data | extra)


def events_for(stories, board) -> list[tuple[CloudEvent, datetime]]:
    """Each event with the time it happened; per task, lifecycle events in order."""
    out: list[tuple[CloudEvent, datetime]] = []
    for n, story in enumerate(stories, start=1):
        priced_at = START + timedelta(minutes=story["priced_min"])
        quote = (
            None
            if story["priced"] == "rejected"
            else QUOTE | {"rate": FLOOR if story["priced"] == "floor" else FLOOR + 600}
        )
        status = "rejected" if quote is None else "priced"
        data = {
            "task_id": n,
            "status": status,
            "category": "yard-work",
            "region": "springfield",
            "quote": quote,
            "reason": None if quote else "no floor",
            "priced_at": priced_at,
        }
        out.append((CloudEvent(type="task.priced", subject=str(n), data=data), priced_at))
        if quote is None:
            continue
        at = priced_at
        for step, wait in zip(story["steps"], [*story["waits"], *[30] * 6], strict=False):
            at = at + timedelta(minutes=wait)
            if step == "accepted":
                event = _lifecycle("accepted", n, at)
            elif step == "tasker_cancel":
                event = _lifecycle("cancelled", n, at, cancelled_by="tasker", fee=None, reopened=True)
            elif step == "client_cancel":
                event = _lifecycle("cancelled", n, at, cancelled_by="client", fee=None, reopened=False)
            elif step == "handed_off":
                event = _lifecycle("handed_off", n, at, offer_id=n, from_tasker_id=8, late=False)
            elif step == "completed":
                event = _lifecycle("completed", n, at, minutes_worked=75, quote=QUOTE)
            else:
                status = {"claim": "pending", "approved": "approved", "disputed": "disputed"}[step]
                kind = "adjustment_requested" if step == "claim" else "adjustment_decided"
                event = _lifecycle(
                    kind,
                    n,
                    at,
                    minutes_worked=120,
                    booked=QUOTE,
                    claimed=QUOTE,
                    status=status,
                    due_at=at,
                )
            out.append((event, at))
        if story["paid"]:
            at = at + timedelta(hours=1)
            payment = {
                "task_id": n,
                "intent_id": f"pi_{n}",
                "amount": story["paid"],
                "reference": f"tr_{n}",
                "source": "api",
                "stripe_event_id": None,
                "at": at,
            }
            out.append((CloudEvent(type="payment.transferred", subject=str(n), data=payment), at))
    for k, (kind, minute) in enumerate(board, start=1):
        at = START + timedelta(minutes=minute)
        if kind == "endorsement.given":
            data = {
                "endorsement_id": k,
                "endorser_id": 7,
                "endorsee_id": 8,
                "category": "yard-work",
                "at": at,
                "endorser_tier": "elite",
                "endorser_completed": 12,
                "mentor_cap": 3,
            }
        else:
            data = {"tip_id": k, "category": "yard-work", "author_id": 7, "at": at}
            data |= (
                {"title": "t", "body_html": "<p>b</p>"} if kind == "tip.posted" else {"voter_id": 8, "helpful": True}
            )
        out.append((CloudEvent(type=kind, subject=str(k), data=data), at))
    return out


def expected(stories, board) -> tuple[dict, Counter]:
    """The counts read straight off the stories, on Chicago's local days."""
    days: dict = {}

    def row(at: datetime) -> Counter:
        return days.setdefault(at.astimezone(CHICAGO).date(), Counter())

    buckets: Counter = Counter()
    for story in stories:
        priced_at = START + timedelta(minutes=story["priced_min"])
        if story["priced"] == "rejected":
            row(priced_at)["rejected"] += 1
            continue
        cohort = row(priced_at)
        cohort["priced"] += 1
        cohort["at_floor" if story["priced"] == "floor" else "above_floor"] += 1
        at, accepted = priced_at, None  # the acceptance that stands: a give-back undoes it
        for step, wait in zip(story["steps"], [*story["waits"], *[30] * 6], strict=False):
            at = at + timedelta(minutes=wait)
            if step == "accepted" and accepted is None:
                accepted = at
            elif step == "tasker_cancel":
                row(at)["cancelled_by_tasker"] += 1
                accepted = None
            elif step == "client_cancel":
                row(at)["cancelled_by_client"] += 1
            elif step == "handed_off":
                row(at)["handoffs"] += 1
            elif step == "completed":
                row(at).update(completed=1, minutes_worked=75, payout=QUOTE["payout"])
            elif step == "claim":
                row(at)["adjustments_claimed"] += 1
            elif step in ("approved", "disputed"):
                row(at)[f"adjustments_{step}"] += 1
        if accepted is not None:  # filled: accepted, and not given back since
            cohort["accepted"] += 1
            cohort["accept_seconds"] += int((accepted - priced_at).total_seconds())
            buckets[(priced_at.astimezone(CHICAGO).date(), bucket_for((accepted - priced_at).total_seconds()))] += 1
        cohort["paid_out"] += story["paid"]
    return {d: +c for d, c in days.items() if +c}, buckets


def snapshot(platform):
    with platform.uow() as uow:
        s = uow.session
        return [sorted(tuple(r.model_dump().values()) for r in s.exec(select(model))) for model in PROJECTION_TABLES]


def day_counts(platform) -> tuple[dict, Counter]:
    with platform.uow() as uow:
        days = {
            r.day: +Counter({k: v for k, v in r.model_dump().items() if isinstance(v, int)})
            for r in uow.session.exec(select(MarketDay))
        }
        buckets = Counter({(b.day, b.upper_s): b.count for b in uow.session.exec(select(MarketAcceptBucket))})
    return {d: c for d, c in days.items() if c}, +buckets


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stories=st.lists(task_story, max_size=6),
    board=board_story,
    delays=st.fixed_dictionaries(
        {
            t: st.integers(-3000, 3000)
            for t in ("tasks.priced", "tasks.lifecycle", "payments.events", "tips.activity", "community.activity")
        }
    ),
    chunk=st.integers(1, 9),
)
def test_replay_equals_live_whatever_order_the_topics_arrive_in(platform, stories, board, delays, chunk):
    timed = events_for(stories, board)
    with platform.uow() as uow:
        uow.session.exec(delete(EventLogRow))
        for model in PROJECTION_TABLES:
            uow.session.exec(delete(model))
        for event, _ in timed:
            uow.emit(event, key=str(event.subject))
        uow.commit()
    # Live: each topic keeps its own order, but the topics interleave as their delays say.
    arrival = sorted(timed, key=lambda pair: pair[1] + timedelta(minutes=delays[EVENT_TYPES[pair[0].type].topic]))
    per_topic: dict[str, list] = {}
    for event, _ in timed:
        per_topic.setdefault(EVENT_TYPES[event.type].topic, []).append(event)
    order = [e for e, _ in arrival]
    for topic, events in per_topic.items():  # a topic's own order is kept: its events in log order
        slots = [i for i, e in enumerate(order) if EVENT_TYPES[e.type].topic == topic]
        for slot, event in zip(slots, events, strict=True):
            order[slot] = event
    with platform.uow() as uow:
        for event in order:
            project_market_event(uow, event)
        uow.commit()
    live = snapshot(platform)
    assert day_counts(platform) == expected(stories, board)
    result = replay(platform, "market", chunk=chunk)
    assert result.skipped == 0 and result.applied == len(timed)
    assert snapshot(platform) == live


def test_a_day_is_the_regions_local_day_across_the_clock_change(platform):
    """Chicago's 2026-03-08 lasts 23 hours: 05:59Z is still the 7th there, 06:00Z the 8th, and
    04:59Z on the 9th (23:59 CDT) still the 8th."""
    stamps = [
        datetime(2026, 3, 8, 5, 59, tzinfo=UTC),
        datetime(2026, 3, 8, 6, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 4, 59, tzinfo=UTC),
        datetime(2026, 3, 9, 5, 0, tzinfo=UTC),
    ]
    with platform.uow() as uow:
        for n, at in enumerate(stamps, start=1):
            project_market_event(
                uow,
                CloudEvent(
                    type="task.priced",
                    subject=str(n),
                    data={
                        "task_id": n,
                        "status": "priced",
                        "category": "yard-work",
                        "region": "springfield",
                        "quote": QUOTE | {"rate": FLOOR},
                        "reason": None,
                        "priced_at": at,
                    },
                ),
            )
        uow.commit()
        rows = {
            str(r.day): r.priced
            for r in uow.session.exec(select(MarketDay).where(col(MarketDay.region) == "springfield"))
        }
    assert rows == {"2026-03-07": 1, "2026-03-08": 2, "2026-03-09": 1}
