"""Helpers for tests: emitting events, draining runners, and a sink table for test handlers."""

from __future__ import annotations

import re
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.serving import make_server

from events.envelope import CloudEvent
from events.relay import Relay
from marketplace.clock import utcnow


class SinkBase(DeclarativeBase):
    """Not part of the schema (its own metadata): where test handlers record their effects."""


class Effect(SinkBase):
    __tablename__ = "test_effects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    member: Mapped[str] = mapped_column(String(40))


effects = Effect.__table__


def create_sink(platform) -> None:
    SinkBase.metadata.create_all(platform.engine)


def posted_event(task_id: int, seq: int = 0) -> CloudEvent:
    now = utcnow()
    return CloudEvent(
        type="task.posted",
        subject=str(task_id),
        data={
            "task_id": task_id,
            "client_id": 1,
            "category": "yard-work",
            "region": "springfield",
            "title": f"task {task_id}",
            "estimated_minutes": seq + 1,
            "starts_at": now + timedelta(days=1),
            "offered_rate": None,
            "posted_at": now,
        },
    )


def emit_posted(platform, specs: list[tuple[int, int]]) -> None:
    """Append task.posted events (task_id, seq) through the outbox, in order, in one transaction."""
    with platform.uow() as uow:
        for task_id, seq in specs:
            uow.emit(posted_event(task_id, seq), key=str(task_id))
        uow.commit()


def relay_all(platform) -> int:
    """On Kafka, publish everything in the outbox now. On the embedded log there is nothing to do."""
    if platform.transport.name != "kafka":
        return 0
    relay = Relay(platform.engine, platform.publisher())
    total = 0
    try:
        while n := relay.run_once():
            total += n
    finally:
        relay.close()  # its lock too, or the next relay_all would stand by behind it
    return total


def recording_handler(member: str, fail_for: set[int] | None = None):
    fail_for = fail_for if fail_for is not None else set()

    def handle(uow, event):
        if event.data["task_id"] in fail_for:
            raise RuntimeError(f"cannot handle task {event.data['task_id']}")
        uow.session.add(
            Effect(
                event_id=event.id, task_id=event.data["task_id"], seq=event.data["estimated_minutes"] - 1, member=member
            )
        )

    return handle


def effect_rows(platform) -> list:
    with platform.engine.connect() as conn:
        return list(conn.execute(select(effects).order_by(effects.c.id)))


def effect_count(platform) -> int:
    with platform.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(effects)).scalar_one()


def login(client, email: str, password: str) -> dict:
    """Bearer headers for an account, through POST /api/v1/auth/token (with a two-factor code when
    the account has two-factor sign-in)."""
    answer = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    if answer.status_code == 401 and "code" in answer.json.get("errors", {}).get("json", {}):
        code = two_factor_code(client.application.extensions["floorboard"], email)
        answer = client.post("/api/v1/auth/token", json={"email": email, "password": password, "code": code})
    token = answer.json["token"]
    return {"Authorization": f"Bearer {token}"}


def enrol_two_factor(platform, email: str, secret: str | None = None) -> str:
    """Turn two-factor sign-in on for an account (as if enrolled, no step used yet); its secret."""
    import pyotp
    from sqlmodel import col
    from sqlmodel import select as select_model

    from marketplace.accounts.models import User
    from marketplace.accounts.two_factor import enrol_with_secret

    secret = secret or pyotp.random_base32()
    with platform.uow() as uow:
        user = uow.session.exec(select_model(User).where(col(User.email) == email.lower())).one()
        enrol_with_secret(uow.session, user, secret)
        uow.commit()
    return secret


def make_operator(platform, email: str, password: str = "correct horse battery", display_name: str = "") -> int:
    """An operator account with two-factor sign-in on (operators must have it); its id."""
    from marketplace.accounts.users import create_user

    with platform.uow() as uow:
        user_id = create_user(uow.session, email, password, "operator", display_name).id
        uow.commit()
    enrol_two_factor(platform, email)
    return user_id


def two_factor_code(platform, email: str) -> str:
    """A TOTP code the app accepts now for this account: for a time step after the last one used
    (codes never work twice), within the one-step window. Waits for the next step when the window
    is used up (three sign-ins of one account within 30 seconds)."""
    from sqlmodel import col
    from sqlmodel import select as select_model

    from marketplace.accounts import two_factor
    from marketplace.accounts.models import TwoFactor, User

    while True:
        with platform.uow() as uow:
            user = uow.session.exec(select_model(User).where(col(User.email) == email.lower())).one()
            row = uow.session.get(TwoFactor, user.id)
            assert row is not None and row.confirmed_at is not None, f"{email} has no two-factor sign-in"
            secret, last = two_factor._open(row.secret_encrypted), row.last_step
        now_s = time.time()
        now = int(now_s) // two_factor.STEP_S
        # The step before now only while it stays in the window until the code is checked.
        first = now - 1 if now_s % two_factor.STEP_S < two_factor.STEP_S - 5 else now
        step = first if last is None else max(first, last + 1)
        if step <= now + 1:
            return two_factor.code_for_step(secret, step)
        time.sleep(two_factor.STEP_S - now_s % two_factor.STEP_S + 0.2)


def pass_two_factor(client, answer, platform=None):
    """Given the answer to a sign-in form (a Flask test client's), finish the second step when it
    asks for a code; the answer that follows (or `answer` itself when no code was asked)."""
    location = answer.headers.get("Location", "") if answer.status_code in (302, 303) else ""
    if not location.startswith("/login/code"):
        return answer
    platform = platform or client.application.extensions["floorboard"]
    with client.session_transaction() as cookie:
        user_id = cookie["two_factor"]["user"]
    from marketplace.accounts.models import User

    with platform.uow() as uow:
        email = uow.session.get(User, user_id).email
    page = client.get(location)
    form = {"code": two_factor_code(platform, email)}
    if 'name="csrf_token"' in page.get_data(as_text=True):
        form["csrf_token"] = csrf(page.get_data(as_text=True))
    return client.post(location, data=form)


def browser_two_factor(page, platform, email: str) -> None:
    """In a Playwright page whose sign-in form was just sent: type a code when the second step asks
    for one (an operator's), and wait until the browser is past it."""
    page.wait_for_url(lambda url: "/login" not in url or "/login/code" in url)
    if "/login/code" in page.url:
        page.fill("input[name=code]", two_factor_code(platform, email))
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)


def wait_until(condition, timeout: float = 60, step=None, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        if step is not None:
            step()
        else:
            time.sleep(0.05)


class Pipeline:
    """The workers a test needs, driven by hand: `pump()` relays (on Kafka) and polls each once."""

    def __init__(self, platform, groups: list[str]):
        from workers import registry

        self.platform = platform
        relay_all(platform)  # the pricing stage rebuilds its floors from the topic when built
        self.runners = [registry()[group].build(platform) for group in groups]
        # The Stripe calls the payments group queues are made by their sender, after commit.
        self.senders = [registry()["payment-calls"].build(platform)] if "payments" in groups else []

    def pump(self) -> None:
        relay_all(self.platform)
        # The embedded log's consumers are rung by this process's commits: one not rung has nothing
        # new (a timeout would only be waited out); Kafka's need a moment for the fetch.
        wait_s = 0.1 if self.platform.transport.name == "kafka" else 0.0
        for runner in self.runners:
            runner.run_once(timeout_s=wait_s)
        for sender in self.senders:
            sender.run_once()

    def until(self, condition, message: str, timeout: float = 120) -> None:
        wait_until(condition, timeout, step=self.pump, message=message)

    def drain(self, timeout: float = 60) -> None:
        """Pump until the outbox is relayed and every group has committed up to the end of its topics."""

        def settled() -> bool:
            return (
                relay_all(self.platform) == 0
                and all(sum(self.platform.transport.lag(r.group, r.topics).values()) == 0 for r in self.runners)
                and all(sender.outstanding() == 0 for sender in self.senders)
            )

        wait_until(settled, timeout, step=self.pump, message="the pipeline to drain")

    def close(self) -> None:
        for runner in self.runners:
            runner.close()


@contextmanager
def live_server(app, port: int = 0):
    """Serve a Flask app on 127.0.0.1 (a free port unless given one, a thread per request) for real
    HTTP clients."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def make_tasker(platform, email: str, skills: dict[str, int], regions: list[str]) -> tuple[int, str]:
    """A tasker with skills and a bearer token, made directly (no HTTP): (user id, token)."""
    from marketplace.accounts.tokens import issue_token
    from marketplace.accounts.users import create_user
    from marketplace.taskers.skills import SkillSpec, set_skills

    with platform.uow() as uow:
        user = create_user(uow.session, email, "correct horse battery", "tasker")
        set_skills(uow, user.id, regions, [SkillSpec(c, r) for c, r in skills.items()])
        token = issue_token(uow.session, user)
        uow.commit()
    return user.id, token


def csrf(html: str) -> str:
    """The CSRF token a rendered form carries."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


# Limits far above what a test sends. (Not RATELIMIT_ENABLED=False: the limiter is one object
# shared by every app in the process, and disabling it for one app disables it for the rest.)
UNLIMITED = {
    key: "100000 per minute"
    for key in ("RATELIMIT_LOGIN", "RATELIMIT_SIGNUP", "RATELIMIT_POSTING", "RATELIMIT_TIPS", "RATELIMIT_MESSAGES")
}

ANY_TIME = timedelta(days=3650)  # a start window wide enough for tests that work a task days before it starts
NO_WINDOW = (("elite", 0), ("trusted", 0), ("newcomer", 0))  # every tier sees a task at once


def seeded(platform, demo_users: bool = False):
    """Seed the demo regions, categories and floors into a platform's database; return it."""
    from cli.demo import seed_demo

    with platform.uow() as uow:
        seed_demo(uow, demo_users=demo_users)
        uow.commit()
    return platform


def book(platform, task_id: int) -> None:
    """Book a priced task through the platform's gateway, as its client would."""
    from marketplace.accounts.models import User
    from marketplace.payments.holds import book_task
    from marketplace.tasks.models import Task

    with platform.uow() as uow:
        client = uow.session.get(User, uow.session.get(Task, task_id).client_id)
    payment, _ = book_task(platform.uow, platform.gateway, client, task_id, payment_method="pm_card_visa")
    assert payment.status == "authorized", payment


# A posting every test can make: a known category and region, a start years ahead.
TASK_BODY = {
    "category": "yard-work",
    "region": "springfield",
    "title": "Rake the leaves",
    "description": "Front and back yard.",
    "estimated_minutes": 95,
    "starts_at": "2030-06-01T09:00:00Z",
}


class ApiHelper:
    def __init__(self, client, platform):
        self.client = client
        self.platform = platform

    def signup(self, role: str = "client", email: str | None = None) -> dict:
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.test"
        password = "correct horse battery"
        body = {"email": email, "password": password}
        if role == "operator":
            make_operator(self.platform, email, password)  # with two-factor: operators must have it
            body["code"] = two_factor_code(self.platform, email)
        else:
            r = self.client.post("/api/v1/users", json={"email": email, "password": password, "role": role})
            assert r.status_code == 201, r.json
        r = self.client.post("/api/v1/auth/token", json=body)
        assert r.status_code == 201, r.json
        return {"Authorization": f"Bearer {r.json['token']}", "id": r.json["user"]["id"], "email": email}

    def headers(self, who: dict | None) -> dict:
        return {"Authorization": who["Authorization"]} if who else {}

    def post_task(self, who, **overrides):
        body = {**TASK_BODY, **overrides}
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
