"""HTTP fixtures in the Flask tutorial's style: `app`, `client`, and an `api` helper that signs
people up and carries their tokens."""

from __future__ import annotations

import uuid

import pytest

from api import create_app
from marketplace.accounts import create_user
from tests.support import Pipeline, seeded


@pytest.fixture
def platform(sqlite_url, make_platform):
    platform = make_platform(sqlite_url)
    seeded(platform, demo_users=False)
    return platform


@pytest.fixture
def app(platform):
    return create_app({"TESTING": True}, platform=platform)


@pytest.fixture
def client(app):
    return app.test_client()


class ApiHelper:
    def __init__(self, client, platform):
        self.client = client
        self.platform = platform

    def signup(self, role: str = "client", email: str | None = None) -> dict:
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.test"
        password = "correct horse battery"
        if role == "operator":
            with self.platform.uow() as uow:
                create_user(uow.session, email, password, "operator")
                uow.commit()
        else:
            r = self.client.post("/api/v1/users", json={"email": email, "password": password, "role": role})
            assert r.status_code == 201, r.json
        r = self.client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert r.status_code == 201, r.json
        return {"Authorization": f"Bearer {r.json['token']}", "id": r.json["user"]["id"], "email": email}

    def headers(self, who: dict | None) -> dict:
        return {"Authorization": who["Authorization"]} if who else {}

    def post_task(self, who, **overrides):
        body = {
            "category": "yard-work",
            "region": "springfield",
            "title": "Rake the leaves",
            "description": "Front and back yard.",
            "estimated_minutes": 95,
            "starts_at": "2030-06-01T09:00:00Z",
            **overrides,
        }
        return self.client.post("/api/v1/tasks", json=body, headers=self.headers(who))

    def book(self, who, task_id: int, payment_method: str = "pm_card_visa"):
        """Book a priced task (a card hold), which opens it to taskers."""
        r = self.client.post(
            f"/api/v1/tasks/{task_id}/book", headers=self.headers(who), json={"payment_method": payment_method}
        )
        assert r.status_code == 200, r.json
        return r

    def price_pending(self) -> None:
        """Run the pricing stage over everything posted so far (what the worker does)."""
        pipeline = Pipeline(self.platform, ["pricing"])
        try:
            pipeline.drain()
        finally:
            pipeline.close()


@pytest.fixture
def api(client, platform):
    return ApiHelper(client, platform)
