"""Each kind of notice through its letter: every emailed kind writes one for the events it is
about, to each side it goes to, on one line of subject, with links from the entrypoint's builder
to web pages (never an API call for a person to make: the API is named only in the footer, for
apps) and amounts in the region's currency; a batch's rows are written once at commit."""

from __future__ import annotations

import email
import email.policy
import re
from urllib.parse import urlsplit

from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.floors.models import Region
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds import EMAILED
from marketplace.notifications.kinds.feed import Opening
from marketplace.notifications.letters import Letter, render, render_row
from marketplace.notifications.models import Notification
from marketplace.notifications.plans import deliver, letters_of, plan
from marketplace.tasks.models import Task, TaskQuote
from tests.service.notice_events import QUOTE, a_network, a_task, events
from workers.links import SiteLinks

LINKS = SiteLinks("https://floorboard.example")
# The web pages a letter may send its reader to (workers/links.py; tests/e2e/test_links.py holds
# each to a route): never /api/...
PAGES = re.compile(
    r"/(tasks|work|handoffs|taskers|questions|me/webhooks)/\d+(#conversation)?"
    r"|/(feed|work|handoffs|me/earnings|network(#requests|#endorsements)?|account/notifications)"
)


def _market(market, **task_changes):
    platform, _, people = market
    with platform.uow() as uow:
        for user_id, name in ((people["client"], "Cara"), (people["ann"], "Ann"), (people["bob"], "")):
            uow.session.get_one(User, user_id).display_name = name
        task_id = a_task(uow, people["client"], people["ann"], **task_changes)
        offer_id, question_id = a_network(uow, task_id, people["ann"], people["bob"])
        uow.commit()
    return platform, events(task_id, people["client"], people["ann"], people["bob"], offer_id, question_id), people


def _feed_letter(platform, task_id: int, tasker_id: int, cap: int | None = None, more: int = 0) -> Letter:
    """The sweep's letter for a task that opened to a tasker (announce.py writes it so)."""
    with platform.uow() as uow:
        uow.session.add(TaskQuote(task_id=task_id, **QUOTE))
        uow.session.flush()
        facts = Facts(uow.session, LINKS)
        [letter] = letters_of(
            facts, "task.available", Opening(uow.session.get_one(Task, task_id), tasker_id, cap, more)
        )
        uow.rollback()
    return letter


def _role(platform, user_id: int) -> str:
    with platform.uow() as uow:
        return uow.session.get_one(User, user_id).role


def test_every_emailed_kind_writes_its_letters_to_each_side_it_goes_to_with_a_page_to_act_on(market):
    platform, made, people = _market(market)
    with platform.uow() as uow:
        letters = [letter for event in made for letter in plan(uow.session, event, LINKS)]
    letters.append(_feed_letter(platform, made[0].data["task_id"], people["bob"]))
    assert {letter.kind for letter in letters} == set(EMAILED)
    assert {letter.recipient_id for letter in letters} == {people["client"], people["ann"], people["bob"]}
    sides = {(letter.kind, _role(platform, letter.recipient_id)) for letter in letters}
    assert sides == {(name, side) for name, kind in EMAILED.items() for side in kind.readers}  # every side, each
    for letter in letters:
        action = " ".join([letter.subject, *letter.lines, letter.link or "", letter.link_text])
        assert "\n" not in letter.subject, letter
        assert "POST " not in action and "GET " not in action and "/api/v1" not in action, letter
        assert letter.link and letter.link.startswith(LINKS.public_url + "/"), letter
        url = urlsplit(letter.link)
        assert PAGES.fullmatch(url.path + (f"#{url.fragment}" if url.fragment else "")), letter.link
        assert re.fullmatch(r"(GET|POST) /api/v1/[\w/?=]+", letter.api), letter  # for apps, in the footer
    [offered] = [letter for letter in letters if letter.kind == "task.handoff_offered"]
    offer_id = next(e.data["offer_id"] for e in made if e.type == "task.handoff_offered")
    assert offered.recipient_id == people["bob"] and offered.subject == "Ann offers you “Rake & <mow>”"
    assert offered.link == LINKS.accept_handoff(offer_id) and offered.api == "GET /api/v1/taskers/me/handoffs"
    to_client = [
        letter for letter in letters if letter.kind == "message.sent" and letter.recipient_id == people["client"]
    ]
    assert to_client[0].lines == ["Ann wrote:", "<b>gate</b>"]
    assert to_client[0].link == LINKS.messages(made[0].data["task_id"], "client")


def test_the_network_notices_go_to_the_tasker_they_concern_and_name_the_other(market):
    platform, made, people = _market(market)
    ann, bob = people["ann"], people["bob"]
    with platform.uow() as uow:
        uow.session.get_one(User, bob).display_name = "Bob"
        uow.commit()
    with platform.uow() as uow:
        by_kind: dict[str, list[Letter]] = {}
        for event in made:
            for letter in plan(uow.session, event, LINKS):
                by_kind.setdefault(letter.kind, []).append(letter)
    [asked] = by_kind["connection.requested"]
    assert (asked.recipient_id, asked.subject, asked.link) == (
        ann,
        "Bob asks to connect with you",
        LINKS.connection_requests(),
    )
    [accepted] = by_kind["connection.accepted"]
    assert (accepted.recipient_id, accepted.subject, accepted.link) == (
        bob,
        "Ann accepted your request to connect",
        LINKS.network(),
    )
    with_words, without = by_kind["endorsement.received"]
    assert with_words.recipient_id == ann and with_words.subject == "Bob endorsed you for Yard work"
    assert "“Tidy & <quick>”" in with_words.lines and with_words.link == LINKS.endorsements()
    assert not any("“" in line for line in without.lines)
    [answered] = by_kind["question.answered"]  # Ann's own answer to her question tells nobody
    question_id = next(e.data["question_id"] for e in made if e.type == "answer.posted")
    assert (answered.recipient_id, answered.subject) == (ann, "Bob answered “Leaf blower or rake?”")
    assert answered.link == LINKS.question(question_id)
    taken, taken_late = by_kind["task.handoff_taken"]
    assert taken.recipient_id == ann and taken.subject == "Bob took “Rake & <mow>”"
    assert not any("half a cancellation" in line for line in taken.lines)
    assert any("half a cancellation" in line for line in taken_late.lines)
    with_reason, plain = by_kind["task.handoff_declined"]
    assert (
        with_reason.recipient_id == ann
        and "Bob declined your offer of “Rake & <mow>”: “Away that week”." in with_reason.lines
    )
    assert plain.lines[0] == "Bob declined your offer of “Rake & <mow>”."
    [lapsed] = by_kind["task.handoff_lapsed"]
    assert lapsed.recipient_id == ann and lapsed.subject == "Nobody took “Rake & <mow>” in time"
    assert lapsed.lines[0].startswith("You offered “Rake & <mow>” to Bob, and the offer lapsed unanswered at ")
    assert lapsed.link == LINKS.task(made[0].data["task_id"], "tasker")


def test_a_hidden_question_or_a_gone_person_writes_no_letter(market):
    from marketplace.community.models import Question

    platform, made, people = _market(market)
    with platform.uow() as uow:
        for question in uow.session.exec(select(Question)):
            question.hidden = True
        uow.session.get_one(User, people["bob"]).is_active = False
        uow.commit()
    with platform.uow() as uow:
        kinds = {letter.kind for event in made for letter in plan(uow.session, event, LINKS)}
    assert not kinds & {"question.answered", "connection.requested", "endorsement.received"}
    assert "connection.accepted" in kinds  # Ann accepted: Bob's account is gone, and the writer skips him


def test_offers_made_together_that_all_lapse_make_one_letter(market):
    from datetime import timedelta

    from events.contracts import decode, encode
    from events.envelope import CloudEvent
    from marketplace.network.models import HandoffOffer, OfferStatus
    from tests.service.notice_events import AT

    platform, made, people = _market(market)
    task_id = made[0].data["task_id"]
    with platform.uow() as uow:
        eve_tasker = uow.session.get_one(User, people["eve"])  # another peer, for the batch's sake
        offers = [
            HandoffOffer(
                task_id=task_id,
                from_tasker_id=people["ann"],
                to_tasker_id=peer,
                status=status,
                offered_at=AT - timedelta(hours=7),
                expires_at=AT,
            )
            for peer, status in ((people["bob"], OfferStatus.lapsed), (eve_tasker.id, OfferStatus.open))
        ]
        uow.session.add_all(offers)
        uow.commit()
        ids = [o.id for o in offers]

    def lapsed(offer_id: int) -> CloudEvent:
        data = {"task_id": task_id, "client_id": people["client"], "tasker_id": people["ann"], "category": "yard-work"}
        data |= {"region": "springfield", "at": AT, "offer_id": offer_id, "to_tasker_id": people["bob"]}
        return decode(encode(CloudEvent(type="task.handoff_lapsed", subject=str(task_id), data=data)))

    def letters() -> list[Letter]:
        with platform.uow() as uow:
            return [letter for i in ids for letter in plan(uow.session, lapsed(i), LINKS)]

    assert letters() == []  # one of them is still open: nothing yet
    with platform.uow() as uow:
        uow.session.get_one(HandoffOffer, ids[1]).status = OfferStatus.lapsed
        uow.commit()
    [one] = letters()  # both lapsed: one letter, from the last of them, naming both peers
    assert one.recipient_id == people["ann"] and one.lines[0].startswith("You offered “Rake & <mow>” to a tasker and ")
    with platform.uow() as uow:
        uow.session.get_one(HandoffOffer, ids[1]).status = OfferStatus.declined
        uow.commit()
    [only] = letters()  # the other was declined (its own letter): the lapsed one tells of Bob alone
    assert "to a tasker, and the offer" in only.lines[0]


def test_the_feed_letter_says_what_is_public_and_when_it_is_the_days_last(market):
    platform, made, people = _market(market)
    task_id = made[0].data["task_id"]
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        task.address, task.access_notes, task.area = "12 Elm Street", "Key under the mat", "Oak Park"
        uow.commit()
    plain = _feed_letter(platform, task_id, people["bob"])
    said = " ".join([plain.subject, *plain.lines])
    assert plain.subject == "In your feed: “Rake & <mow>”, 24.00 USD for you"
    assert "Oak Park, Springfield" in said and "about 60 minutes" in said and "24.00 USD" in said
    assert "Elm" not in said and "mat" not in said  # never the address or the access notes
    assert "starting 2031-05-03 04:00 CDT" in said  # on the region's clock (Springfield: US Central)
    assert plain.link == LINKS.task(task_id, "tasker") and plain.api == "GET /api/v1/tasks?open=true"
    assert not any("last of today" in line for line in plain.lines)
    last = _feed_letter(platform, task_id, people["bob"], cap=10, more=3)
    assert last.lines[-1] == (
        "This is the last of today's feed emails (you get at most 10 a day): 3 more tasks opened to you, "
        "and wait in your feed."
    )
    alone = _feed_letter(platform, task_id, people["bob"], cap=10)
    assert alone.lines[-1].endswith("tasks that open to you later today wait in your feed.")


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


def test_the_disabled_endpoint_letter_links_to_the_endpoints_page():
    from marketplace.notifications.kinds.account import webhook_disabled

    said = webhook_disabled(LINKS, 7, "https://bot.example/hook", "The endpoint answered 410 Gone.")
    assert said.link == LINKS.enable_webhook(7) == "https://floorboard.example/me/webhooks/7"
    assert not any("POST" in line or "/api/" in line for line in said.lines)
    assert said.api == "GET /api/v1/taskers/me/webhooks/7/deliveries"


def test_the_api_pointer_is_in_the_footer_as_text_and_never_a_link(market):
    platform, made, people = _market(market)
    with platform.uow() as uow:
        [letter] = [
            letter for event in made if event.type == "task.accepted" for letter in plan(uow.session, event, LINKS)
        ]
        text, html = render(letter, uow.session.get_one(User, people["client"]), "https://floorboard.example/u/x")
    body, footer = text.split("\n-- \n")
    assert "/api/" not in body and f"For apps: {letter.api}" in footer
    assert (
        f"For apps: <code>{letter.api}</code>" in html
        and 'href="/api' not in html
        and 'href="https://floorboard.example/api' not in html
    )
