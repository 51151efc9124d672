"""The tasker's web forms under generated input, as test_fuzz_forms does for the client's and the
operator's: each form of the feed, a held task, hand-offs, the network and the tasker's account
gets odd field values (huge numbers, NaN, control characters, very long text) with a valid CSRF
token, on a world where each form has something real to act on, and none may answer 5xx."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.community.models import Reputation
from marketplace.network.connections import accept_connection, request_connection
from marketplace.network.endorsements import endorse
from marketplace.network.handoffs import offer_handoff
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.e2e.test_fuzz_forms import PASSWORD, value
from tests.support import ANY_TIME, NO_WINDOW, UNLIMITED, Pipeline, book, csrf, seeded

START = datetime(2031, 5, 1, 9, tzinfo=UTC)

# path -> (who posts it, the fields its form has). Task 1: held and started by the tasker; task 2:
# open in the feed; task 3: completed by the tasker; task 4: held, offered to the peer (offer 1).
# Tasker 2 is the tasker, 3 the peer (connected); endorsement 1 is the peer's, of the tasker.
FORMS: dict[str, tuple[str, list[str]]] = {
    "/work/2/accept": ("tasker", ["form_token"]),
    "/work/1/start": ("tasker", []),
    "/work/1/complete": ("tasker", ["minutes_worked", "reason"]),
    "/work/1/give-back": ("tasker", ["reason"]),
    "/work/1/messages": ("tasker", ["body"]),
    "/work/1/handoff": ("tasker", ["tasker_ids", "note"]),
    "/work/3/review": ("tasker", ["rating", "comment"]),
    "/handoffs/1/accept": ("peer", []),
    "/handoffs/1/decline": ("peer", ["reason"]),
    "/handoffs/1/withdraw": ("tasker", []),
    "/network/3/remove": ("tasker", ["next"]),
    "/network/3/block": ("tasker", ["next"]),
    "/network/2/connect": ("peer", ["next"]),
    "/taskers/2/endorse": ("peer", ["category", "text"]),
    "/endorsements/1/withdraw": ("peer", ["next"]),
}


@pytest.fixture
def app(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    with platform.uow() as uow:
        client = create_user(uow.session, "client@example.test", PASSWORD, "client")
        tasker = create_user(uow.session, "tasker@example.test", PASSWORD, "tasker")
        peer = create_user(uow.session, "peer@example.test", PASSWORD, "tasker")
        for who in (tasker, peer):
            set_skills(uow, who.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        draft = TaskDraft(
            category="yard-work",
            region="springfield",
            title="Fuzz",
            description="",
            estimated_minutes=60,
            starts_at=START,
        )
        ids = [post_task(uow, client.id, draft).id for _ in range(4)]
        request_connection(uow, tasker, peer.id)
        accept_connection(uow, peer, tasker.id)
        uow.session.add(Reputation(tasker_id=peer.id, category="yard-work", completed=3, accepted=3))
        uow.commit()
        client_id, tasker_id, peer_id = client.id, tasker.id, peer.id
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    for task_id in ids:
        book(platform, task_id)
    with platform.uow() as uow:
        tasker = uow.session.get_one(User, tasker_id)
        peer = uow.session.get_one(User, peer_id)
        for task_id in (ids[0], ids[2], ids[3]):
            accept_task(uow, tasker, task_id, NO_WINDOW)
        for task_id in (ids[0], ids[2]):
            start_task(uow, tasker, task_id, early=ANY_TIME)
        complete_task(uow, tasker, ids[2], 60, tolerance=ANY_TIME)
        offer_handoff(uow, tasker, ids[3], [peer.id], "", NO_WINDOW)
        endorse(uow, peer, tasker.id, "yard-work", "Knows hedges")
        uow.commit()
    assert (client_id, tasker_id, peer_id, ids) == (1, 2, 3, [1, 2, 3, 4])  # the ids FORMS names
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, **UNLIMITED}, platform=platform)


def signed_in(app, email: str):
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return web


@pytest.mark.parametrize("path", sorted(FORMS))
def test_no_tasker_form_input_answers_5xx(app, path):
    who, fields = FORMS[path]
    web = signed_in(app, f"{who}@example.test")
    token = csrf(web.get("/login").get_data(as_text=True))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.fixed_dictionaries({}, optional={name: value for name in fields}))
    def check(data):
        answer = web.post(path, data={**data, "csrf_token": token}, headers={"Accept": "text/html"})
        assert answer.status_code < 500, (path, data, answer.status_code)
        assert not re.search(r"Traceback|Internal Server Error", answer.get_data(as_text=True))

    check()
