"""Every API endpoint x {anonymous, client, other client, tasker, other tasker, operator}, each
with the status it must answer. The state is built once (a client's tasks in every stage, held
by the tasker; a tip of the tasker's), and every case runs on a fresh copy of that database.

A test also checks that the matrix covers every operation in the OpenAPI spec, so a new
endpoint cannot ship without its row."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone

import pytest

from api import create_app
from cli.demo import seed_demo
from marketplace.accounts.models import User
from marketplace.accounts.tokens import issue_token, token_row
from marketplace.accounts.users import create_user
from marketplace.accounts.web_sessions import start_web_session, web_session_of
from marketplace.bootstrap import bootstrap
from marketplace.community.guides import create_guide
from marketplace.community.models import Reputation
from marketplace.community.questions import answer_question, ask_question
from marketplace.community.tips import post_tip
from marketplace.network.blocking import block
from marketplace.network.connections import accept_connection, request_connection
from marketplace.network.endorsements import endorse
from marketplace.network.handoffs import offer_handoff
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, new_secret
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests import conftest
from tests.e2e.authz_rows import api_rows
from tests.e2e.authz_rows.data_export import client_exports
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, enrol_two_factor

PERSONAS = ["anonymous", "client", "other_client", "tasker", "other_tasker", "operator"]
SKILLS = {"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2500}]}
TASK = {
    "category": "yard-work",
    "region": "springfield",
    "title": "Weed the beds",
    "estimated_minutes": 60,
    "starts_at": "2031-05-01T09:00:00Z",
}
FLOOR = {"reason": "matrix", "hourly_floor": 2600}
TASK_START = datetime(2031, 5, 1, 9, tzinfo=timezone.utc)


def codes(anonymous, client, other_client, tasker, other_tasker, operator) -> dict[str, int]:
    return dict(zip(PERSONAS, (anonymous, client, other_client, tasker, other_tasker, operator), strict=True))


OPERATOR_ONLY = codes(401, 403, 403, 403, 403, 200)
ANYONE = codes(200, 200, 200, 200, 200, 200)
SIGNED_IN = codes(401, 200, 200, 200, 200, 200)
TASKERS = codes(401, 403, 403, 200, 200, 403)

# (method, path, body, expected). {accepted}, {open}, {completed}, {working}: the client's tasks,
# held by the tasker except {open}; {tip}: the tasker's tip; {tasker}: the tasker's id.
MATRIX = [
    (
        "POST",
        "/api/v1/users",
        {"email": "someone@example.test", "password": "long enough pw", "role": "client"},
        codes(201, 201, 201, 201, 201, 201),
    ),
    (
        "POST",
        "/api/v1/auth/token",
        {"email": "nobody@example.test", "password": "wrong"},
        codes(401, 401, 401, 401, 401, 401),
    ),
    ("DELETE", "/api/v1/auth/token", None, codes(401, 204, 204, 204, 204, 204)),
    ("GET", "/api/v1/auth/tokens", None, SIGNED_IN),
    ("DELETE", "/api/v1/auth/tokens/{token}", None, codes(401, 204, 404, 404, 404, 404)),  # the client's spare token
    ("GET", "/api/v1/categories", None, ANYONE),
    ("POST", "/api/v1/quotes", {"category": "yard-work", "region": "springfield", "estimated_minutes": 60}, ANYONE),
    ("GET", "/api/v1/floors?region=springfield", None, ANYONE),  # published: no author, no reason
    ("PUT", "/api/v1/floors/yard-work/springfield", FLOOR, codes(401, 403, 403, 403, 403, 201)),
    ("GET", "/api/v1/floors/history", None, ANYONE),
    ("POST", "/api/v1/floors/simulate", {"changes": [{"hourly_floor": 3000}]}, OPERATOR_ONLY),
    ("POST", "/api/v1/tasks", TASK, codes(401, 202, 202, 403, 403, 403)),
    # Rebooking: only a tasker who completed a task for this client (the tasker did, for the client);
    # never the client themselves.
    ("POST", "/api/v1/tasks", {**TASK, "addressed_to": "{tasker}"}, codes(401, 202, 422, 403, 403, 403)),
    ("POST", "/api/v1/tasks", {**TASK, "addressed_to": "{client}"}, codes(401, 422, 422, 403, 403, 403)),
    ("GET", "/api/v1/clients/me/taskers", None, codes(401, 200, 200, 403, 403, 403)),
    # A client's public record: for taskers, operators and the client; not for other clients.
    ("GET", "/api/v1/clients/{client}", None, codes(401, 200, 403, 200, 200, 200)),
    # Only the tasker a rebooking ({rebooked}) is addressed to declines it.
    ("POST", "/api/v1/tasks/{rebooked}/decline", None, codes(401, 403, 403, 200, 404, 403)),
    ("GET", "/api/v1/tasks", None, SIGNED_IN),
    ("GET", "/api/v1/tasks?open=true", None, codes(401, 403, 403, 200, 200, 403)),
    ("GET", "/api/v1/tasks/{accepted}", None, codes(401, 200, 404, 200, 404, 200)),
    ("GET", "/api/v1/tasks/{open}", None, codes(401, 200, 404, 200, 404, 200)),  # open to the tasker's skills
    ("POST", "/api/v1/tasks/{open}/accept", None, codes(401, 403, 403, 200, 403, 403)),
    ("POST", "/api/v1/tasks/{accepted}/start", None, codes(401, 403, 403, 200, 403, 403)),
    (
        "POST",
        "/api/v1/tasks/{working}/complete",
        {"minutes_worked": 75, "reason": "matrix"},
        codes(401, 403, 403, 200, 403, 403),
    ),
    ("POST", "/api/v1/tasks/{accepted}/adjustment/approve", None, codes(401, 404, 404, 403, 403, 403)),
    ("POST", "/api/v1/tasks/{accepted}/adjustment/dispute", {"reason": "matrix"}, codes(401, 404, 404, 403, 403, 403)),
    (
        "POST",
        "/api/v1/tasks/{accepted}/adjustment/ruling",
        {"decision": "client", "note": "matrix"},
        codes(401, 403, 403, 403, 403, 404),
    ),
    ("POST", "/api/v1/tasks/{accepted}/cancel", {"reason": "matrix"}, codes(401, 200, 404, 200, 403, 403)),
    # Each side reviews the other, once: the client and the tasker who did the task; no one else.
    ("POST", "/api/v1/tasks/{completed}/review", {"rating": 4}, codes(401, 201, 404, 201, 404, 403)),
    # A task's reviews: its two parties only; the other side's review only once both are revealed.
    ("GET", "/api/v1/tasks/{completed}/reviews", None, codes(401, 200, 404, 200, 404, 403)),
    ("GET", "/api/v1/taskers/me/skills", None, TASKERS),
    ("PUT", "/api/v1/taskers/me/skills", SKILLS, TASKERS),
    # One skill: added or changed by any tasker; removed only where it is one of theirs (the other
    # tasker has none).
    ("PUT", "/api/v1/taskers/me/skills/yard-work", {"rate": 2500}, TASKERS),
    ("DELETE", "/api/v1/taskers/me/skills/yard-work", None, codes(401, 403, 403, 200, 404, 403)),
    ("GET", "/api/v1/taskers/{tasker}", None, ANYONE),
    ("POST", "/api/v1/taskers/{tasker}/licenses", {"category": "electrical"}, codes(401, 403, 403, 403, 403, 201)),
    ("GET", "/api/v1/boards/yard-work", None, ANYONE),
    (
        "POST",
        "/api/v1/boards/yard-work/tips",
        {"title": "Gloves", "body": "Wear them."},
        codes(401, 403, 403, 201, 201, 403),
    ),
    ("POST", "/api/v1/tips/{tip}/votes", {"helpful": True}, codes(401, 403, 403, 403, 201, 403)),
    ("POST", "/api/v1/tips/{tip}/hide", {"reason": "spam"}, codes(401, 403, 403, 403, 403, 200)),
    ("POST", "/api/v1/tasks/{unbooked}/book", {"payment_method": "pm_card_visa"}, codes(401, 200, 404, 403, 403, 403)),
    ("POST", "/api/v1/tasks/{completed}/refunds", {"reason": "matrix"}, codes(401, 403, 403, 403, 403, 201)),
    ("GET", "/api/v1/taskers/me/payouts", None, TASKERS),
    ("POST", "/api/v1/taskers/me/payouts", None, codes(401, 403, 403, 201, 201, 403)),
    # The network. The tasker asked other_tasker to connect (pending); {peer} is a third tasker who
    # works yard-work in Springfield, is connected to the tasker, endorses them ({endorsement}),
    # and holds an open offer ({offer}) for the tasker's task {handing}.
    ("GET", "/api/v1/taskers/me/connections", None, TASKERS),
    ("POST", "/api/v1/taskers/me/connections", {"tasker_id": "{other_tasker}"}, codes(401, 403, 403, 409, 422, 403)),
    ("DELETE", "/api/v1/taskers/me/connections/{other_tasker}", None, codes(401, 403, 403, 204, 404, 403)),
    ("POST", "/api/v1/taskers/me/connections/{tasker}/accept", None, codes(401, 403, 403, 404, 200, 403)),
    ("POST", "/api/v1/taskers/me/connections/{tasker}/decline", None, codes(401, 403, 403, 404, 204, 403)),
    ("POST", "/api/v1/taskers/me/blocks", {"tasker_id": "{other_tasker}"}, codes(401, 403, 403, 201, 422, 403)),
    ("DELETE", "/api/v1/taskers/me/blocks/{other_tasker}", None, codes(401, 403, 403, 404, 404, 403)),
    ("GET", "/api/v1/taskers/me/handoffs", None, TASKERS),
    # Handing a task you don't hold, or to an ineligible peer (other_tasker has no skills): refused.
    ("POST", "/api/v1/tasks/{accepted}/handoff", {"tasker_ids": ["{peer}"]}, codes(401, 403, 403, 201, 403, 403)),
    (
        "POST",
        "/api/v1/tasks/{accepted}/handoff",
        {"tasker_ids": ["{other_tasker}"]},
        codes(401, 403, 403, 422, 403, 403),
    ),
    ("POST", "/api/v1/tasks/{working}/handoff", {"tasker_ids": ["{peer}"]}, codes(401, 403, 403, 409, 403, 403)),
    # An offer to a peer who blocked the holder ({blocker}, eligible otherwise): refused.
    ("POST", "/api/v1/tasks/{accepted}/handoff", {"tasker_ids": ["{blocker}"]}, codes(401, 403, 403, 422, 403, 403)),
    ("GET", "/api/v1/tasks/{handing}/handoff", None, codes(401, 403, 403, 200, 404, 200)),
    ("GET", "/api/v1/tasks/{accepted}/handoff/candidates", None, codes(401, 403, 403, 200, 403, 403)),
    # Accepting or declining an offer made to someone else ({peer}): nobody here can.
    ("POST", "/api/v1/handoffs/{offer}/accept", None, codes(401, 403, 403, 404, 404, 403)),
    ("POST", "/api/v1/handoffs/{offer}/decline", {"reason": "matrix"}, codes(401, 403, 403, 404, 404, 403)),
    ("POST", "/api/v1/handoffs/{offer}/withdraw", None, codes(401, 403, 403, 200, 404, 403)),
    ("GET", "/api/v1/taskers/{tasker}/endorsements", None, ANYONE),
    # Endorsing yourself, or a non-connection: refused.
    (
        "POST",
        "/api/v1/taskers/{other_tasker}/endorsements",
        {"category": "yard-work", "text": "matrix"},
        codes(401, 403, 403, 403, 422, 403),
    ),
    # Endorsing a connection ({peer}) for a category the endorser has not worked in: refused.
    (
        "POST",
        "/api/v1/taskers/{peer}/endorsements",
        {"category": "yard-work", "text": "matrix"},
        codes(401, 403, 403, 403, 403, 403),
    ),
    ("GET", "/api/v1/endorsements", None, OPERATOR_ONLY),
    ("DELETE", "/api/v1/endorsements/{endorsement}", None, codes(401, 403, 403, 404, 404, 403)),
    ("POST", "/api/v1/endorsements/{endorsement}/revoke", {"reason": "matrix"}, codes(401, 403, 403, 403, 403, 200)),
    ("GET", "/api/v1/taskers/me/path", None, TASKERS),
    # Conversations: only the task's client and its tasker (an operator only on a claim or dispute).
    ("GET", "/api/v1/tasks/{accepted}/messages", None, codes(401, 200, 404, 200, 404, 403)),
    ("POST", "/api/v1/tasks/{accepted}/messages", {"body": "matrix"}, codes(401, 201, 404, 201, 404, 403)),
    ("GET", "/api/v1/messages/unread", None, codes(401, 200, 200, 200, 200, 403)),
    ("GET", "/api/v1/me/notifications", None, SIGNED_IN),
    ("PUT", "/api/v1/me/notifications", {"preferences": {"message.sent": "digest"}}, SIGNED_IN),
    # Webhooks: a tasker manages only their own endpoints ({endpoint}, the tasker's, with {delivery}).
    ("GET", "/api/v1/taskers/me/webhooks", None, TASKERS),
    (
        "POST",
        "/api/v1/taskers/me/webhooks",
        {"url": "https://127.0.0.1/hooks", "kinds": ["message.sent"]},  # loopback: refused (SSRF)
        codes(401, 403, 403, 422, 422, 403),
    ),
    ("DELETE", "/api/v1/taskers/me/webhooks/{endpoint}", None, codes(401, 403, 403, 204, 404, 403)),
    ("POST", "/api/v1/taskers/me/webhooks/{endpoint}/rotate", None, codes(401, 403, 403, 200, 404, 403)),
    ("POST", "/api/v1/taskers/me/webhooks/{endpoint}/enable", None, codes(401, 403, 403, 200, 404, 403)),
    ("GET", "/api/v1/taskers/me/webhooks/{endpoint}/deliveries", None, codes(401, 403, 403, 200, 404, 403)),
    (
        "POST",
        "/api/v1/taskers/me/webhooks/{endpoint}/deliveries/{delivery}/redeliver",
        None,
        codes(401, 403, 403, 200, 404, 403),
    ),
    # Questions and answers: anyone reads; taskers ask, answer and vote (never on their own answer);
    # only the asker ({tasker}) marks the answer that helped; operators hide. {answer} is the
    # peer's answer to the tasker's {question}; {own_answer} is the tasker's own answer to it.
    ("GET", "/api/v1/boards/yard-work/questions", None, ANYONE),
    (
        "POST",
        "/api/v1/boards/yard-work/questions",
        {"title": "matrix", "body": "matrix"},
        codes(401, 403, 403, 201, 201, 403),
    ),
    ("GET", "/api/v1/questions/{question}", None, ANYONE),
    ("POST", "/api/v1/questions/{question}/answers", {"body": "matrix"}, codes(401, 403, 403, 201, 201, 403)),
    ("POST", "/api/v1/answers/{answer}/votes", {"helpful": True}, codes(401, 403, 403, 201, 201, 403)),
    ("POST", "/api/v1/answers/{own_answer}/votes", {"helpful": True}, codes(401, 403, 403, 403, 201, 403)),
    ("POST", "/api/v1/answers/{answer}/accept", None, codes(401, 403, 403, 200, 403, 403)),
    ("POST", "/api/v1/answers/{own_answer}/accept", None, codes(401, 403, 403, 403, 403, 403)),
    ("POST", "/api/v1/questions/{question}/hide", {"reason": "spam"}, codes(401, 403, 403, 403, 403, 200)),
    ("POST", "/api/v1/answers/{answer}/hide", {"reason": "spam"}, codes(401, 403, 403, 403, 403, 200)),
    # Guides: anyone reads; elite or trusted taskers in the category assemble them (the tasker is
    # trusted in yard-work, the other tasker a newcomer); others mark them helpful, never their own.
    ("GET", "/api/v1/boards/yard-work/guides", None, ANYONE),
    (
        "POST",
        "/api/v1/boards/yard-work/guides",
        {"title": "matrix", "intro": "matrix", "items": [{"kind": "tip", "id": "{tip}"}]},
        codes(401, 403, 403, 201, 403, 403),
    ),
    ("GET", "/api/v1/guides/{guide}", None, ANYONE),
    ("POST", "/api/v1/guides/{guide}/helpful", None, codes(401, 403, 403, 403, 201, 403)),
    # Market health: operators only, whoever asks, whatever the place.
    ("GET", "/api/v1/market/series?category=yard-work&region=springfield", None, OPERATOR_ONLY),
    ("GET", "/api/v1/market/floor-changes?category=yard-work&region=springfield", None, OPERATOR_ONLY),
    ("GET", "/api/v1/market/series?category=yard-work&region=atlantis", None, codes(401, 403, 403, 403, 403, 404)),
]
MATRIX += api_rows()  # each area's own rows (tests/e2e/authz_rows)


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    """The shared starting state, in a SQLite file each case copies."""
    path = tmp_path_factory.mktemp("authz") / "world.db"
    shutil.copy(sqlite_template, path)
    platform = bootstrap(conftest.settings_for(f"sqlite:///{path}", priority_window=NO_WINDOW))
    ids, tokens = {}, {}
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        for persona in PERSONAS[1:]:
            role = persona.removeprefix("other_")
            user = create_user(uow.session, f"{persona}@example.test", "correct horse battery", role)
            ids[persona], tokens[persona] = user.id, issue_token(uow.session, user)
            if persona == "client":
                ids["token"] = token_row(uow.session, issue_token(uow.session, user)).id
        set_skills(uow, ids["tasker"], ["springfield"], [SkillSpec("yard-work", 2400)])
        drafts = {
            name: post_task(
                uow,
                ids["client"],
                TaskDraft(
                    category="yard-work",
                    region="springfield",
                    title=name,
                    description="",
                    estimated_minutes=60,
                    starts_at=TASK_START,
                ),
            ).id
            for name in ("accepted", "working", "completed", "open", "unbooked", "handing")
        }
        uow.commit()
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    for name in ("accepted", "working", "completed", "open", "handing"):
        book(platform, drafts[name])
    with platform.uow() as uow:
        tasker = uow.session.get(User, ids["tasker"])
        for name in ("accepted", "working", "completed", "handing"):
            accept_task(uow, tasker, drafts[name], NO_WINDOW)
        for name in ("working", "completed"):
            start_task(uow, tasker, drafts[name], early=ANY_TIME)
        complete_task(uow, tasker, drafts["completed"], 60, tolerance=ANY_TIME)
        rebook = TaskDraft(
            category="yard-work",
            region="springfield",
            title="rebooked",
            description="",
            estimated_minutes=60,
            starts_at=TASK_START,
            addressed_to=tasker.id,
        )
        ids["rebooked"] = post_task(uow, ids["client"], rebook).id
        ids["tip"] = post_tip(uow, tasker, "yard-work", "Edges first", "Then the middle.").id
        peer = create_user(uow.session, "peer@example.test", "correct horse battery", "tasker")
        ids["question"] = ask_question(uow, tasker, "yard-work", "Which shears?", "For box hedges.").id
        ids["answer"] = answer_question(uow, peer, ids["question"], "Topiary shears.").id
        ids["own_answer"] = answer_question(uow, tasker, ids["question"], "Or electric ones.").id
        uow.session.add(Reputation(tasker_id=tasker.id, category="yard-work", tier="trusted"))
        uow.session.flush()
        ids["guide"] = create_guide(uow, tasker, "yard-work", "Hedges", "In order.", [("tip", ids["tip"])]).id
        set_skills(uow, peer.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        ids["peer"] = peer.id
        request_connection(uow, tasker, ids["other_tasker"])
        request_connection(uow, peer, tasker.id)
        accept_connection(uow, tasker, peer.id)
        uow.session.add(Reputation(tasker_id=peer.id, category="yard-work", completed=3, accepted=3))
        uow.session.flush()
        ids["endorsement"] = endorse(uow, peer, tasker.id, "yard-work", "Knows hedges").id
        ids["offer"] = offer_handoff(uow, tasker, drafts["handing"], [peer.id], "", NO_WINDOW)[0].id
        blocker = create_user(uow.session, "blocker@example.test", "correct horse battery", "tasker")
        set_skills(uow, blocker.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        block(uow, blocker, tasker.id)
        ids["blocker"] = blocker.id
        hook = WebhookEndpoint(
            tasker_id=tasker.id, url="https://hooks.example/x", kinds="message.sent", secret=new_secret()
        )
        uow.session.add(hook)
        uow.session.flush()
        delivery = WebhookDelivery(
            endpoint_id=hook.id, event_id="ev-1", kind="message.sent", payload="{}", status="failed"
        )
        uow.session.add(delivery)
        uow.session.flush()
        ids["endpoint"], ids["delivery"] = hook.id, delivery.id
        client_sid = start_web_session(uow.session, uow.session.get(User, ids["client"]))  # a browser of the client's
        ids["web_session"] = web_session_of(uow.session, client_sid).public_id
        ids |= client_exports(uow.session, ids["client"])  # a downloaded export, and a ready one's link
        uow.commit()
    enrol_two_factor(platform, "operator@example.test")  # operators must have it (the web matrix signs in with a code)
    payments = Pipeline(platform, ["pricing", "payments"])  # prices the rebooking; captures the completed task
    payments.drain()
    payments.close()
    platform.close()
    return {"path": path, "ids": {**drafts, **ids}, "tokens": tokens}


def _case_id(case) -> str:
    return f"{case[0]} {case[1]} {case[2]}" if case[2] and "{" in str(case[2]) else f"{case[0]} {case[1]}"


def _filled(body, ids):
    """A body with each "{name}" string replaced by that id of the world (a number)."""
    if isinstance(body, dict):
        return {k: _filled(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [_filled(v, ids) for v in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}") and body[1:-1] in ids:
        return ids[body[1:-1]]
    return body


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", MATRIX, ids=_case_id)
def test_authorization(world, tmp_path, make_platform, case, persona):
    method, path, body, expected = case
    db = tmp_path / "case.db"
    shutil.copy(world["path"], db)
    platform = make_platform(f"sqlite:///{db}", priority_window=NO_WINDOW)
    client = create_app({"TESTING": True}, platform=platform).test_client()
    ids = world["ids"]
    url = path.format(**ids)
    headers = {"Authorization": f"Bearer {world['tokens'][persona]}"} if persona != "anonymous" else {}
    response = client.open(url, method=method, json=_filled(body, ids), headers=headers)
    assert response.status_code == expected[persona], (persona, method, url, response.get_json())
    assert response.is_json or response.status_code == 204


def test_the_matrix_covers_every_operation(client):
    spec = client.get("/api/openapi.json").json
    documented = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    covered = {(method, _shape(path.split("?")[0])) for method, path, _, _ in MATRIX}
    assert {(method, _shape(path)) for method, path in documented} - covered == set()


def _shape(path: str) -> str:
    """A path with each id or name in braces as "{}", and the world's fixed names too."""
    for name, param in (
        ("yard-work/springfield", "{}/{}"),
        ("boards/yard-work", "boards/{}"),
        ("skills/yard-work", "skills/{}"),
    ):
        path = path.replace(name, param)
    return re.sub(r"\{[a-z_]+\}", "{}", path)
