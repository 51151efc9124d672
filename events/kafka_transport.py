"""The Kafka transport, on kafka-python.

Topics are created by the admin client (6 partitions by default; `pricing.floors` compacted).
Group consumers never auto-commit: the runner commits after its database transaction.
The relay publishes with an idempotent producer and acks=all.

Over 400 lines on purpose: one adapter: the producer, the group consumers and the admin client share
the connection settings and the outage handling, and implement the Transport protocol in one place.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.admin import ConfigResource
from kafka.errors import IllegalStateError, KafkaError

from events.outages import ThrottledLog
from events.retention import DEFAULT_TOPIC_RETENTION_S
from events.topics import TOPICS, all_topic_names
from events.transport import CommitLost, Record

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)
# kafka-python logs every failed connect, fetch and heartbeat while a broker is away: hundreds of
# ERROR lines per outage. Its records go through KafkaLogs instead, which says it once.
_CONNECTION_TROUBLE = (
    "disconnect",
    "connect",
    "socket",
    "abort",
    "refused",
    "timed out",
    "timeout",
    "nodenotready",
    "no brokers",
    "unable to",
)


class KafkaLogs(logging.Handler):
    """Turns kafka-python's logging during an outage into one WARNING when the broker goes away
    and one INFO when a connection is made again; its warnings while the broker is away, and for
    30 s after (while the group rejoins and leaders move), are counted, not logged. Other warnings
    pass on, at most one line per kind every 30 s. Installed once per process, on "kafka"."""

    installed: "KafkaLogs | None" = None

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.down_since: float | None = None
        self.quiet_until = 0.0  # the group rejoins and leaders move for a while after the broker returns
        self.suppressed = 0
        self.other = ThrottledLog(log, interval_s=30.0)

    @classmethod
    def install(cls) -> None:
        if cls.installed is not None:
            return
        cls.installed = cls()
        kafka_logger = logging.getLogger("kafka")
        kafka_logger.addHandler(cls.installed)
        kafka_logger.propagate = False
        # "Connected" (logged at INFO here) is how the broker's return shows, whatever level the
        # "kafka" logger is given (`floorboard` sets it to WARNING).
        logging.getLogger("kafka.net.connection").setLevel(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno < logging.WARNING:
            if self.down_since is not None and message.endswith(": Connected"):
                log.info(
                    "Kafka broker reachable again after %.1f s (%d kafka-python warnings suppressed)",
                    time.monotonic() - self.down_since,
                    self.suppressed,
                )
                self.down_since, self.suppressed = None, 0
                self.quiet_until = time.monotonic() + 30
            return
        if self.down_since is not None or time.monotonic() < self.quiet_until:
            self.suppressed += 1
            return
        if any(word in message.lower() for word in _CONNECTION_TROUBLE):
            self.down_since = time.monotonic()
            log.warning("Kafka broker unreachable (%s); retrying quietly until it is back", message[:200])
            return
        if "blocking the event loop" in message:
            # kafka-python's own timing of its IO loop: on a busy host a step can take >0.1 s. It
            # says nothing an operator can act on (consumer lag and latency do), so debug only.
            log.debug("kafka-python: %s", message[:300])
            return
        # One line per call site: the message itself may carry figures that differ every time.
        self.other.log(record.levelno, f"{record.name}:{record.lineno}", f"kafka-python: {message[:300]}")


def _record(msg: Any, prefix: str) -> Record:
    key = msg.key.decode() if msg.key is not None else None
    return Record(msg.topic.removeprefix(prefix), msg.partition, msg.offset, key, msg.value)


METADATA_WAIT_S = 10.0

# Group-less readers: fresh metadata every 5 s (not kafka-python's 5 min), so a partition's new
# leader is known soon after a broker dies, and a broker back is reconnected within a second.
READER: dict[str, Any] = {
    "group_id": None,
    "enable_auto_commit": False,
    "metadata_max_age_ms": 5_000,
    "reconnect_backoff_max_ms": 1_000,
}


class KafkaGroupConsumer:
    def __init__(self, bootstrap: str, group: str, topics: list[str], session_timeout_ms: int, prefix: str = ""):
        self.prefix = prefix
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            # The prefix namespaces the groups as it does the topics: two environments on one
            # cluster (or two test runs) would otherwise share a group, and every member one of
            # them starts or stops would rebalance the other's.
            group_id=prefix + group,
            client_id=f"floorboard-{group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=max(1000, session_timeout_ms // 3),
            max_poll_interval_ms=300_000,
            # A topic created just before this member joined may have had no partitions in the first
            # assignment; fresh metadata every 5 s (not kafka-python's 5 min) brings the rebalance
            # that assigns them.
            metadata_max_age_ms=5_000,
            # After a broker restart, reconnect within a second (kafka-python backs off to 30 s).
            reconnect_backoff_max_ms=1_000,
            # Under a steady stream, let the broker gather up to 16 KB (about 35 postings) or 25 ms
            # into one fetch: one transaction and one offset commit for many events instead of one each.
            fetch_min_bytes=16 * 1024,
            fetch_max_wait_ms=25,
        )
        KafkaLogs.install()
        # Join the group only once this member knows every topic's partitions (a few seconds at
        # most, right after the topics were created): joining before, the first assignment can
        # leave a topic without partitions until a later rebalance.
        names = [prefix + t for t in topics]
        deadline = time.monotonic() + METADATA_WAIT_S
        while not all(self._consumer.partitions_for_topic(n) for n in names) and time.monotonic() < deadline:
            time.sleep(0.2)
        self._consumer.subscribe(names)
        self._paused = False

    def pause(self) -> None:
        self._paused = True
        self._consumer.pause(*self._consumer.assignment())

    def resume(self) -> None:
        self._paused = False
        self._consumer.resume(*self._consumer.paused())

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        if self._paused:
            # A rebalance during the pause may have assigned partitions that are not paused yet.
            self._consumer.pause(*self._consumer.assignment())
            batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
            for tp, messages in batches.items():  # fetched before the pause took: read them again later
                self._consumer.seek(tp, messages[0].offset)
            return []
        batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [_record(m, self.prefix) for messages in batches.values() for m in messages]

    def commit(self, records: list[Record]) -> None:
        latest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(self.prefix + r.topic, r.partition)
            latest[tp] = max(r.offset, latest.get(tp, -1))
        offsets = {tp: OffsetAndMetadata(offset + 1, "", -1) for tp, offset in latest.items()}
        # Asynchronous: the database already records these events as processed, so a commit that
        # never lands costs a redelivery that processed_events absorbs, never a loss. Waiting for
        # the broker's answer here took ~17 ms a batch; the answer is read by the next poll.
        try:
            self._consumer.commit_async(offsets, callback=self._committed)
        except IllegalStateError as exc:
            raise CommitLost(str(exc)) from exc

    def _committed(self, offsets: Any, response: Any) -> None:
        if isinstance(response, Exception):
            # The group rebalanced, or the coordinator moved: a later commit, or the partition's
            # next owner after a redelivery, moves the group on.
            log.info("offset commit not applied (%s): those events may be redelivered", response)

    def close(self) -> None:
        # kafka-python sends a commit still queued before it leaves the group (the contract test
        # "a member that leaves has committed what it handled" holds it to that).
        self._consumer.close(autocommit=False)


class KafkaTopicReader:
    """Reads a whole topic from the beginning (no group), then whatever arrived since.

    Each read goes up to the end offsets taken when it starts, so a reader that has caught up
    has seen every message the relay had published before the read began.
    """

    def __init__(self, bootstrap: str, topic: str, prefix: str = ""):
        self.topic = topic
        self.prefix = prefix
        self.bootstrap = bootstrap
        self._next: dict[TopicPartition, int] = {}  # the next offset to read, per partition read from
        self._open()

    def _open(self) -> None:
        topic = self.prefix + self.topic
        self._consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, client_id="floorboard-topic-reader", **READER)
        parts = self._consumer.partitions_for_topic(topic) or set()
        self._partitions = [TopicPartition(topic, p) for p in sorted(parts)]
        if self._partitions:
            self._consumer.assign(self._partitions)
            self._consumer.seek_to_beginning(*self._partitions)
            for tp, offset in self._next.items():
                self._consumer.seek(tp, offset)

    def read_new(self, max_records: int | None = None) -> list[Record]:
        try:
            return self._read(max_records)
        except KafkaError:
            # On a cluster, a broker that died may have left this client waiting on a leader that
            # moved (seen: every end-offsets request timing out for minutes after a leader change).
            # A fresh client, at the positions already read, asks the cluster anew on the next read.
            self._consumer.close(autocommit=False)
            self._open()
            raise

    def _read(self, max_records: int | None) -> list[Record]:
        if not self._partitions:
            return []
        end = self._consumer.end_offsets(self._partitions)
        records: list[Record] = []
        while max_records is None or len(records) < max_records:
            if all(self._consumer.position(tp) >= end[tp] for tp in self._partitions):
                break
            # Messages fetched beyond max_records stay buffered in the consumer for the next call.
            want = None if max_records is None else max_records - len(records)
            for tp, messages in self._consumer.poll(timeout_ms=200, max_records=want).items():
                records.extend(_record(m, self.prefix) for m in messages)
                self._next[tp] = messages[-1].offset + 1
        return records

    def close(self) -> None:
        self._consumer.close(autocommit=False)


def _retention_ms(name: str) -> str:
    """Topics the projections are rebuilt from (`floorboard replay`), and the dead letters, are
    kept; the others for the embedded log's default windows. (A topic created before this keeps
    the broker's default: `kafka-configs.sh --alter --add-config retention.ms=-1` fixes it.)"""
    seconds = DEFAULT_TOPIC_RETENTION_S.get(name)
    return "-1" if seconds is None else str(seconds * 1000)


def min_insync_replicas(replication: int) -> int:
    """2 with three copies or more: an acknowledged write (the relay sends with acks=all) is on two
    brokers, and a partition still takes writes with one broker down. With fewer copies, 1: two copies
    needing two in sync would stop every write whenever either broker is away."""
    return 2 if replication >= 3 else 1


class KafkaTransport:
    name = "kafka"

    def __init__(
        self,
        bootstrap: str,
        partitions: int = 6,
        session_timeout_ms: int = 10_000,
        prefix: str = "",
        replication: int = 1,
    ):
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.partitions = partitions
        self.replication = replication
        self.session_timeout_ms = session_timeout_ms
        self._admin: KafkaAdminClient | None = None
        self._reader: KafkaConsumer | None = None

    @property
    def admin(self) -> KafkaAdminClient:
        if self._admin is None:
            self._admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap, client_id="floorboard-admin", request_timeout_ms=15_000
            )
        return self._admin

    @property
    def reader(self) -> KafkaConsumer:
        """A group-less consumer for whole-topic reads and end offsets."""
        if self._reader is None:
            self._reader = KafkaConsumer(bootstrap_servers=self.bootstrap, client_id="floorboard-reader", **READER)
        return self._reader

    def ensure_topics(self) -> None:
        existing = set(self.admin.list_topics())
        missing = {}
        for name in all_topic_names():
            if self.prefix + name in existing:
                continue
            topic = TOPICS.get(name)
            configs = (
                {"cleanup.policy": "compact"} if topic and topic.compacted else {"retention.ms": _retention_ms(name)}
            )
            configs["min.insync.replicas"] = str(min_insync_replicas(self.replication))
            missing[self.prefix + name] = {
                "num_partitions": self.partitions,
                "replication_factor": self.replication,
                "configs": configs,
            }
        if missing:
            self.admin.create_topics(missing, timeout_ms=30_000, raise_errors=False, wait_for_metadata=True)
            log.info("created topics: %s", ", ".join(sorted(missing)))
        self._apply_retention([name for name in DEFAULT_TOPIC_RETENTION_S if self.prefix + name in existing])

    def _apply_retention(self, names: list[str]) -> None:
        """A topic created before its retention was set (`messages`, which kept private words
        until docs/privacy.md) gets it now: the broker then deletes its old segments, so history
        written before goes within the window. An incremental change: other settings stay."""
        if names:
            self.admin.alter_configs(
                [ConfigResource("TOPIC", self.prefix + n, configs={"retention.ms": _retention_ms(n)}) for n in names]
            )

    def consumer(self, group: str, topics: list[str]) -> KafkaGroupConsumer:
        return KafkaGroupConsumer(self.bootstrap, group, topics, self.session_timeout_ms, self.prefix)

    def _partitions(self, topic: str) -> list[TopicPartition]:
        parts = self.reader.partitions_for_topic(self.prefix + topic) or set()
        return [TopicPartition(self.prefix + topic, p) for p in sorted(parts)]

    def topic_reader(self, topic: str, within: Session | None = None) -> "KafkaTopicReader":
        return KafkaTopicReader(self.bootstrap, topic, self.prefix)

    def read_topic(self, topic: str) -> list[Record]:
        reader = self.topic_reader(topic)
        try:
            return reader.read_new()
        finally:
            reader.close()

    def count(self, topic: str) -> int:
        partitions = self._partitions(topic)
        if not partitions:
            return 0
        end = self.reader.end_offsets(partitions)
        start = self.reader.beginning_offsets(partitions)
        return sum(end[tp] - start[tp] for tp in partitions)

    def lag(self, group: str, topics: list[str]) -> dict[str, int]:
        partitions = [tp for t in topics for tp in self._partitions(t)]
        end = self.reader.end_offsets(partitions) if partitions else {}
        name = self.prefix + group
        committed = self.admin.list_group_offsets({name: partitions}).get(name, {}) if partitions else {}
        lag = {t: 0 for t in topics}
        for tp in partitions:
            done = committed.get(tp)
            done_offset = done.offset if done is not None and done.offset >= 0 else 0
            lag[tp.topic.removeprefix(self.prefix)] += max(0, end.get(tp, 0) - done_offset)
        return lag

    def ready(self) -> bool:
        try:
            self.admin.list_topics()
            return True
        except KafkaError:
            return False

    def close(self) -> None:
        for client in (self._admin, self._reader):
            if client is not None:
                client.close()
        self._admin = self._reader = None


class KafkaPublisher:
    """The relay's producer: idempotent, acks=all, keyed so a key keeps its partition and order."""

    def __init__(self, bootstrap: str, prefix: str = ""):
        self.prefix = prefix
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id="floorboard-relay",
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            batch_size=256 * 1024,
            max_in_flight_requests_per_connection=5,
            # Bounded waits: send() blocks at most this long for metadata or buffer space, and a
            # broker that comes back is retried within a second, not kafka-python's 30 s.
            max_block_ms=10_000,
            reconnect_backoff_max_ms=1_000,
            # On a cluster, a partition's leader moves when its broker dies: an error from the old
            # leader refreshes the metadata at once; this bounds how stale it can be otherwise.
            metadata_max_age_ms=5_000,
        )
        KafkaLogs.install()

    def publish(self, messages: list[tuple[str, str, bytes]], timeout_s: float = 10.0) -> None:
        """Send (topic, key, value) messages and wait, at most `timeout_s`, until every one is
        acknowledged; KafkaTimeoutError (or the send's own error) otherwise."""
        deadline = time.monotonic() + timeout_s
        futures = [
            self._producer.send(self.prefix + topic, key=key.encode(), value=value) for topic, key, value in messages
        ]
        self._producer.flush(timeout=max(0.0, deadline - time.monotonic()))
        for future in futures:
            future.get(timeout=max(0.0, deadline - time.monotonic()))  # raises the send's error, if it had one

    def close(self) -> None:
        self._producer.close()
