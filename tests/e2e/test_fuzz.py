"""Schemathesis over /api/openapi.json: at least 100 generated requests per operation, each sent
with the role that operation is for (so it gets past authentication to the validation), and
not one may answer 5xx."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from api import create_app
from cli.demo import seed_demo
from marketplace.accounts.models import User
from marketplace.accounts.tokens import issue_token
from marketplace.accounts.users import create_user
from marketplace.community.tips import post_tip
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import NO_WINDOW, Pipeline, book

EXAMPLES = 100
OPERATOR_PATHS = ("/api/v1/floors", "/licenses", "/hide", "/refunds", "/revoke", "/api/v1/market/")
OPERATOR_ROUTES = {("GET", "/api/v1/endorsements")}
CLIENT_ROUTES = {
    ("POST", "/api/v1/tasks"),
    ("POST", "/api/v1/tasks/{task_id}/review"),
    ("POST", "/api/v1/tasks/{task_id}/book"),
    ("GET", "/api/v1/clients/me/taskers"),
}


def fuzz_operation(operation, label: str, headers: dict, sent: dict, past_auth: set) -> None:
    # Valid and invalid requests alike: invalid ones must get a 4xx with a JSON message.
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case):
        response = case.call(headers=headers)
        sent[label] = sent.get(label, 0) + 1
        if response.status_code not in (401, 403):
            past_auth.add(label)
        assert response.status_code < 500, (label, case.formatted_path, case.body, response.text[:500])
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])[0]
            assert content_type.startswith("application/json"), (label, response.status_code, response.text[:200])
            assert "message" in response.json(), (label, response.text[:200])

    fuzz()


@pytest.fixture(params=["sqlite", "postgres"])
def fuzz_app(request, make_platform):
    platform = make_platform(request.getfixturevalue(f"{request.param}_url"), priority_window=NO_WINDOW)

    tokens = {}
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        users = {
            role: create_user(uow.session, f"{role}@fuzz.test", "correct horse battery", role)
            for role in ("client", "tasker", "operator")
        }
        tokens = {role: issue_token(uow.session, user) for role, user in users.items()}
        set_skills(uow, users["tasker"].id, ["springfield"], [SkillSpec("yard-work", 2400)])
        for n in range(3):  # a few real ids for the generator to hit among the random ones
            post_task(
                uow,
                users["client"].id,
                TaskDraft("yard-work", "springfield", f"task {n}", "", 60, datetime(2031, 1, 1, tzinfo=timezone.utc)),
            )
        post_tip(uow, users["tasker"], "yard-work", "A tip", "Body")
        uow.commit()
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    book(platform, 1)
    with platform.uow() as uow:
        accept_task(uow, uow.session.get(User, users["tasker"].id), 1, NO_WINDOW)
        uow.commit()
    # Limits high enough that the generator reaches validation rather than a 429.
    app = create_app(
        {
            "TESTING": True,
            "RATELIMIT_LOGIN": "100000 per minute",
            "RATELIMIT_SIGNUP": "100000 per hour",
            "RATELIMIT_POSTING": "100000 per minute",
        },
        platform=platform,
    )
    app.config["FUZZ_TOKENS"] = tokens
    return app


def role_for(method: str, path: str) -> str:
    if any(marker in path for marker in OPERATOR_PATHS) or (method, path) in OPERATOR_ROUTES:
        return "operator"
    if (method, path) in CLIENT_ROUTES:
        return "client"
    return "tasker"


def test_no_operation_answers_5xx(fuzz_app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Revoking the token would leave the operations after it nothing but 401s: fuzz it last.
    operations.sort(key=lambda op: (op.method.upper(), op.path) == ("DELETE", "/api/v1/auth/token"))
    assert len(operations) >= 25
    tokens = fuzz_app.config["FUZZ_TOKENS"]
    sent: dict[str, int] = {}
    past_auth: set[str] = set()

    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        token = tokens[role_for(operation.method.upper(), operation.path)]
        fuzz_operation(operation, label, {"Authorization": f"Bearer {token}"}, sent, past_auth)
    print("requests per operation:", sent)
    short = {label: n for label, n in sent.items() if n < EXAMPLES}
    assert short == {}, short
    assert len(sent) == len(operations)
    assert set(sent) - past_auth == set()  # every operation was exercised beyond the role check
