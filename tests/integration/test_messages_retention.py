"""The `messages` topic has a retention (docs/privacy.md): a new topic is created with it, and a
topic made before it had one (as every deployment's was) gets it when the topics are ensured, with
its other settings left as they were."""

from __future__ import annotations

import uuid

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, NewTopic

from events.kafka_transport import KafkaTransport
from events.retention import DEFAULT_TOPIC_RETENTION_S, MESSAGES_RETENTION_S
from tests.support import wait_until


def _config(admin: KafkaAdminClient, topic: str) -> dict[str, str]:
    answer = admin.describe_configs([ConfigResource("TOPIC", topic)])
    return {name: entry["value"] for name, entry in answer["topic"][topic].items()}


def test_an_existing_messages_topic_gets_its_retention_and_keeps_its_other_settings(kafka_server):
    prefix = f"t{uuid.uuid4().hex[:10]}."
    admin = KafkaAdminClient(bootstrap_servers=kafka_server)
    try:
        admin.create_topics(  # as before: kept forever, with a setting of its own
            [NewTopic(prefix + "messages", 1, 1, topic_configs={"retention.ms": "-1", "min.insync.replicas": "1"})]
        )
        transport = KafkaTransport(kafka_server, partitions=1, prefix=prefix)
        wait_until(lambda: prefix + "messages" in transport.admin.list_topics(), 30, message="the old topic")
        transport.ensure_topics()
        kept = str(MESSAGES_RETENTION_S * 1000)
        # The broker applies a config change a moment after it answers: wait for it.
        wait_until(lambda: _config(admin, prefix + "messages")["retention.ms"] == kept, 30, message="the retention")
        old, new = _config(admin, prefix + "messages"), _config(admin, prefix + "messages.dlq")
        assert MESSAGES_RETENTION_S == DEFAULT_TOPIC_RETENTION_S["messages"] == 30 * 24 * 3600
        assert old["retention.ms"] == new["retention.ms"] == kept
        assert old["min.insync.replicas"] == "1"
        assert _config(admin, prefix + "tips.activity")["retention.ms"] == "-1"  # a replay source: kept
    finally:
        admin.delete_topics([n for n in admin.list_topics() if n.startswith(prefix)])
        admin.close()
