"""The topic registry (see docs/architecture.md). Each topic has a dead-letter twin, `<topic>.dlq`."""

from __future__ import annotations

from dataclasses import dataclass
from zlib import crc32


@dataclass(frozen=True)
class Topic:
    name: str
    key: str  # what the key is, for people reading the registry
    compacted: bool = False


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in [
        Topic("tasks.posted", "task id"),
        Topic("tasks.priced", "task id"),
        Topic("tasks.lifecycle", "task id"),
        Topic("pricing.floors", "category/region", compacted=True),
        Topic("reviews.submitted", "tasker id"),
        Topic("tips.activity", "category"),
        Topic("payments.events", "task id"),
        Topic("reputation.changes", "tasker id"),
        Topic("community.activity", "tasker id (the endorser, or who acted)"),
        Topic("messages", "task id"),
    ]
}

# Who consumes what. Each worker subscribes to its group's topics from here, and /metrics reports
# the lag of every group listed here, so the two cannot drift apart.
CONSUMER_GROUPS: dict[str, tuple[str, ...]] = {
    "pricing": ("tasks.posted",),
    "tasker-rates": ("pricing.floors",),
    "reputation": ("tasks.lifecycle", "reviews.submitted", "tips.activity"),
    "tips": ("tips.activity",),
    "payments": ("tasks.lifecycle",),
    "network": ("community.activity",),
    "reviews": ("reviews.submitted",),
    "market": ("tasks.priced", "tasks.lifecycle", "payments.events", "tips.activity", "community.activity"),
    "notifications": (
        "tasks.priced",
        "tasks.lifecycle",
        "payments.events",
        "reviews.submitted",
        "messages",
        "community.activity",
        "tips.activity",
    ),
}

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def all_topic_names() -> list[str]:
    return [n for name in TOPICS for n in (name, dlq_topic(name))]


def is_known(topic: str) -> bool:
    return topic in TOPICS or (topic.endswith(DLQ_SUFFIX) and topic[: -len(DLQ_SUFFIX)] in TOPICS)


def partition_for(key: str, partitions: int) -> int:
    """The embedded log's partitioner: stable across processes and Python versions."""
    return crc32(key.encode()) % partitions
