"""`task.available` announcements against the design they replaced: a sweep that read every
subscriber's whole feed. On generated marketplaces (tiers, their windows, rates, a floor's lift,
regions and a region's own rate, skilled and licensed levels, rebookings, payments that fail and
come back, tasks taken before the others' windows open, tasks given back, starts that pass, a restart after a long
pause), the announcer tells exactly the (endpoint, task) pairs the feeds would have, and emails
exactly the (tasker, task) pairs of the taskers who asked for feed emails, sweep after sweep, on
SQLite and PostgreSQL; each once, with the same payload; and a sweep's statements do not grow
with the subscribers.

Over 400 lines on purpose: one property test and the generated marketplaces it needs; the generator
and the checks are read together."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlmodel import col, select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.notifications.announce import FeedMail, announce_available, available_data
from marketplace.notifications.models import Notification, NotificationPref
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, new_secret, queue
from marketplace.taskers.models import MentoredUnlock, TaskerLicense, TaskerRegion, TaskerRegionRate, TaskerSkill
from marketplace.tasks.feed import feed
from marketplace.tasks.models import Task, TaskQuote
from migrations import upgrade
from tests.support import seeded
from workers.links import SiteLinks

WINDOW = (("elite", 0), ("trusted", 60), ("newcomer", 180))
CATEGORIES = ["yard-work", "moving-help", "mounting", "electrical"]  # general, general, skilled, licensed
REGIONS = ["springfield", "riverside", "seattle"]
RATES = [2400, 2600, 3000, 4000, 7000]
MAIL = FeedMail(SiteLinks("https://floorboard.example"), "a test secret", per_day=100_000)  # no cap here


def _quote(task_id: int, rate: int) -> TaskQuote:
    return TaskQuote(
        task_id=task_id,
        kind="posted",
        rate=rate,
        billable_minutes=60,
        subtotal=rate,
        service_fee=0,
        trust_fee=0,
        commission=0,
        total=rate,
        payout=rate,
        platform=0,
        rule_version=1,
    )


def _tasker(session, n: int, regions, skills, tiers=None, licensed=(), mentored=(), kinds=("task.available",)) -> int:
    """A tasker with these regions, skills ({category: rate, or (rate, {region: (its own rate there,
    raised_from, chosen)})}), tiers
    ({category: (tier, completed)}) and one endpoint per entry of `kinds` (None: a disabled one)."""
    user = User(email=f"t{n}@announce.test", password_hash="-", role="tasker", display_name=f"T{n}")
    session.add(user)
    session.flush()
    for region in regions:
        session.add(TaskerRegion(tasker_id=user.id, region=region))
    for category, rate in skills.items():
        own, places = rate if isinstance(rate, tuple) else (rate, {})
        session.add(TaskerSkill(tasker_id=user.id, category=category, rate=own))
        session.flush()
        for region, (there, raised_from, chosen) in places.items():
            session.add(
                TaskerRegionRate(
                    tasker_id=user.id,
                    category=category,
                    region=region,
                    rate=there,
                    raised_from=raised_from,
                    chosen=chosen,
                )
            )
    for category, (tier, completed) in (tiers or {}).items():
        session.add(Reputation(tasker_id=user.id, category=category, tier=tier, completed=completed))
    for category in licensed:
        session.add(TaskerLicense(tasker_id=user.id, category=category, verified_by=user.id))
    for category in mentored:
        session.add(MentoredUnlock(tasker_id=user.id, category=category, unlocked_at=utcnow()))
    for k in kinds:
        status = "disabled" if k is None else "active"
        session.add(
            WebhookEndpoint(
                tasker_id=user.id,
                url=f"https://t{n}.announce.test/",
                kinds=k or "task.available",
                secret=new_secret(),
                status=status,
            )
        )
    session.flush()
    return user.id


@dataclass
class Scenario:
    """Taskers, then tasks changing at given moments, and the moments the sweeps run."""

    client_id: int = 0
    taskers: list[int] = field(default_factory=list)
    changes: list[tuple[datetime, int, dict]] = field(default_factory=list)  # (at, task index, new values)
    new_tasks: list[tuple[datetime, dict, int]] = field(default_factory=list)  # (at, values, rate)
    sweeps: list[datetime] = field(default_factory=list)
    restart_before: int = -1  # the sweep before which the sender "restarts" after a long pause


def _generate(session, rng: random.Random, t0: datetime) -> Scenario:
    sc = Scenario()
    client = User(email="client@announce.test", password_hash="-", role="client", display_name="C")
    session.add(client)
    session.flush()
    sc.client_id = client.id
    for n in range(30):
        regions = rng.sample(REGIONS, rng.choice([0, 1, 2, 2, 3]))
        skills: dict = {}
        for category in rng.sample(CATEGORIES, rng.choice([0, 1, 2, 3, 4])):
            rate = rng.choice(RATES)
            places = {}
            for region in regions:
                roll = rng.random()
                if roll < 0.15:  # a floor's lift there: the skill's rate is the tasker's own
                    places[region] = (rate + 1000, rate, False)
                elif roll < 0.3:  # a rate of the region's own, chosen by the tasker
                    places[region] = (rng.choice(RATES), None, True)
                elif roll < 0.4:  # a chosen rate a floor lifted: the chosen one is the lower
                    chosen = rng.choice(RATES)
                    places[region] = (chosen + 1000, chosen, True)
            skills[category] = (rate, places) if places else rate
        tiers = {
            c: (rng.choice(["newcomer", "trusted", "elite"]), rng.choice([0, 2, 6]))
            for c in CATEGORIES
            if rng.random() < 0.6
        }
        licensed = ["electrical"] if rng.random() < 0.5 else []
        mentored = ["mounting"] if rng.random() < 0.2 else []
        kinds = rng.choice(
            [("task.available",), ("message.sent,task.available",), ("message.sent",), (None,), ("task.available",) * 2]
        )
        sc.taskers.append(_tasker(session, n, regions, skills, tiers, licensed, mentored, kinds))
    for _ in range(60):
        priced = t0 + timedelta(seconds=rng.randint(-200, 900))
        values = {
            "category": rng.choice(CATEGORIES),
            "region": rng.choice(REGIONS),
            "priced_at": priced,
            "payment_status": "pending",
            "starts_at": t0 + timedelta(days=2),
        }
        if rng.random() < 0.15:  # starts while the sweeps run: it closes then
            values["starts_at"] = priced + timedelta(seconds=rng.randint(30, 400))
        index = len(sc.new_tasks)
        sc.new_tasks.append((priced, values, rng.choice(RATES)))
        booked = priced + timedelta(seconds=rng.choice([0, 0, rng.randint(1, 300)]))
        sc.changes.append((booked, index, {"payment_status": "authorized"}))
        roll = rng.random()
        later = booked + timedelta(seconds=rng.randint(1, 250))
        if roll < 0.15:  # taken, perhaps before some tiers' windows opened: not for them
            sc.changes.append((later, index, {"status": "accepted", "tasker_id": rng.choice(sc.taskers)}))
        elif roll < 0.25:  # taken, then given back: back in the feed behind the windows again
            back = later + timedelta(seconds=rng.randint(1, 200))
            sc.changes.append((later, index, {"status": "accepted", "tasker_id": rng.choice(sc.taskers)}))
            sc.changes.append((back, index, {"status": "priced", "tasker_id": None, "priced_at": back}))
        elif roll < 0.35:  # the hold failed, then the card was authorized again
            back = later + timedelta(seconds=rng.randint(1, 200))
            sc.changes.append((later, index, {"payment_status": "failed"}))
            sc.changes.append((back, index, {"payment_status": "authorized"}))
        elif roll < 0.5:  # a rebooking: its addressee alone, then (lapsed or declined) everyone
            values["addressed_to_id"] = rng.choice(sc.taskers)
            values["addressed_until"] = priced + timedelta(seconds=100)
            lapsed = priced + timedelta(seconds=rng.randint(20, 160))
            sc.changes.append((lapsed, index, {"addressed_to_id": None, "addressed_until": None, "priced_at": lapsed}))
    at = t0
    for i in range(60):
        at += timedelta(seconds=rng.choice([1, 5, 5, 5, 17, 40]))
        if i == 35:  # the sender is down for ten minutes: tasks open and windows pass meanwhile
            at += timedelta(minutes=10)
            sc.restart_before = len(sc.sweeps)
        sc.sweeps.append(at)
    sc.sweeps.append(at + timedelta(days=1))  # every window long passed
    return sc


def _subscribed(session) -> dict[int, list[int]]:
    """tasker -> the endpoints that want task.available, as the old sweep chose them."""
    endpoints: dict[int, list[int]] = {}
    for e in session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))):
        if e.wants("task.available"):
            endpoints.setdefault(e.tasker_id, []).append(e.id)
    return endpoints


def _per_feed(session, endpoints: dict[int, list[int]], now: datetime) -> set[tuple[int, int]]:
    """The replaced design: every subscriber's whole feed (no page limit), as (endpoint, task)."""
    pairs = set()
    for tasker_id, ids in endpoints.items():
        tasks, total = feed(session, tasker_id, WINDOW, now, 1, 10_000)
        assert len(tasks) == total
        pairs |= {(e, task.id) for task in tasks for e in ids}
    return pairs


def _ask_for_feed_emails(session, tasker_ids: list[int]) -> None:
    for n, tasker_id in enumerate(tasker_ids):
        session.add(NotificationPref(user_id=tasker_id, kind="task.available", mode=["instant", "digest"][n % 2]))
    session.flush()


def _emailed(session) -> list[tuple[int, int]]:
    """(tasker, task) of each feed email."""
    rows = session.exec(
        select(Notification.recipient_id, Notification.event_id).where(col(Notification.kind) == "task.available")
    ).all()
    return [(recipient_id, int(event_id.split(":")[1])) for recipient_id, event_id in rows]


def _delivered(session) -> list[tuple[int, int]]:
    rows = session.exec(select(WebhookDelivery.endpoint_id, WebhookDelivery.event_id)).all()
    return [(endpoint_id, int(event_id.split(":")[1])) for endpoint_id, event_id in rows]


def _apply(session, task_ids: list[int], sc: Scenario, done: int, now: datetime) -> int:
    """Post the tasks priced by `now` and make the changes due by then; the count of changes made."""
    for at, values, rate in sc.new_tasks[len(task_ids) :]:
        if at > now:
            break
        task = Task(client_id=sc.client_id, title="Rake the leaves", estimated_minutes=60, status="priced", **values)
        session.add(task)
        session.flush()
        session.add(_quote(task.id, rate))
        task_ids.append(task.id)
    due = sorted(((at, k) for k, (at, _, _) in enumerate(sc.changes)), key=lambda p: p[0])
    for at, k in due[done:]:
        _, index, values = sc.changes[k]
        if at > now or index >= len(task_ids):
            break
        task = session.get_one(Task, task_ids[index])
        for name, value in values.items():
            setattr(task, name, value)
        session.add(task)
        done += 1
    session.flush()
    return done


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_the_announcer_tells_whom_the_feeds_would_sweep_after_sweep(database, seed, request, make_platform):
    url = request.getfixturevalue(f"{database}_url")
    platform = seeded(make_platform(url))
    t0 = utcnow()
    with platform.uow() as uow:
        sc = _generate(uow.session, random.Random(seed), t0)
        mailed = sc.taskers[::3]
        _ask_for_feed_emails(uow.session, mailed)
        uow.commit()
    # Tasks are posted in order of their pricing time, so the changes refer to them by index.
    order = sorted(range(len(sc.new_tasks)), key=lambda k: sc.new_tasks[k][0])
    rename = {old: new for new, old in enumerate(order)}
    sc.new_tasks = [sc.new_tasks[k] for k in order]
    sc.changes = [(at, rename[index], values) for at, index, values in sc.changes]
    task_ids: list[int] = []
    expected: set[tuple[int, int]] = set()
    expected_emails: set[tuple[int, int]] = set()
    done, announced_late = 0, 0
    for i, now in enumerate(sc.sweeps):
        if i == sc.restart_before:
            platform = make_platform(url)  # a new process: nothing kept but the database
        with platform.uow() as uow:
            done = _apply(uow.session, task_ids, sc, done, now)
            uow.commit()
        with platform.uow() as uow:
            before = set(_delivered(uow.session))
            emailed_before = set(_emailed(uow.session))
            expected |= _per_feed(uow.session, _subscribed(uow.session), now)
            expected_emails |= _per_feed(uow.session, {t: [t] for t in mailed}, now)
            queued = announce_available(uow, WINDOW, now, MAIL)
            uow.commit()
        with platform.uow() as uow:
            delivered = _delivered(uow.session)
            emailed = _emailed(uow.session)
        assert len(delivered) == len(set(delivered))  # once per endpoint and task
        assert set(delivered) == expected, f"sweep {i} at +{(now - t0).total_seconds():.0f} s"
        assert len(emailed) == len(set(emailed))  # once per tasker and task
        assert set(emailed) == expected_emails, f"emails, sweep {i} at +{(now - t0).total_seconds():.0f} s"
        assert queued == len(set(delivered) - before) + len(set(emailed) - emailed_before)
        announced_late += len({t for _, t in set(delivered) - before} & {t for _, t in before})
    assert len(expected) >= 60, f"the scenario should announce more than {len(expected)}"
    assert len(expected_emails) >= 20, f"the scenario should email more than {len(expected_emails)}"
    assert announced_late > 0, "some task should reach a later tier in a later sweep"


def test_the_upgrade_counts_the_tasks_open_then_as_announced_and_the_windows_still_to_open_are(tmp_path, make_platform):
    """The cut-over: the old sweep had told whom these tasks were open to; the new one takes over
    from the upgrade, so a tier whose window opens later still hears of them, and nobody twice."""
    url = f"sqlite:///{tmp_path / 'upgraded.db'}"
    upgrade(url, "0016")
    platform = seeded(make_platform(url))
    t0 = utcnow()
    with platform.uow() as uow:
        s = uow.session
        _tasker(s, 0, ["springfield"], {"yard-work": 2400}, {"yard-work": ("elite", 0)})
        newcomer = _tasker(s, 1, ["springfield"], {"yard-work": 2400})
        client = User(email="c@announce.test", password_hash="-", role="client")
        s.add(client)
        s.flush()
        task = Task(
            client_id=client.id,
            category="yard-work",
            region="springfield",
            title="Rake",
            estimated_minutes=60,
            starts_at=t0 + timedelta(days=2),
            status="priced",
            priced_at=t0 - timedelta(seconds=30),
            payment_status="authorized",
        )
        s.add(task)
        s.flush()
        s.add(_quote(task.id, 2400))
        uow.commit()
    upgrade(url, "head")
    with platform.uow() as uow:
        assert announce_available(uow, WINDOW, utcnow()) == 0  # open to the elite tasker before: told then
        uow.commit()
    with platform.uow() as uow:
        assert announce_available(uow, WINDOW, t0 + timedelta(seconds=151)) == 1
        endpoints = {e.id: e.tasker_id for e in uow.session.exec(select(WebhookEndpoint))}
        assert [(endpoints[e], t) for e, t in _delivered(uow.session)] == [(newcomer, task.id)]


def test_a_task_taken_before_a_tier_s_window_opens_is_never_announced_to_that_tier(platform):
    t0 = utcnow()
    with platform.uow() as uow:
        s = uow.session
        ids = {
            tier: _tasker(s, n, ["springfield"], {"yard-work": 2400}, {"yard-work": (tier, 0)})
            for n, tier in enumerate(["elite", "trusted", "newcomer"])
        }
        client = User(email="c@announce.test", password_hash="-", role="client")
        s.add(client)
        s.flush()
        task = Task(
            client_id=client.id,
            category="yard-work",
            region="springfield",
            title="Rake",
            estimated_minutes=60,
            starts_at=t0 + timedelta(days=2),
            status="priced",
            priced_at=t0,
            payment_status="authorized",
        )
        s.add(task)
        s.flush()
        s.add(_quote(task.id, 2400))
        uow.commit()
    with platform.uow() as uow:
        assert announce_available(uow, WINDOW, t0 + timedelta(seconds=1)) == 1  # the elite tasker
        uow.commit()
    with platform.uow() as uow:
        taken = uow.session.get_one(Task, task.id)
        taken.status, taken.tasker_id = "accepted", ids["elite"]
        uow.session.add(taken)
        uow.commit()
    for later in (61, 181, 3600):
        with platform.uow() as uow:
            assert announce_available(uow, WINDOW, t0 + timedelta(seconds=later)) == 0
            uow.commit()
    with platform.uow() as uow:
        [(endpoint_id, _)] = _delivered(uow.session)
        assert uow.session.get_one(WebhookEndpoint, endpoint_id).tasker_id == ids["elite"]


def test_after_a_pause_what_opened_meanwhile_is_announced_once_and_nothing_again(sqlite_url, make_platform):
    platform = seeded(make_platform(sqlite_url))
    t0 = utcnow()
    with platform.uow() as uow:
        s = uow.session
        elite = _tasker(s, 0, ["springfield"], {"yard-work": 2400}, {"yard-work": ("elite", 0)})
        newcomer = _tasker(s, 1, ["springfield"], {"yard-work": 2400})
        client = User(email="c@announce.test", password_hash="-", role="client")
        s.add(client)
        s.flush()

        def post(priced_at: datetime) -> int:
            task = Task(
                client_id=client.id,
                category="yard-work",
                region="springfield",
                title="Rake",
                estimated_minutes=60,
                starts_at=t0 + timedelta(days=2),
                status="priced",
                priced_at=priced_at,
                payment_status="authorized",
            )
            s.add(task)
            s.flush()
            s.add(_quote(task.id, 2400))
            return task.id

        before = post(t0)
        uow.commit()
    with platform.uow() as uow:
        assert announce_available(uow, WINDOW, t0 + timedelta(seconds=5)) == 1  # the elite tasker
        uow.commit()
    # Down for an hour: the newcomer's window for the first task passes, and two tasks open.
    with platform.uow() as uow:
        s = uow.session
        during = [post(t0 + timedelta(minutes=20)), post(t0 + timedelta(minutes=59, seconds=30))]
        uow.commit()
    platform = make_platform(sqlite_url)  # restarted
    back = t0 + timedelta(hours=1)
    with platform.uow() as uow:
        # the first task to the newcomer; the second to both; the third (30 s old) to the elite alone
        assert announce_available(uow, WINDOW, back) == 4
        uow.commit()
    for later in (back + timedelta(seconds=1), back + timedelta(seconds=2)):
        with platform.uow() as uow:
            assert announce_available(uow, WINDOW, later) == 0
            uow.commit()
    with platform.uow() as uow:
        assert announce_available(uow, WINDOW, back + timedelta(seconds=151)) == 1  # the third, to the newcomer
        uow.commit()
    with platform.uow() as uow:
        endpoints = {e.id: e.tasker_id for e in uow.session.exec(select(WebhookEndpoint))}
        told = sorted((endpoints[e], t) for e, t in _delivered(uow.session))
    assert told == sorted(
        [(elite, before), (newcomer, before)] + [(who, t) for t in during for who in (elite, newcomer)]
    )


def test_a_delivery_says_what_it_always_said(platform):
    t0 = utcnow()
    with platform.uow() as uow:
        s = uow.session
        tasker = _tasker(s, 0, ["springfield"], {"yard-work": 2400}, {"yard-work": ("elite", 0)})
        client = User(email="c@announce.test", password_hash="-", role="client")
        s.add(client)
        s.flush()
        task = Task(
            client_id=client.id,
            category="yard-work",
            region="springfield",
            title='Rake "the" leaves, é',
            area="Oak Park",
            estimated_minutes=90,
            starts_at=t0 + timedelta(days=2),
            status="priced",
            priced_at=t0,
            payment_status="authorized",
        )
        s.add(task)
        s.flush()
        s.add(_quote(task.id, 2400))
        uow.commit()
    with platform.uow() as uow:
        assert announce_available(uow, WINDOW, t0 + timedelta(seconds=1)) == 1
        [delivery] = uow.session.exec(select(WebhookDelivery)).all()
        queue(uow, "task.available", tasker, "probe", available_data(task))  # how every other kind is written
        probe = uow.session.exec(select(WebhookDelivery).where(col(WebhookDelivery.event_id) == "probe")).one()
    assert _said(delivery.payload) == _said(probe.payload)
    assert (delivery.kind, delivery.event_id) == ("task.available", f"available:{task.id}")
    body = json.loads(delivery.payload)
    assert {k: body[k] for k in ("type", "data")} == {
        "type": "task.available",
        "data": {
            "task_id": task.id,
            "title": 'Rake "the" leaves, é',
            "category": "yard-work",
            "region": "springfield",
            "area": "Oak Park",
            "starts_at": task.starts_at.isoformat(),
            "estimated_minutes": 90,
        },
    }


def _said(payload: str) -> dict:
    """A delivery's body without the moment it was written (an envelope may carry one)."""
    body = json.loads(payload)
    body.pop("timestamp", None)
    return body


def _statements(platform, sweep) -> int:
    count = 0

    def counted(*_):
        nonlocal count
        count += 1

    sa_event.listen(platform.engine, "before_cursor_execute", counted)
    try:
        with platform.uow() as uow:
            sweep(uow)
            uow.commit()
    finally:
        sa_event.remove(platform.engine, "before_cursor_execute", counted)
    return count


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_sweep_s_statements_do_not_grow_with_the_subscribers(database, request, make_platform):
    """A sweep when nothing opened, one when tasks opened, and one when a tier's window opened,
    each make as many statements for 40 subscribers as for 4 (the old sweep made several per
    subscriber, and one per item of each feed)."""
    platform = seeded(make_platform(request.getfixturevalue(f"{database}_url")))
    with platform.uow() as uow:
        client = User(email="c@announce.test", password_hash="-", role="client")
        uow.session.add(client)
        uow.commit()

    def open_tasks(n: int, at: datetime) -> None:
        with platform.uow() as uow:
            for _ in range(n):
                task = Task(
                    client_id=client.id,
                    category="yard-work",
                    region="springfield",
                    title="Rake",
                    estimated_minutes=60,
                    starts_at=at + timedelta(days=2),
                    status="priced",
                    priced_at=at,
                    payment_status="authorized",
                )
                uow.session.add(task)
                uow.session.flush()
                uow.session.add(_quote(task.id, 2400))
            uow.commit()

    def sweep_at(at: datetime) -> int:
        return _statements(platform, lambda uow: announce_available(uow, WINDOW, at, MAIL))

    counts, subscribers = [], 0
    for more in (4, 36):  # 4 subscribers, then 40: each round's tasks open after its taskers subscribed
        with platform.uow() as uow:
            for n in range(subscribers, subscribers + more):
                tasker_id = _tasker(
                    uow.session,
                    n,
                    ["springfield"],
                    {"yard-work": 2400},
                    {"yard-work": (["elite", "newcomer"][n % 2], 0)},
                )
                _ask_for_feed_emails(uow.session, [tasker_id])
            uow.commit()
        subscribers += more
        t0 = utcnow() + timedelta(hours=len(counts))
        with platform.uow() as uow:
            delivered = len(_delivered(uow.session))
        open_tasks(10, t0)
        sweep_at(t0 + timedelta(seconds=1))
        idle = sweep_at(t0 + timedelta(seconds=2))
        open_tasks(5, t0 + timedelta(seconds=3))
        opened = sweep_at(t0 + timedelta(seconds=4))
        crossed = sweep_at(t0 + timedelta(seconds=190))
        with platform.uow() as uow:
            assert len(_delivered(uow.session)) - delivered == 15 * subscribers  # each heard of each task, once
            assert sorted(_emailed(uow.session)) == sorted(  # each endpoint is its tasker's only one
                (tasker_id, task_id)
                for endpoint_id, task_id in _delivered(uow.session)
                for tasker_id in [uow.session.get_one(WebhookEndpoint, endpoint_id).tasker_id]
            )
        counts.append((idle, opened, crossed))
    assert counts[0] == counts[1], counts
