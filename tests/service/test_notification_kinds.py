"""Each kind of notice through its letter: every emailed kind writes one for the events it is
about, to the people concerned, on one line of subject, with links from the entrypoint's builder
and amounts in the region's currency; a batch's rows are written once at commit."""

from __future__ import annotations

import email
import email.policy

from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.floors.models import Region
from marketplace.notifications.kinds import EMAILED
from marketplace.notifications.letters import render, render_row
from marketplace.notifications.models import Notification
from marketplace.notifications.plans import deliver, plan
from tests.service.notice_events import a_task, events
from workers.links import SiteLinks

LINKS = SiteLinks("https://floorboard.example")


def _market(market, **task_changes):
    platform, _, people = market
    with platform.uow() as uow:
        for user_id, name in ((people["client"], "Cara"), (people["ann"], "Ann"), (people["bob"], "")):
            uow.session.get_one(User, user_id).display_name = name
        task_id = a_task(uow, people["client"], people["ann"], **task_changes)
        uow.commit()
    return platform, events(task_id, people["client"], people["ann"], people["bob"]), people


def test_every_emailed_kind_writes_its_letters_to_the_people_concerned(market):
    platform, made, people = _market(market)
    with platform.uow() as uow:
        letters = [letter for event in made for letter in plan(uow.session, event, LINKS)]
    assert {letter.kind for letter in letters} == set(EMAILED)
    assert {letter.recipient_id for letter in letters} == {people["client"], people["ann"], people["bob"]}
    assert all("\n" not in letter.subject and letter.link.startswith(LINKS.public_url) for letter in letters)
    [offered] = [letter for letter in letters if letter.kind == "task.handoff_offered"]
    assert offered.recipient_id == people["bob"] and offered.subject == "Ann offers you “Rake & <mow>”"
    assert f"POST {LINKS.accept_handoff(4)}." in offered.lines[-1] and offered.link == LINKS.handoff_offers()
    to_client = [
        letter for letter in letters if letter.kind == "message.sent" and letter.recipient_id == people["client"]
    ]
    assert to_client[0].lines == ["Ann wrote:", "<b>gate</b>"]
    assert to_client[0].link == LINKS.messages(made[0].data["task_id"], "client")


def test_amounts_are_in_the_currency_of_the_tasks_region(market):
    platform, made, _ = _market(market)
    with platform.uow() as uow:
        uow.session.get_one(Region, "springfield").currency = "EUR"
        uow.commit()
    with platform.uow() as uow:
        [charged] = [
            letter for event in made if event.type == "payment.captured" for letter in plan(uow.session, event, LINKS)
        ]
    assert charged.subject == "Charged 27.40 EUR for “Rake & <mow>”"


def test_a_title_stored_with_a_line_break_gives_a_one_line_subject(market):
    platform, made, _ = _market(market, title="Rake\r\nthe\u2028leaves")  # a row from before titles were checked
    with platform.uow() as uow:
        letters = [letter for event in made for letter in plan(uow.session, event, LINKS)]
    assert letters and all(letter.subject == " ".join(letter.subject.split()) for letter in letters)
    assert any("“Rake the leaves”" in letter.subject for letter in letters)


def test_a_batchs_rows_are_written_once_when_it_commits(market):
    platform, made, people = _market(market)
    accepted = next(event for event in made if event.type == "task.accepted")
    with platform.uow() as uow:
        deliver(uow, accepted, LINKS, "secret")
        deliver(uow, accepted, LINKS, "secret")  # the same event twice in one batch
        assert uow.session.exec(select(Notification)).all() == []  # nothing until the commit
        uow.commit()
    with platform.uow() as uow:
        [row] = uow.session.exec(select(Notification)).all()
    assert (row.kind, row.recipient_id, row.status) == ("task.accepted", people["client"], "pending")
    assert row.unsubscribe_url.startswith(f"{LINKS.public_url}/unsubscribe/")


def test_a_row_renders_when_sent_to_the_letter_it_keeps(market):
    platform, made, people = _market(market)
    with platform.uow() as uow:
        for event in made:
            deliver(uow, event, LINKS, "secret")
        uow.commit()
    with platform.uow() as uow:
        rows = {(r.event_id, r.recipient_id): r for r in uow.session.exec(select(Notification))}
        letters = [(event, letter) for event in made for letter in plan(uow.session, event, LINKS)]
        for event, letter in letters:
            row = rows[(event.id, letter.recipient_id)]
            reader = uow.session.get_one(User, letter.recipient_id)
            assert (row.text_body, row.html_body) == ("", "")  # nothing rendered until it is sent
            assert render_row(row) == (letter.subject, *render(letter, reader, row.unsubscribe_url))
    assert len(rows) == len(letters)
    old = Notification(subject="Rake\nthe leaves", text_body="t", html_body="<p>t</p>")  # a row from before
    assert render_row(old) == ("Rake the leaves", "t", "<p>t</p>")


def test_the_mailer_sends_the_kept_letter_rendered(market):
    from marketplace.notifications.sender import SmtpServer, send_due
    from tests.mail_server import MailServer

    platform, made, people = _market(market, title="Rake\nthe leaves")  # an old row's title, too
    message = next(e for e in made if e.type == "message.sent" and e.data["recipient_id"] == people["ann"])
    with platform.uow() as uow:
        deliver(uow, message, LINKS, "secret")
        uow.commit()
    with MailServer() as mail:
        assert send_due(platform.uow, SmtpServer.from_url(mail.url), "Floorboard <f@example.test>") == 1
        [received] = mail.recorder.messages
    sent = email.message_from_bytes(received.as_bytes(), policy=email.policy.default)
    text = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    assert sent["Subject"] == "A message about “Rake the leaves”" and sent["To"] == "ann@example.test"
    assert text.startswith("Hello Ann,\n\nYour client wrote:\n\n<b>gate</b>\n")
    assert f"Answer: {LINKS.messages(message.data['task_id'], 'tasker')}" in text
    assert "<p>&lt;b&gt;gate&lt;/b&gt;</p>" in html and sent["List-Unsubscribe"].startswith(
        "<https://floorboard.example/"
    )


def test_the_disabled_endpoint_letter_links_through_the_builder():
    from marketplace.notifications.kinds.account import webhook_disabled

    said = webhook_disabled(LINKS, 7, "https://bot.example/hook", "The endpoint answered 410 Gone.")
    assert said.lines[-1] == f"Fix it, then enable it again: POST {LINKS.enable_webhook(7)}"
