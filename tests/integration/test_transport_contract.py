"""The transport contract, on Kafka (with PostgreSQL) and on the embedded log (SQLite and
PostgreSQL): order per key, shared partitions with takeover, redelivery after a crash between
the database commit and the offset commit, and dead-lettering of poison events."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict

import pytest

from events.contracts import decode
from events.dlq import list_dead_letters, replay_dead_letters
from tests.support import create_sink, effect_count, effect_rows, emit_posted, recording_handler, relay_all, wait_until
from workers.consumer import build_runner


def group_name() -> str:
    return f"contract-{uuid.uuid4().hex[:8]}"


def runner_for(platform, group, member="a", fail_for=None, **kwargs):
    return build_runner(
        platform, group, {"task.posted": recording_handler(member, fail_for)}, topics=["tasks.posted"], **kwargs
    )


def drain(platform, runner, until, timeout=90):
    def step():
        relay_all(platform)
        runner.run_once(timeout_s=0.2)

    try:
        wait_until(until, timeout=timeout, step=step)
    finally:
        runner.close()


def test_events_keep_their_order_per_key(backbone):
    create_sink(backbone)
    specs = [(task_id, seq) for seq in range(60) for task_id in (1, 2, 3, 4, 5)]
    for start in range(0, len(specs), 50):  # several transactions, interleaving keys
        emit_posted(backbone, specs[start : start + 50])
    runner = runner_for(backbone, group_name(), batch_size=37)
    drain(backbone, runner, lambda: effect_count(backbone) >= len(specs))

    seen = defaultdict(list)
    for row in effect_rows(backbone):
        seen[row.task_id].append(row.seq)
    assert {k: v for k, v in seen.items()} == {k: list(range(60)) for k in (1, 2, 3, 4, 5)}


def test_two_consumers_share_partitions_and_one_takes_over(backbone):
    create_sink(backbone)
    group = group_name()
    stops = {"a": threading.Event(), "b": threading.Event()}
    runners = {m: runner_for(backbone, group, member=m, batch_size=20) for m in stops}
    threads = {m: threading.Thread(target=runners[m].run, args=(stops[m],), daemon=True) for m in stops}
    for t in threads.values():
        t.start()
    next_id = 1

    def members_with_work():
        with backbone.engine.connect():
            return {row.member for row in effect_rows(backbone)}

    def post_more():
        nonlocal next_id
        emit_posted(backbone, [(i, 0) for i in range(next_id, next_id + 30)])
        next_id += 30
        relay_all(backbone)

    try:
        # Keep posting until both members have handled something: they share the partitions.
        wait_until(
            lambda: members_with_work() == {"a", "b"},
            timeout=90,
            step=post_more,
            message="both members to receive partitions",
        )
        stops["a"].set()  # a leaves the group; b must take over a's partitions
        threads["a"].join(timeout=30)
        before = effect_count(backbone)
        for _ in range(5):
            post_more()
        wait_until(lambda: effect_count(backbone) >= next_id - 1, timeout=90, message="b to take over every partition")
    finally:
        for stop in stops.values():
            stop.set()
        for t in threads.values():
            t.join(timeout=30)

    rows = effect_rows(backbone)
    ids = [r.task_id for r in rows]
    assert sorted(ids) == list(range(1, next_id)), "an event was lost or handled twice"
    assert {r.member for r in rows[before:]} == {"b"}


class Crash(Exception):
    pass


def test_crash_after_db_commit_before_offset_commit_redelivers_without_second_effect(backbone):
    create_sink(backbone)
    group = group_name()
    emit_posted(backbone, [(i, 0) for i in range(1, 51)])
    relay_all(backbone)

    crashed_on: list = []

    def crash(records):
        crashed_on.extend(records)
        raise Crash("killed between the database commit and the offset commit")

    first = runner_for(backbone, group, after_db_commit=crash)
    with pytest.raises(Crash):
        wait_until(lambda: False, timeout=60, step=lambda: first.run_once(timeout_s=0.5))
    first.close()  # the process is gone: no offset was committed
    handled_before = effect_count(backbone)
    assert handled_before == len(crashed_on) > 0

    redelivered: list = []
    second = runner_for(backbone, group, after_db_commit=redelivered.extend)
    drain(
        backbone,
        second,
        lambda: {(r.partition, r.offset) for r in crashed_on} <= {(r.partition, r.offset) for r in redelivered}
        and effect_count(backbone) >= 50,
    )

    rows = effect_rows(backbone)
    assert sorted(r.task_id for r in rows) == list(range(1, 51)), "a redelivered event had a second effect"


def test_poison_event_goes_to_the_dlq_and_the_rest_keep_flowing(backbone):
    create_sink(backbone)
    group = group_name()
    emit_posted(backbone, [(i, 0) for i in range(1, 21)])
    with backbone.uow() as uow:  # bytes that are not an event at all
        uow.outbox.add_raw(uow.session, "tasks.posted", "junk", "junk-1", b"{not json")
        uow.commit()
    emit_posted(backbone, [(i, 0) for i in range(21, 41)])
    failing = {13}
    runner = runner_for(backbone, group, fail_for=failing)

    def dead_letters():
        relay_all(backbone)
        return list_dead_letters(backbone.transport, "tasks.posted")

    drain(backbone, runner, lambda: effect_count(backbone) >= 39 and len(dead_letters()) >= 2)
    assert sorted(r.task_id for r in effect_rows(backbone)) == [i for i in range(1, 41) if i != 13]
    letters = {d.key: d for d in dead_letters()}
    assert set(letters) == {"13", "junk"}
    assert letters["13"].attempts == backbone.settings.consumer_max_attempts
    assert "cannot handle task 13" in letters["13"].error and letters["13"].consumer == group
    assert "not JSON" in letters["junk"].error and letters["junk"].attempts == 1
    assert decode(letters["13"].original_value.encode()).data["task_id"] == 13

    # Once the cause is fixed, a replay delivers it exactly once; the junk stays dead.
    failing.clear()
    result = replay_dead_letters(backbone.transport, backbone.uow, "tasks.posted")
    assert (result.replayed, result.undecodable) == (1, 1)
    again = replay_dead_letters(backbone.transport, backbone.uow, "tasks.posted")
    assert again.replayed == 0 and again.already_replayed == 1
    runner = runner_for(backbone, group)
    drain(backbone, runner, lambda: effect_count(backbone) >= 40)
    assert sorted(r.task_id for r in effect_rows(backbone)) == list(range(1, 41))


def test_a_member_that_leaves_has_committed_what_it_handled(backbone):
    """Offsets are committed without waiting for the broker's answer; leaving the group finishes
    the last commit, so the next member does not redeliver a handled batch."""
    create_sink(backbone)
    group = group_name()
    emit_posted(backbone, [(i, 0) for i in range(1, 41)])
    relay_all(backbone)
    first = runner_for(backbone, group)
    wait_until(lambda: effect_count(backbone) >= 40, timeout=60, step=lambda: first.run_once(timeout_s=0.5))
    first.close()
    assert backbone.transport.lag(group, ["tasks.posted"]) == {"tasks.posted": 0}
