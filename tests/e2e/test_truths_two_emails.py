"""Issue 31, the emails: a side that has written its review is never asked to write it; no line of
any email starts with "From " (and the mailer sends such a line as written, never as ">From ");
in test mode (no payment provider) the money emails say that no card was charged, as the pages do."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlmodel import col, select

from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.bootstrap import bootstrap
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from marketplace.notifications.sender import SmtpServer, _Conversation, message_for, wire
from marketplace.payments.models import PayoutAccount
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.posting import post_task
from marketplace.tasks.reviews import review_task
from tests.conftest import settings_for
from tests.e2e.test_email_links import SIDES, world  # noqa: F401  # the world of every email, a fixture
from tests.mail_server import MailServer
from tests.service.test_task_use_cases import draft
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, seeded


@pytest.fixture
def market(sqlite_template, tmp_path):
    path = tmp_path / "floorboard.db"
    shutil.copy(sqlite_template, path)
    platform = seeded(bootstrap(settings_for(f"sqlite:///{path}", priority_window=NO_WINDOW)))
    assert platform.gateway.name != "stripe"  # test mode: no payment provider
    try:
        yield platform
    finally:
        platform.close()


def _run(platform, use_case, *args):
    with platform.uow() as uow:
        result = use_case(uow, *args)
        uow.commit()
        return result


def _people(platform) -> tuple[User, User]:
    with platform.uow() as uow:
        cara = create_user(uow.session, "cara@example.test", "correct horse battery", "client", display_name="Cara")
        ann = create_user(uow.session, "ann@example.test", "correct horse battery", "tasker", display_name="Ann")
        set_skills(uow, ann.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        uow.session.add(PayoutAccount(tasker_id=ann.id, account_id="acct_null_ann"))
        uow.commit()
        return uow.session.get_one(User, cara.id), uow.session.get_one(User, ann.id)


def _completed(platform, pipeline, cara: User, ann: User) -> int:
    task_id = _run(platform, post_task, cara.id, draft()).id
    pipeline.drain()
    book(platform, task_id)
    _run(platform, accept_task, ann, task_id, NO_WINDOW)
    _run(platform, start_task, ann, task_id, ANY_TIME)
    _run(platform, complete_task, ann, task_id, 60, "", timedelta(hours=72), ANY_TIME)
    pipeline.drain()
    return task_id


def _emails(platform) -> list[tuple[str, int, str, str]]:
    """(kind, recipient, subject, plain text) of every email row written, oldest first."""
    with platform.uow() as uow:
        rows = uow.session.exec(select(Notification).order_by(col(Notification.id))).all()
        return [(row.kind, row.recipient_id, *render_row(row)[:2]) for row in rows]


def test_a_side_that_has_reviewed_is_not_asked_to_write_its_review(market):
    cara, ann = _people(market)
    pipeline = Pipeline(market, ["pricing", "payments", "reviews", "notifications"])
    try:
        # The client reviews first and the tasker right after, before either event is read: the
        # tasker had written hers when the client's was read, so nobody is asked to write theirs.
        both = _completed(market, pipeline, cara, ann)
        _run(market, review_task, cara, both, 5, "Tidy")
        _run(market, review_task, ann, both, 4, "Kind")
        pipeline.drain()
        asked = [(kind, to) for kind, to, _, _ in _emails(market) if kind == "review.submitted"]
        assert asked == []
        revealed = {to: text for kind, to, _, text in _emails(market) if kind == "review.revealed"}
        assert set(revealed) == {cara.id, ann.id}
        assert "Your tasker rated you ★★★★☆ (4 of 5)." in revealed[cara.id]
        assert "Your client rated you ★★★★★ (5 of 5)." in revealed[ann.id]
        # The tasker reviews first, and the client is asked; when the client then writes hers, the
        # tasker (who wrote hers) is not asked.
        second = _completed(market, pipeline, cara, ann)
        _run(market, review_task, ann, second, 5, "Lovely garden")
        pipeline.drain()
        _run(market, review_task, cara, second, 5, "Quick")
        pipeline.drain()
        asked = [(to, text) for kind, to, _, text in _emails(market) if kind == "review.submitted"]
        assert [to for to, _ in asked] == [cara.id]
        assert "Write yours" in asked[0][1]
    finally:
        pipeline.close()


def test_in_test_mode_the_money_emails_say_no_card_was_charged(market):
    cara, ann = _people(market)
    pipeline = Pipeline(market, ["pricing", "payments", "reviews", "notifications"])
    try:
        _completed(market, pipeline, cara, ann)
        pipeline.drain()
    finally:
        pipeline.close()
    money = {kind: (subject, text) for kind, _, subject, text in _emails(market) if kind.startswith("payment.")}
    subject, text = money["payment.captured"]
    assert "We charged" not in text and "Charged" not in subject
    assert "(test mode)" in subject and "no card was charged" in text
    subject, text = money["payment.transferred"]
    assert "(test mode)" in subject and "nothing was sent to a bank" in text
    assert "to your payout account" not in text


def test_every_email_to_every_side_has_no_line_starting_with_from(world):  # noqa: F811
    seen = set()
    for (kind, side), emails in world.emails.items():
        for email in emails:
            for part in (email.text, email.html):
                starts = [line for line in part.splitlines() if line.lstrip(">").startswith("From ")]
                assert not starts, f"{kind} to a {side}: {starts}"
            seen.add((kind, side))
    assert set(SIDES) <= seen


def test_the_mailer_sends_a_line_starting_with_from_as_written():
    row = Notification(
        id=7,
        recipient_id=1,
        channel="email",
        kind="message.sent",
        to_address="cara@example.test",
        subject="A line that starts with From",
        text_body="Hello,\n\nFrom your tasker: see you at nine.\n",
        html_body="<p>Hello,</p>\nFrom your tasker: see you at nine.\n",
        status="pending",
    )
    message = message_for(row, "Floorboard <mail@floorboard.test>")
    sender, recipients, data, options = wire(message)
    assert (sender, recipients, options) == ("mail@floorboard.test", ["cara@example.test"], ())
    assert b"\r\nFrom your tasker" in data and b">From" not in data
    with MailServer() as server, _Conversation(SmtpServer.from_url(server.url)) as conversation:
        conversation.send(message)
        [received] = server.recorder.messages
    text = received.get_payload()[0].get_payload(decode=True).decode()
    assert "\nFrom your tasker: see you at nine." in text.replace("\r\n", "\n")
    assert ">From" not in text
