"""FLOORBOARD_TOPIC_PREFIX namespaces the consumer groups as well as the topics: two environments
(or two test runs) on one broker never share a group, so neither rebalances the other."""

from __future__ import annotations

from events.runner import ConsumerRunner
from tests.support import create_sink, effect_rows, emit_posted, recording_handler, relay_all, wait_until


def test_two_prefixes_keep_groups_of_their_own(make_platform, postgres_url, sqlite_url, kafka_server):
    first = make_platform(postgres_url, kafka_server)
    second = make_platform(sqlite_url, kafka_server)
    assert first.settings.topic_prefix != second.settings.topic_prefix
    runners = []
    for platform, task_id in ((first, 1), (second, 2)):
        create_sink(platform)
        emit_posted(platform, [(task_id, 0)])
        relay_all(platform)
        runner = ConsumerRunner(
            "pricing",
            {"task.posted": recording_handler("m")},
            lambda p=platform: p.transport.consumer("pricing", ["tasks.posted"]),
            platform.uow,
            topics=["tasks.posted"],
        )
        runners.append(runner)
    try:
        for platform, runner, task_id in ((first, runners[0], 1), (second, runners[1], 2)):

            def done(r=runner, p=platform) -> bool:
                r.run_once(0.2)
                return bool(effect_rows(p))

            wait_until(done, 60, message="its event")
            assert [row.task_id for row in effect_rows(platform)] == [task_id]
            assert platform.transport.lag("pricing", ["tasks.posted"]) == {"tasks.posted": 0}
        groups = {g["group_id"] for g in first.transport.admin.list_groups()}
        assert {first.settings.topic_prefix + "pricing", second.settings.topic_prefix + "pricing"} <= groups
    finally:
        for runner in runners:
            runner.close()
