"""'A task in your feed' by email, written by the announcement sweep: off unless a tasker turns it
on; then one email per task that opens to them, once ever (a second sweep, a restart, a task that
reopens: nothing more), at most `per_day` a day, the day's last saying so; in digest mode kept for
the daily digest, which links each one to its page. Never the task's address."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select, update

from marketplace.clock import utcnow
from marketplace.notifications.announce import FeedMail, announce_available
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from marketplace.notifications.prefs import build_digests, mode_of, set_preferences
from marketplace.tasks.models import Task
from tests.service.test_task_use_cases import priced_and_booked, run
from tests.support import NO_WINDOW
from workers.links import SiteLinks

LINKS = SiteLinks("https://floorboard.example")
MAIL = FeedMail(LINKS, "a test secret", per_day=3)


def feed_emails(platform) -> list[Notification]:
    with platform.uow() as uow:
        query = select(Notification).where(col(Notification.kind) == "task.available").order_by(col(Notification.id))
        return list(uow.session.exec(query))


def sweep(platform, at=None, window=NO_WINDOW, mail=MAIL) -> int:
    return run(platform, announce_available, window, at or utcnow(), mail)


def test_off_by_default_then_one_email_per_task_once_ever(market):
    platform, _, people = market
    ann = people["ann"]
    with platform.uow() as uow:
        assert mode_of(uow.session, ann, "task.available") == "off"
    first = priced_and_booked(market)
    assert sweep(platform) == 0 and feed_emails(platform) == []  # nobody asked for them

    run(platform, set_preferences, ann, {"task.available": "instant"})
    second = priced_and_booked(market)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, second)
        task.address, task.area = "12 Elm Street", "Oak Park"
        uow.commit()
    assert sweep(platform) == 1  # the task that opened since; the first was open before she asked
    assert sweep(platform) == 0 and sweep(platform, utcnow() + timedelta(minutes=5)) == 0  # once, whatever re-runs
    [row] = feed_emails(platform)
    assert (row.recipient_id, row.event_id, row.status) == (ann, f"available:{second}", "pending")
    assert row.unsubscribe_url.startswith(f"{LINKS.public_url}/unsubscribe/")
    subject, text, html = render_row(row)
    assert subject == "In your feed: “Hedge”, 24.00 USD for you"
    assert f"See the task: {LINKS.public_url}/work/{second}" in text and "Oak Park, Springfield" in text
    assert "Elm" not in text and "Elm" not in html  # never the address
    assert "For apps: GET /api/v1/tasks?open=true" in text
    assert not any(r.event_id == f"available:{first}" for r in feed_emails(platform))

    with platform.uow() as uow:  # the task reopens (a tasker gave it back): announced again, never emailed again
        uow.session.get_one(Task, second).priced_at = utcnow()
        uow.commit()
    sweep(platform)
    assert len(feed_emails(platform)) == 1


def test_a_task_is_emailed_when_the_taskers_window_opens_once(market):
    platform, _, people = market
    run(platform, set_preferences, people["ann"], {"task.available": "instant"})
    window = (("elite", 0), ("trusted", 60), ("newcomer", 180))  # Ann is a newcomer
    start = utcnow()
    task_id = priced_and_booked(market)
    assert sweep(platform, start, window) == 0  # higher tiers first
    assert sweep(platform, start + timedelta(seconds=100), window) == 0
    assert sweep(platform, start + timedelta(seconds=200), window) == 1
    assert sweep(platform, start + timedelta(seconds=300), window) == 0
    assert [r.event_id for r in feed_emails(platform)] == [f"available:{task_id}"]


def test_the_days_cap_holds_and_the_last_email_says_more_wait_in_the_feed(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    run(platform, set_preferences, ann, {"task.available": "instant"})
    run(platform, set_preferences, bob, {"task.available": "instant"})
    tasks = [priced_and_booked(market, starts=utcnow() + timedelta(days=3, hours=i)) for i in range(5)]
    assert sweep(platform) == 6  # three each
    for tasker in (ann, bob):
        mine = [r for r in feed_emails(platform) if r.recipient_id == tasker]
        assert [r.event_id for r in mine] == [f"available:{t}" for t in tasks[:3]]  # soonest start first
        said = [render_row(r)[1] for r in mine]
        assert not any("last of today" in text for text in said[:2])
        assert (
            "This is the last of today's feed emails (you get at most 3 a day): 2 more tasks opened to you, "
            "and wait in your feed." in " ".join(said[2].split())
        )
    later = priced_and_booked(market)
    assert sweep(platform) == 0  # the cap holds for the rest of the day: it waits in the feed
    with platform.uow() as uow:  # a day on: the cap starts again (rows from yesterday)
        uow.session.exec(update(Notification).values(created_at=utcnow() - timedelta(days=1)))
        uow.commit()
    newest = priced_and_booked(market)
    assert sweep(platform) == 2  # the new one, to each; the one that waited is never emailed
    assert {r.event_id for r in feed_emails(platform)[-2:]} == {f"available:{newest}"}
    assert not any(r.event_id == f"available:{later}" for r in feed_emails(platform))


def test_in_digest_mode_they_wait_for_the_daily_digest_which_links_each(market):
    platform, _, people = market
    ann = people["ann"]
    run(platform, set_preferences, ann, {"task.available": "digest"})
    tasks = [priced_and_booked(market, title=f"Hedge {i}") for i in range(2)]
    assert sweep(platform) == 2
    assert {r.status for r in feed_emails(platform)} == {"digest"}
    tomorrow = (utcnow() + timedelta(days=1)).replace(hour=8, minute=0)
    assert run(platform, build_digests, tomorrow, 7) == 1
    with platform.uow() as uow:
        [digest] = uow.session.exec(select(Notification).where(col(Notification.kind) == "digest")).all()
    assert digest.recipient_id == ann and digest.subject == "Your Floorboard day: 2 updates"
    for task_id in tasks:
        assert f"{LINKS.public_url}/work/{task_id}" in digest.text_body
        assert f'<a href="{LINKS.public_url}/work/{task_id}">' in digest.html_body
    assert "In your feed: “Hedge 0”, 24.00 USD for you" in digest.text_body
    assert {r.status for r in feed_emails(platform)} == {"digested"}


def test_without_mail_the_sweep_writes_webhook_rows_only(market):
    platform, _, people = market
    run(platform, set_preferences, people["ann"], {"task.available": "instant"})
    priced_and_booked(market)
    sweep(platform, mail=None)
    assert feed_emails(platform) == []
