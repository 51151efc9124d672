"""Every link in every email leads to a page its reader can use. One marketplace is built through
the use cases and the workers (a task worked to its payout and reviews, hand-offs taken, declined
and lapsed, a task given back and one cancelled, a refund, a rebooking declined, connections, an
endorsement, an answer, a task opening in a feed, a disabled webhook endpoint), the notifications
group writes its emails with the real Links (workers.links.SiteLinks, at the test app's URL), and
for every email kind and every side it goes to, each link in each such email (the plain-text and
the HTML part) is followed by a browser session signed in on the web as its reader: it answers an
HTML page (after redirects within the site), never JSON, a sign-in page, a 401, 403 or 404."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import col, select

from api import create_app
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.bootstrap import bootstrap
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.community.questions import answer_question, ask_question
from marketplace.conversations.messages import send_message
from marketplace.network import connections as conn
from marketplace.network import endorsements as endo
from marketplace.network.handoffs import accept_handoff, decline_handoff, lapse_offers, offer_handoff
from marketplace.notifications.announce import FeedMail, announce_available
from marketplace.notifications.kinds import EMAILED
from marketplace.notifications.kinds.account import WEBHOOK_DISABLED, webhook_disabled
from marketplace.notifications.letters import Letter, render, render_row
from marketplace.notifications.models import Notification
from marketplace.notifications.prefs import set_preferences
from marketplace.notifications.webhooks import WebhookEndpoint, new_secret
from marketplace.payments.models import PayoutAccount
from marketplace.payments.settlement import refund
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.adjustments import approve_adjustment
from marketplace.tasks.lifecycle import accept_task, cancel_by_client, cancel_by_tasker, complete_task, start_task
from marketplace.tasks.posting import post_task
from marketplace.tasks.rebooking import decline_rebooking
from marketplace.tasks.reviews import review_task
from tests.conftest import settings_for
from tests.service.test_task_use_cases import draft
from tests.support import (
    ANY_TIME,
    NO_WINDOW,
    UNLIMITED,
    Pipeline,
    book,
    csrf,
    enrol_two_factor,
    pass_two_factor,
    seeded,
)
from workers.links import SiteLinks

BASE = "http://localhost"  # the Flask test client's site
PASSWORD = "correct horse battery"
SIDES = sorted(
    {(name, side) for name, kind in EMAILED.items() for side in kind.readers} | {(WEBHOOK_DISABLED, "tasker")}
)
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Email:
    kind: str
    reader: str  # the reader's email address, to sign in with
    text: str
    html: str


@dataclass
class World:
    app: object
    emails: dict[tuple[str, str], list[Email]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("email_links") / "floorboard.db"
    shutil.copy(sqlite_template, path)
    platform = seeded(bootstrap(settings_for(f"sqlite:///{path}", priority_window=NO_WINDOW, public_url=BASE)))
    try:
        yield _build(platform)
    finally:
        platform.close()


def _build(platform) -> World:
    def run(use_case, *args):
        with platform.uow() as uow:
            result = use_case(uow, *args)
            uow.commit()
            return result

    def who(user_id: int) -> User:
        with platform.uow() as uow:
            return uow.session.get_one(User, user_id)

    with platform.uow() as uow:
        people = {
            name: create_user(uow.session, f"{name}@example.test", PASSWORD, role, display_name=name.title()).id
            for name, role in (
                ("cara", "client"),
                ("ann", "tasker"),
                ("bob", "tasker"),
                ("carl", "tasker"),
                ("dora", "tasker"),
                ("olga", "operator"),
            )
        }
        for name in ("ann", "bob", "carl", "dora"):
            set_skills(uow, people[name], ["springfield"], [SkillSpec("yard-work", 2400)])
            uow.session.add(PayoutAccount(tasker_id=people[name], account_id=f"acct_null_{name}"))
        uow.session.add(Reputation(tasker_id=people["bob"], category="yard-work", completed=3, accepted=3))
        uow.commit()
    enrol_two_factor(platform, "olga@example.test")  # operators must have it
    cara, ann, bob, carl, dora, olga = (who(people[n]) for n in ("cara", "ann", "bob", "carl", "dora", "olga"))
    pipeline = Pipeline(platform, ["pricing", "payments", "reviews", "notifications"])

    def booked(**changes) -> int:
        task_id = run(post_task, cara.id, draft(**changes)).id
        pipeline.drain()
        book(platform, task_id)
        return task_id

    def held_by(tasker: User) -> int:
        task_id = booked()
        run(accept_task, tasker, task_id, NO_WINDOW)
        return task_id

    try:
        # A task worked to its end: messages both ways, a claim for more time approved, the charge,
        # the payout, both reviews and their reveal; then an operator's refund.
        worked = held_by(ann)
        run(send_message, cara, worked, "The gate is on the left")
        run(send_message, ann, worked, "On my way")
        run(start_task, ann, worked, ANY_TIME)
        run(complete_task, ann, worked, 150, "Roots everywhere", timedelta(hours=72), ANY_TIME)
        run(approve_adjustment, cara, worked)
        pipeline.drain()
        run(review_task, cara, worked, 5, "Tidy")
        pipeline.drain()  # Ann is asked to write hers; Cara, who wrote hers, is not asked again
        run(review_task, ann, worked, 4, "Kind")
        pipeline.drain()
        # A task whose tasker reviews first: its client is asked to write hers.
        reviewed_first = held_by(bob)
        run(start_task, bob, reviewed_first, ANY_TIME)
        run(complete_task, bob, reviewed_first, 60, "", timedelta(hours=72), ANY_TIME)
        pipeline.drain()
        run(review_task, bob, reviewed_first, 5, "Lovely garden")
        pipeline.drain()
        refund(platform.uow, platform.gateway, olga, worked, 100, "A goodwill gesture")
        # Hand-offs: taken by Bob, declined by Carl, lapsed with Dora.
        taken = held_by(ann)
        [to_bob] = run(offer_handoff, ann, taken, [bob.id], "", NO_WINDOW)
        run(accept_handoff, bob, to_bob.id, NO_WINDOW)
        declined = held_by(ann)
        [to_carl] = run(offer_handoff, ann, declined, [carl.id], "", NO_WINDOW)
        run(decline_handoff, carl, to_carl.id, "Away that week")
        lapsing = held_by(ann)
        run(offer_handoff, ann, lapsing, [dora.id], "", NO_WINDOW)
        run(lapse_offers, utcnow() + timedelta(hours=7))
        # A task given back by its tasker, and one the client cancelled.
        run(cancel_by_tasker, ann, held_by(ann), "Van broke down")
        run(cancel_by_client, cara, held_by(bob), "Plans changed")
        # A rebooking of Ann, who declines it.
        rebooked = booked(addressed_to=ann.id)
        run(decline_rebooking, ann, rebooked, utcnow())
        # The network: Bob asks Ann to connect, she accepts, he endorses her and answers her question.
        run(conn.request_connection, bob, ann.id)
        run(conn.accept_connection, ann, bob.id)
        run(endo.endorse, bob, ann.id, "yard-work", "Careful with roots")
        question = run(ask_question, ann, "yard-work", "Leaf blower or rake?", "Which one for wet leaves?")
        run(answer_question, bob, question.id, "A rake.")
        # A task opening in the feed of Bob, who asked for those emails.
        run(set_preferences, bob.id, {"task.available": "instant"})
        pipeline.drain()
        opened = booked()
        run(announce_available, NO_WINDOW, utcnow(), FeedMail(SiteLinks(BASE), platform.settings.secret_key or ""))
        pipeline.drain()
    finally:
        pipeline.close()
    assert opened

    world = World(create_app({"TESTING": True, **UNLIMITED}, platform=platform))
    with platform.uow() as uow:
        roles = {u.id: (u.role, u.email) for u in uow.session.exec(select(User))}
        rows = uow.session.exec(select(Notification).where(col(Notification.kind) != "digest")).all()
        for row in rows:
            role, address = roles[row.recipient_id]
            _, text, html = render_row(row)
            world.emails.setdefault((row.kind, role), []).append(Email(row.kind, address, text, html))
        # Account mail no event brings: the disabled endpoint's letter, as the webhook sender writes it.
        endpoint = WebhookEndpoint(
            tasker_id=ann.id,
            url="https://bot.example/hook",
            kinds="message.sent",
            secret=new_secret(),
            status="disabled",
        )
        uow.session.add(endpoint)
        uow.commit()
        draft_ = webhook_disabled(SiteLinks(BASE), endpoint.id, endpoint.url, "The endpoint answered 410 Gone.")
        text, html = render(Letter.to(ann.id, WEBHOOK_DISABLED, draft_), ann)
        world.emails[(WEBHOOK_DISABLED, "tasker")] = [Email(WEBHOOK_DISABLED, ann.email, text, html)]
    return world


def links_in(email: Email) -> set[str]:
    """Every link the email shows: the HTML part's hrefs and the plain text's URLs of the site. (A
    letter may name a URL that is not ours as what it is about, such as a tasker's own webhook
    endpoint: never as a link.)"""
    hrefs = {h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', email.html)}
    named = {u.rstrip(".,;:)") for u in URL.findall(email.text)}
    assert not {u for u in named if not u.startswith(BASE + "/")} & hrefs
    return hrefs | {u for u in named if u.startswith(BASE + "/")}


def signed_in(app, address: str):
    browser = app.test_client()
    form = browser.get("/login").get_data(as_text=True)
    done = browser.post("/login", data={"email": address, "password": PASSWORD, "csrf_token": csrf(form)})
    done = pass_two_factor(browser, done)  # an operator's second step
    assert done.status_code in (302, 303), f"{address} could not sign in on the web"
    return browser


def test_the_world_wrote_every_kind_of_email_to_every_side(world):
    missing = [pair for pair in SIDES if not world.emails.get(pair)]
    assert not missing, f"no email written for {missing}"


@pytest.mark.parametrize(("kind", "side"), SIDES, ids=[f"{k}-{s}" for k, s in SIDES])
def test_every_link_in_the_email_opens_a_page_for_its_reader(world, kind, side):
    emails = world.emails.get((kind, side))
    assert emails, f"no {kind} email to a {side} was written"
    for email in emails:
        browser = signed_in(world.app, email.reader)
        links = links_in(email)
        assert links, f"{kind} to a {side}: no link"
        for link in sorted(links):
            assert link.startswith(BASE + "/"), f"{kind}: {link} leaves the site"
            parts = urlsplit(link)
            assert not parts.path.startswith("/api/"), f"{kind}: {link} is the API, not a page"
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            page = browser.get(target, follow_redirects=True)
            where = page.request.path
            said = f"{kind} to a {side} ({email.reader}): {link} -> {page.status_code} at {where}"
            assert page.status_code == 200, said
            assert page.mimetype == "text/html", f"{said}: {page.mimetype}"
            assert where != "/login", f"{said}: asked to sign in"
            if parts.fragment:  # an anchor on the page: the section it names is there
                assert f'id="{parts.fragment}"' in page.get_data(as_text=True), f"{said}: no #{parts.fragment}"
