"""Broker faults on a replicated cluster lose nothing and repeat nothing.

Three brokers of this module's own (`services/kafka.sh cluster-start`), topics with three copies
and min.insync.replicas 2, and real processes throughout (`floorboard serve`, the relay, the
pricing workers) on PostgreSQL:
- 8 clients post while the broker leading most partitions of tasks.posted and tasks.lifecycle is
  killed -9 and started again;
- two processes share each consumer group and one of each is killed -9 mid-stream: the other
  takes over;
- the three brokers are restarted one at a time while the clients post.
Afterwards every accepted posting is in the database once, priced once, its events published, and
`floorboard audit` is clean. The cluster runs for this module only; one that cannot start fails
the tests (three JVMs on a small machine: kept to short loads).

Over 400 lines on purpose: one cluster and one fleet harness, and the three faults run on them."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlmodel import col, func, select

from cli.demo import seed_demo
from events.tables import EventLogRow, ProcessedEvent
from events.topics import CONSUMER_GROUPS
from marketplace.community.models import BoardEntry
from marketplace.payments.ledger import task_totals
from marketplace.payments.models import Payment, PaymentCall
from marketplace.taskers.models import MentorSlot
from marketplace.tasks.models import ReviewPending, ReviewReveal, Task, TaskStatus
from tests.cluster_stream import STREAM_GROUPS, Stream
from tests.faults import PrivateCluster, free_port
from tests.support import TASK_BODY, wait_until

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")
CLIENTS = 8
HOT_TOPICS = ("tasks.posted", "tasks.lifecycle")


@pytest.fixture(scope="module")
def cluster(kafka_server):  # kafka_server: the suite's broker, whose start fetched Apache Kafka
    brokers = PrivateCluster()
    try:
        brokers.start()
        wait_until(lambda: len(_live_brokers(brokers.bootstrap)) == 3, timeout=120, step=_pause, message="3 brokers")
        yield brokers
    finally:
        try:
            brokers.stop()
        finally:
            brokers.remove()


def _pause() -> None:
    time.sleep(0.5)


def _admin(bootstrap: str):
    from kafka import KafkaAdminClient

    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)


def _live_brokers(bootstrap: str) -> set[int]:
    try:
        admin = _admin(bootstrap)
    except Exception:  # noqa: BLE001 - not up yet
        return set()
    try:
        return {b["broker_id"] for b in admin.describe_cluster()["brokers"] if not b.get("is_fenced")}
    finally:
        admin.close()


def _partitions(platform, topics) -> list[dict]:
    admin = _admin(platform.settings.kafka_bootstrap_servers)
    try:
        described = admin.describe_topics([platform.settings.topic_prefix + t for t in topics])
    finally:
        admin.close()
    return [p for t in described for p in t["partitions"]]


def _busiest_leader(platform) -> int:
    leaders = Counter(p["leader_id"] for p in _partitions(platform, HOT_TOPICS))
    return leaders.most_common(1)[0][0]


def _fully_replicated(platform) -> bool:
    try:
        return all(len(p["isr_nodes"]) == 3 for p in _partitions(platform, HOT_TOPICS + ("tasks.priced",)))
    except Exception:  # noqa: BLE001 - a broker is still coming back
        return False


def _env(platform) -> dict:
    s = platform.settings
    return {
        **os.environ,
        "DATABASE_URL": s.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers or "",
        "FLOORBOARD_TOPIC_PREFIX": s.topic_prefix,
        "FLOORBOARD_TOPIC_REPLICATION": "3",
        "FLOORBOARD_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "SECRET_KEY": "cluster-faults-" + "k" * 40,
        "FLOORBOARD_PASSWORD_HASHING": "standard",  # serve refuses the suite's cheap hashing
        "FLOORBOARD_ALLOW_ASYNC_COMMIT": "1",
        "RATELIMIT_POSTING": "100000000 per minute",
        "RATELIMIT_SIGNUP": "100000 per hour",
        "LOG_LEVEL": "WARNING",
        **{
            name: value
            for name, value in (
                ("STRIPE_SECRET_KEY", s.stripe_secret_key),
                ("STRIPE_API_BASE", s.stripe_api_base),
                ("STRIPE_CONNECT_API_BASE", s.stripe_connect_api_base),
            )
            if value
        },
    }


class Fleet:
    """Floorboard's processes for one test, each logging to a file of its own; all stopped at the end."""

    def __init__(self, platform, log_dir: Path):
        self.env = _env(platform)
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "a") as log:  # the child keeps its own descriptor
            self.processes[name] = subprocess.Popen(
                [FLOORBOARD, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self.processes[name]

    def serve(self) -> str:
        port = free_port()
        process = self.start("serve", "serve", "--workers", "2", "--plain-http", "--bind", f"127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert process.poll() is None, (self.log_dir / "serve.log").read_text()[-3000:]
            try:
                return requests.get(base + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, timeout=90, step=_pause, message="floorboard serve")
        return base

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


class Posters:
    """CLIENTS clients, each posting over its own connection until stopped: every status answered,
    and the id of every posting accepted (202)."""

    def __init__(self, base: str):
        self.base = base
        self.headers = []
        for i in range(CLIENTS):
            email = f"poster-{i}-{secrets.token_hex(4)}@example.test"
            password = "correct horse battery staple"
            requests.post(
                base + "/api/v1/users", json={"email": email, "password": password, "role": "client"}, timeout=30
            ).raise_for_status()
            r = requests.post(base + "/api/v1/auth/token", json={"email": email, "password": password}, timeout=30)
            r.raise_for_status()
            self.headers.append({"Authorization": f"Bearer {r.json()['token']}"})
        self.statuses: Counter = Counter()
        self.ids: list[int] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._post, args=(h,), daemon=True) for h in self.headers]

    def _post(self, headers: dict) -> None:
        with requests.Session() as session:
            while not self.stopping.is_set():
                try:
                    r = session.post(self.base + "/api/v1/tasks", json=TASK_BODY, headers=headers, timeout=60)
                except requests.RequestException as exc:
                    with self.lock:
                        self.failures.append(repr(exc))
                    continue
                with self.lock:
                    self.statuses[r.status_code] += 1
                    if r.status_code == 202:
                        self.ids.append(r.json()["id"])
                    elif r.status_code == 503:
                        time.sleep(0.2)

    def accepted(self) -> int:
        with self.lock:
            return len(self.ids)

    @contextmanager
    def running(self):
        for t in self.threads:
            t.start()
        try:
            yield self
        finally:
            self.stopping.set()
            for t in self.threads:
                t.join(timeout=90)


def _count(platform, statement) -> int:
    with platform.uow() as uow:
        return uow.session.exec(statement).one()


def _priced(platform) -> int:
    """Tasks priced (and any booked and worked since)."""
    unpriced = (TaskStatus.posted, TaskStatus.rejected)
    return _count(platform, select(func.count()).select_from(Task).where(col(Task.status).not_in(unpriced)))


def _published(platform) -> int:
    return _count(
        platform, select(func.count()).select_from(EventLogRow).where(col(EventLogRow.published_at).is_not(None))
    )


def _unpublished(platform) -> int:
    return _count(
        platform, select(func.count()).select_from(EventLogRow).where(col(EventLogRow.published_at).is_(None))
    )


def _accepted_more(posters: Posters, n: int, what: str) -> None:
    target = posters.accepted() + n
    wait_until(lambda: posters.accepted() >= target, timeout=180, step=_pause, message=f"{n} postings {what}")


def _settled_exactly_once(platform, fleet: Fleet, expected_ids: set[int]) -> None:
    """Every expected task priced once, no other task, every event published, audit clean."""
    n = len(expected_ids)
    wait_until(lambda: _priced(platform) >= n, timeout=300, step=_pause, message=f"all {n} postings priced")
    wait_until(lambda: _unpublished(platform) == 0, timeout=120, step=_pause, message="every event published")
    time.sleep(2)  # room for a late duplicate to show itself
    with platform.uow() as uow:
        ids = set(uow.session.exec(select(Task.id)).all())
    assert ids == expected_ids, "a posting was lost, or one not accepted was stored"
    assert _priced(platform) == n, "a posting is stuck unpriced"
    priced_events = select(func.count()).select_from(EventLogRow).where(col(EventLogRow.topic) == "tasks.priced")
    assert _count(platform, priced_events) == n, "a posting was priced twice, or not at all"
    processed = select(func.count()).select_from(ProcessedEvent).where(col(ProcessedEvent.consumer) == "pricing")
    assert _count(platform, processed) == n
    assert platform.transport.count("tasks.posted") >= n  # on the cluster (a re-send may repeat one)
    assert platform.transport.count("tasks.posted.dlq") == 0
    audit = subprocess.run(
        [FLOORBOARD, "audit"], env=fleet.env, capture_output=True, text=True, timeout=300, check=False
    )
    assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr[-3000:]


def _seeded(make_platform, postgres_url, cluster, **settings):
    platform = make_platform(
        postgres_url, cluster.bootstrap, topic_replication=3, kafka_session_timeout_ms=6000, **settings
    )
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        uow.commit()
    assert {len(p["replica_nodes"]) for p in _partitions(platform, HOT_TOPICS)} == {3}
    return platform


def _answers_only_202_or_503(posters: Posters) -> None:
    assert posters.failures == [], posters.failures[:5]
    assert set(posters.statuses) <= {202, 503}, posters.statuses
    assert len(posters.ids) == len(set(posters.ids)) == posters.statuses[202]


def test_killing_the_busiest_leader_under_load_loses_and_repeats_nothing(
    cluster, make_platform, postgres_url, tmp_path
):
    platform = _seeded(make_platform, postgres_url, cluster)
    fleet = Fleet(platform, tmp_path)
    try:
        base = fleet.serve()
        fleet.start("relay", "worker", "relay")
        fleet.start("pricing", "worker", "pricing")
        posters = Posters(base)
        with posters.running():
            _accepted_more(posters, 150, "before the kill")
            leader = _busiest_leader(platform)
            cluster.kill(leader)
            published_at_kill = _published(platform)
            # Posting goes on while the broker is away; the relay publishes to the new leaders.
            _accepted_more(posters, 150, "with the leader dead")
            wait_until(
                lambda: _published(platform) > published_at_kill + 100,
                timeout=120,
                step=_pause,
                message="the relay publishing on two brokers",
            )
            assert leader not in {p["leader_id"] for p in _partitions(platform, HOT_TOPICS)}
            cluster.restart(leader)
            wait_until(lambda: _fully_replicated(platform), timeout=180, step=_pause, message="the broker back in sync")
            _accepted_more(posters, 100, "after the restart")
        _answers_only_202_or_503(posters)
        _settled_exactly_once(platform, fleet, set(posters.ids))
        assert all(p.poll() is None for p in fleet.processes.values()), "a process died on the leader change"
    finally:
        fleet.stop()


def test_a_rolling_restart_of_every_broker_under_load_loses_nothing(cluster, make_platform, postgres_url, tmp_path):
    platform = _seeded(make_platform, postgres_url, cluster)
    fleet = Fleet(platform, tmp_path)
    try:
        base = fleet.serve()
        fleet.start("relay", "worker", "relay")
        fleet.start("pricing", "worker", "pricing")
        posters = Posters(base)
        with posters.running():
            _accepted_more(posters, 100, "before the restarts")
            for broker in (1, 2, 3):
                cluster.restart(broker)  # a clean stop, then a start on its data
                wait_until(
                    lambda: _fully_replicated(platform), timeout=180, step=_pause, message=f"broker {broker} in sync"
                )
                _accepted_more(posters, 50, f"after broker {broker} restarted")
        _answers_only_202_or_503(posters)
        _settled_exactly_once(platform, fleet, set(posters.ids))
        assert all(p.poll() is None for p in fleet.processes.values()), "a process died in the rolling restart"
    finally:
        fleet.stop()


def test_two_processes_share_each_group_and_the_survivor_takes_over_from_a_killed_one(
    cluster, make_platform, postgres_url, stripe_settings, tmp_path
):
    """Every consumer group (tests/cluster_stream.py), two members each. Once each group is
    part-way through the first half of the stream, one member of every group is killed -9; the
    second half is then written, so the survivor must take over the dead member's partitions. Each
    event is processed once per group, and each group's effects happened once: one capture and one
    transfer per completed task on the Stripe servers, one reveal per reviewed task, one mentor slot
    per endorsement."""
    platform = _seeded(make_platform, postgres_url, cluster, **stripe_settings)
    stream = Stream(platform)
    stream.connect(step=1)
    stream.write_half(postings=1000)
    fleet = Fleet(platform, tmp_path)
    names = [platform.settings.topic_prefix + g for g in STREAM_GROUPS]
    try:
        for name in STREAM_GROUPS:
            fleet.start(f"{name}-1", "worker", name)
            fleet.start(f"{name}-2", "worker", name)

        def two_members_each() -> bool:
            admin = _admin(cluster.bootstrap)
            try:
                described = admin.describe_groups(names)
            except Exception:  # noqa: BLE001 - the groups are still forming
                return False
            finally:
                admin.close()
            return all(
                (described.get(g) or {}).get("group_state") == "Stable"
                and len((described.get(g) or {}).get("members") or []) == 2
                for g in names
            )

        wait_until(two_members_each, timeout=180, step=_pause, message="two members in each group")
        fleet.start("relay", "worker", "relay")  # the stream starts once both share the partitions
        fleet.start("payment-calls", "worker", "payment-calls")  # makes the captures and transfers
        worked = 3 * len(stream.people)  # three tasks each: enough to endorse for yard work
        wait_until(lambda: _priced(platform) >= worked, timeout=180, step=_pause, message="tasks to work priced")
        stream.work(worked)
        under_way = set()

        def kill_each_once_under_way() -> bool:
            for name in set(STREAM_GROUPS) - under_way:
                if stream.processed(name) > 0:
                    member = fleet.processes[f"{name}-1"]
                    member.send_signal(signal.SIGKILL)
                    assert member.wait(timeout=30) == -signal.SIGKILL
                    under_way.add(name)
            return under_way == set(STREAM_GROUPS)

        wait_until(kill_each_once_under_way, timeout=180, step=_pause, message="every group under way")
        stream.write_half(postings=1000)
        stream.work(worked)
        wait_until(stream.can_endorse, timeout=180, step=_pause, message="the taskers' completions counted")
        stream.endorse(step=1)
        _settled_exactly_once(platform, fleet, stream.task_ids)
        _effects_once(platform, stream)
        wait_until(lambda: _unpublished(platform) == 0, timeout=120, step=_pause, message="the effects' events out")
        expected = {name: stream.events_for(name) for name in STREAM_GROUPS}

        def caught_up() -> bool:
            return all(stream.processed(name) >= expected[name] for name in STREAM_GROUPS)

        wait_until(caught_up, timeout=300, step=_pause, message="every group caught up")
        time.sleep(2)  # room for a late duplicate to show itself
        assert {name: stream.processed(name) for name in STREAM_GROUPS} == expected
        assert stream.events_for("pricing") == len(stream.task_ids)
        assert expected["tasker-rates"] >= stream.floor_changes
        with platform.uow() as uow:  # the tips board counted every vote once
            helpful = uow.session.exec(select(func.sum(BoardEntry.helpful))).one()
        assert helpful == stream.helpful_votes
        for topic in {t for name in STREAM_GROUPS for t in CONSUMER_GROUPS[name]}:
            assert platform.transport.count(topic + ".dlq") == 0, topic
        assert all(fleet.processes[f"{name}-2"].poll() is None for name in STREAM_GROUPS)
    finally:
        fleet.stop()


def _effects_once(platform, stream: Stream) -> None:
    """payments: one capture and one transfer per completed task, both answered, and each task's
    ledger sums to zero; reviews: one pending row and one reveal per task reviewed by both sides;
    network: one mentor slot per endorsement."""
    done = len(stream.completed)

    def captured_and_paid() -> bool:
        statement = select(func.count()).select_from(Payment).where(col(Payment.transfer_id).is_not(None))
        return _count(platform, statement) >= done

    wait_until(captured_and_paid, timeout=180, step=_pause, message="every completed task captured and paid out")
    with platform.uow() as uow:
        calls = uow.session.exec(select(PaymentCall.task_id, PaymentCall.operation, PaymentCall.status)).all()
        assert Counter((task, op) for task, op, _ in calls) == Counter(
            {(task, op): 1 for task in stream.completed for op in ("capture", "transfer")}
        )
        assert {status for _, _, status in calls} == {"sent"}
        assert task_totals(uow.session) == dict.fromkeys(stream.completed, 0)
        payments = uow.session.exec(select(Payment.status, func.count()).group_by(col(Payment.status))).all()
        assert dict(payments) == {"captured": done}
    wait_until(
        lambda: _count(platform, select(func.count()).select_from(ReviewReveal)) >= len(stream.reviewed),
        timeout=180,
        step=_pause,
        message="every reviewed task revealed",
    )
    with platform.uow() as uow:
        pending = uow.session.exec(select(ReviewPending)).all()
        assert {p.task_id for p in pending} == stream.reviewed and len(pending) == len(stream.reviewed)
        assert all(p.client_at is not None and p.tasker_at is not None for p in pending)
        reveals = uow.session.exec(select(ReviewReveal.task_id, ReviewReveal.reason)).all()
        assert sorted(reveals) == sorted((task, "both") for task in stream.reviewed)
    slots = select(func.count()).select_from(MentorSlot)
    wait_until(lambda: _count(platform, slots) >= stream.endorsements, timeout=180, step=_pause, message="mentors")
    assert _count(platform, slots) == stream.endorsements
    distinct = select(func.count(func.distinct(MentorSlot.event_id)))
    assert _count(platform, distinct) == stream.endorsements
