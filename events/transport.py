"""What a transport offers the runner: consumers in groups, with commits the runner controls."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from sqlmodel import Session


class Record(NamedTuple):  # a tuple: built for every event polled, at a third of a frozen dataclass's cost
    topic: str
    partition: int
    offset: int  # Kafka's offset, or the embedded log's seq
    key: str | None
    value: bytes


class Consumer(Protocol):
    def poll(self, timeout_s: float, max_records: int) -> list[Record]: ...

    def commit(self, records: list[Record]) -> None:
        """Mark everything up to and including these records as consumed by the group."""

    def pause(self) -> None:
        """Fetch nothing until resume(): polls return no records but keep the membership alive
        (the runner pauses while it waits out a database outage with a batch in hand)."""

    def resume(self) -> None: ...

    def close(self) -> None:
        """Leave the group (its partitions go to the other members) without committing."""


class TopicReader(Protocol):
    def read_new(self, max_records: int | None = None) -> list[Record]:
        """The whole topic on the first call; after that, whatever arrived since. With
        `max_records`, at most that many, in order: call again for the rest, until it returns []."""

    def close(self) -> None: ...


class Transport(Protocol):
    name: str

    def ensure_topics(self) -> None: ...

    def consumer(self, group: str, topics: list[str]) -> Consumer: ...

    def topic_reader(self, topic: str, within: Session | None = None) -> TopicReader:
        """`within`: read inside the caller's transaction when the log lives in its database (the
        embedded log; on SQLite a second connection would wait for that transaction's write lock).
        A broker's log ignores it."""

    def read_topic(self, topic: str) -> list[Record]:
        """Every record currently in a topic, from the beginning, without a group."""

    def count(self, topic: str) -> int:
        """How many records the topic holds now."""

    def lag(self, group: str, topics: list[str]) -> dict[str, int]:
        """Records not yet committed by the group, per topic."""

    def ready(self) -> bool: ...

    def close(self) -> None: ...


class Publisher(Protocol):
    def publish(self, messages: list[tuple[str, str, bytes]], timeout_s: float = 10.0) -> None:
        """(topic, key, value) triples, all acknowledged by the broker before this returns; raises
        if they are not acknowledged within `timeout_s` (some may have been sent: resending is safe)."""

    def close(self) -> None: ...


class CommitLost(RuntimeError):
    """The group rebalanced before the commit: another member will see these records again,
    which is safe because every effect is recorded in processed_events."""
