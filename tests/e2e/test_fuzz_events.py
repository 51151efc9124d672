"""Arbitrary JSON bodies, lone surrogates, NUL and deep nesting included, to every operation that
writes events. Each request is either refused with a 4xx, or every event it wrote is one that the
consumers decode: input can never poison the log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from api import create_app
from events.contracts import decode
from events.tables import EventLogRow
from marketplace.accounts.models import User
from marketplace.accounts.tokens import issue_token
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.community.tips import post_tip
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import ANY_TIME, NO_WINDOW, UNLIMITED, Pipeline, book, seeded

NASTY = ["\ud800", "a\udfffb", "\x00", "nul\x00in", "\u202e", "\ufeff", "😀", "", " ", "x" * 6000]
text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(categories=["Cs", "Cc", "Zl", "So"]), max_size=8),
    st.sampled_from(NASTY),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    text,
    st.sampled_from(["9999-12-31T23:59:59-14:00", "2030-06-01T09:00:00Z", "0001-01-01T00:00:00+14:00"]),
)
any_json = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)
DEEP = ["[" * 3000 + "]" * 3000, '{"a":' * 100 + "1" + "}" * 100]


def bodies(valid: dict):
    """Mostly near-valid (so requests get past validation and write events), sometimes anything."""
    mutated = st.builds(
        lambda changes: {**valid, **changes},
        st.dictionaries(st.sampled_from(sorted(valid) or ["x"]), st.one_of(text, any_json), max_size=2),
    )
    texts_only = st.builds(
        lambda new: {**valid, **{k: v for k, v in new.items() if isinstance(valid.get(k), str)}},
        st.fixed_dictionaries({k: text for k in valid}),
    )
    return st.one_of(
        mutated.map(json.dumps),
        texts_only.map(json.dumps),
        any_json.map(json.dumps),
        st.sampled_from(DEEP),
        st.just(json.dumps(valid)),
    )


START = (utcnow() + timedelta(days=3)).isoformat()
OPERATIONS = [  # (role, method, path, a valid body)
    (
        "client",
        "POST",
        "/api/v1/tasks",
        {
            "category": "yard-work",
            "region": "springfield",
            "title": "Rake",
            "description": "leaves",
            "estimated_minutes": 60,
            "starts_at": START,
        },
    ),
    ("client", "POST", "/api/v1/tasks/{open}/cancel", {"reason": "plans changed"}),
    ("client", "POST", "/api/v1/tasks/{completed}/review", {"rating": 5, "comment": "great"}),
    ("client", "POST", "/api/v1/tasks/{claimed}/adjustment/dispute", {"reason": "too long"}),
    ("tasker", "POST", "/api/v1/tasks/{working}/complete", {"minutes_worked": 200, "reason": "it grew"}),
    ("tasker", "POST", "/api/v1/tasks/{accepted}/cancel", {"reason": "sick"}),
    ("tasker", "POST", "/api/v1/boards/yard-work/tips", {"title": "Gloves", "body": "*Wear* them."}),
    ("tasker", "POST", "/api/v1/tips/{tip}/votes", {"helpful": True}),
    (
        "tasker",
        "PUT",
        "/api/v1/taskers/me/skills",
        {"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2500}]},
    ),
    ("operator", "PUT", "/api/v1/floors/yard-work/springfield", {"hourly_floor": 2500, "reason": "review"}),
    ("operator", "POST", "/api/v1/tips/{tip}/hide", {"reason": "spam"}),
    ("operator", "POST", "/api/v1/tasks/{completed}/refunds", {"amount": 100, "reason": "late"}),
]


def drain(platform, group: str) -> None:
    pipeline = Pipeline(platform, [group])
    try:
        pipeline.drain()
    finally:
        pipeline.close()


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    import shutil

    from marketplace.bootstrap import bootstrap
    from tests import conftest

    path = tmp_path_factory.mktemp("fuzz-events") / "world.db"
    shutil.copy(sqlite_template, path)
    platform = seeded(bootstrap(conftest.settings_for(f"sqlite:///{path}", priority_window=NO_WINDOW)))
    with platform.uow() as uow:
        users = {
            name: create_user(uow.session, f"{name}@fuzz.test", "correct horse battery", role)
            for name, role in (
                ("client", "client"),
                ("voter", "tasker"),
                ("tasker", "tasker"),
                ("operator", "operator"),
            )
        }
        tokens = {role: issue_token(uow.session, user) for role, user in users.items()}
        set_skills(uow, users["tasker"].id, ["springfield"], [SkillSpec("yard-work", 2400)])
        ids = {
            name: post_task(
                uow,
                users["client"].id,
                TaskDraft("yard-work", "springfield", name, "", 60, utcnow() + timedelta(days=3)),
            ).id
            for name in ("open", "accepted", "working", "completed", "claimed")
        }
        ids["tip"] = post_tip(uow, users["voter"], "yard-work", "A tip", "Body").id
        uow.commit()
    drain(platform, "pricing")
    for name in ("open", "accepted", "working", "completed", "claimed"):
        book(platform, ids[name])
    with platform.uow() as uow:
        tasker = uow.session.get(User, users["tasker"].id)
        for name in ("accepted", "working", "completed", "claimed"):
            accept_task(uow, tasker, ids[name], NO_WINDOW)
        for name in ("working", "completed", "claimed"):
            start_task(uow, tasker, ids[name], early=ANY_TIME)
        uow.commit()
    app = create_app({"TESTING": True, **UNLIMITED}, platform=platform)
    client = app.test_client()
    for name, minutes, reason in (("completed", 60, ""), ("claimed", 300, "it grew")):
        r = client.post(
            f"/api/v1/tasks/{ids[name]}/complete",
            json={"minutes_worked": minutes, "reason": reason},
            headers={"Authorization": f"Bearer {tokens['tasker']}"},
        )
        assert r.status_code == 200, r.json
    drain(platform, "payments")  # captures the completed task, so it can be refunded
    yield client, platform, ids, tokens
    platform.close()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op[1]} {op[2]}")
def test_no_body_writes_an_event_the_consumers_cannot_read(world, operation):
    client, platform, ids, tokens = world
    role, method, path, valid = operation
    url = path.format(**ids)
    headers = {"Authorization": f"Bearer {tokens[role]}"}

    statuses = []

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies(valid))
    @example(body=json.dumps(valid))
    def check(body: str):
        with platform.uow() as uow:
            seen = uow.session.exec(select(func.max(EventLogRow.seq))).one() or 0
        r = client.open(url, method=method, data=body, content_type="application/json", headers=headers)
        assert r.status_code < 500, (r.status_code, body[:300], r.get_json())
        statuses.append(r.status_code)
        assert r.is_json or r.status_code == 204
        with platform.uow() as uow:
            written = uow.session.exec(select(EventLogRow).where(EventLogRow.seq > seen)).all()
        if r.status_code >= 400:
            assert written == [], (r.status_code, body[:300])
        for row in written:
            decode(row.value)  # what every consumer does first; InvalidEvent fails the test

    check()
    assert any(code < 300 for code in statuses), statuses  # the run reached the writing path, not only refusals
