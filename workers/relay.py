"""The outbox relay (Kafka only; on the embedded log the outbox is the log)."""

from __future__ import annotations

from events.relay import Relay
from workers.spec import WorkerSpec


def build(platform):
    return Relay(platform.engine, platform.publisher())


SPEC = WorkerSpec("relay", build, kafka_only=True, description="publishes the outbox to Kafka", consumer_group=False)
