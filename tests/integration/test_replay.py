"""`floorboard replay` reads the log in chunks: the result is the same whatever the chunk size, a
failing event costs only itself, a re-sent event counts once, and no read returns more than a chunk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from events.envelope import CloudEvent
from marketplace.community.models import BoardEntry
from tests.support import relay_all
from workers.replay import replay

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def tip_event(kind: str, tip_id: int, **data) -> CloudEvent:
    base: dict[str, object] = {"tip_id": tip_id, "category": "yard-work", "author_id": 7, "at": AT}
    extra: dict[str, object] = {
        "posted": {"title": f"tip {tip_id}", "body_html": "<p>cut, don't tear</p>"},
        "voted": {"voter_id": 8, "helpful": True},
        "hidden": {"hidden_by": 1, "reason": "spam"},
    }[kind]
    return CloudEvent(type=f"tip.{kind}", subject=str(tip_id), data=base | extra | data)


def write_log(platform) -> None:
    """Tips 1-6 posted; 2 helpful votes on tip 1, 1 unhelpful on tip 2, tip 3 hidden; a vote for
    tip 99, never posted (the projection refuses it); junk bytes; and one vote sent twice."""
    resent = tip_event("voted", 4, voter_id=9)
    events = [tip_event("posted", t) for t in range(1, 7)]
    events[3:3] = [tip_event("voted", 99)]
    events += [tip_event("voted", 1), tip_event("voted", 1, voter_id=9), tip_event("voted", 2, helpful=False)]
    events += [tip_event("hidden", 3), resent, resent]
    with platform.uow() as uow:
        for event in events[:5]:
            uow.emit(event, key="yard-work")
        uow.outbox.add_raw(uow.session, "tips.activity", "yard-work", "junk-1", b"{not json")
        for event in events[5:]:
            uow.emit(event, key="yard-work")
        uow.commit()
    relay_all(platform)


def board(platform) -> dict[int, tuple[int, int, bool]]:
    with platform.uow() as uow:
        return {e.tip_id: (e.helpful, e.unhelpful, e.hidden) for e in uow.session.exec(select(BoardEntry))}


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_replay_in_chunks_applies_each_event_once_and_skips_only_the_bad_ones(backbone, chunk):
    write_log(backbone)
    largest: list[int] = []
    reader_for = backbone.transport.topic_reader

    def watched_reader(topic, within=None):
        reader = reader_for(topic, within)
        read_new = reader.read_new

        def read(max_records=None):
            records = read_new(max_records)
            largest.append(len(records))
            return records

        reader.read_new = read
        return reader

    backbone.transport.topic_reader = watched_reader
    progress: list[tuple[int, int]] = []
    result = replay(backbone, "tips", on_progress=lambda done, total: progress.append((done, total)), chunk=chunk)

    # 14 records: 11 distinct events applied, the unknown tip and the junk skipped, the re-send once.
    assert (result.events, result.applied, result.skipped) == (14, 11, 2)
    assert board(backbone) == {
        1: (2, 0, False),
        2: (0, 1, False),
        3: (0, 0, True),
        4: (1, 0, False),
        5: (0, 0, False),
        6: (0, 0, False),
    }
    assert max(largest) <= chunk
    assert progress[-1] == (14, 14) and [done for done, _ in progress] == sorted(done for done, _ in progress)

    # A second replay starts from nothing again and lands on the same board.
    assert replay(backbone, "tips", chunk=chunk).applied == 11
    assert board(backbone)[1] == (2, 0, False)
