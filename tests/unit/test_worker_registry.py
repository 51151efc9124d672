"""Each worker subscribes to exactly its group's topics in the one registry that /metrics reads."""

from __future__ import annotations

from events.topics import CONSUMER_GROUPS, TOPICS
from workers import registry


def test_every_consumer_group_is_a_worker_and_every_worker_group_is_registered():
    consumers = {name for name, spec in registry().items() if spec.consumer_group}
    assert consumers == set(CONSUMER_GROUPS)
    assert all(topic in TOPICS for topics in CONSUMER_GROUPS.values() for topic in topics)
