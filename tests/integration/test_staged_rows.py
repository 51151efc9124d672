"""UnitOfWork.stage(): rows written in bulk at commit (COPY on PostgreSQL), or not at all."""

from __future__ import annotations

import pytest

from tests.support import create_sink, effect_rows, effects


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_staged_rows_land_with_the_commit_and_vanish_without_it(request, make_platform, database):
    platform = make_platform(request.getfixturevalue(f"{database}_url"))
    create_sink(platform)
    rows = [{"event_id": f"e{i}", "task_id": i, "seq": i, "member": 'it\'s "quoted"\\tab'} for i in range(1500)]
    with platform.uow() as uow:
        for row in rows[:10]:
            uow.stage(effects, row)
        # no commit: the rows are never written
    assert effect_rows(platform) == []
    with platform.uow() as uow:
        for row in rows:
            uow.stage(effects, row)
        uow.commit()
    written = effect_rows(platform)
    assert [(r.event_id, r.task_id, r.member) for r in written] == [
        (r["event_id"], r["task_id"], r["member"]) for r in rows
    ]
