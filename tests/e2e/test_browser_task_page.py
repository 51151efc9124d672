"""A real browser (browsing.py): the task page lives, for client and tasker: it follows an accept and
a cancel, a hand-off, the conversation with its unread count, booking the same tasker again, and
both reviews appearing together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import expect

from tests.e2e.browsing import (  # noqa: F401 - the fixtures
    browser,
    completed_task,
    open_site,
    post_a_task,
    shot,
    sign_up_client,
)
from tests.support import make_tasker, wait_until


def test_the_clients_page_follows_an_accept_and_a_tasker_cancel_live(open_site, browser):  # noqa: F811
    base, _, platform = open_site
    page = browser.new_page()
    sign_up_client(page, base, "follower@example.test")
    post_a_task(page, "Paint the fence")
    task_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)

    tasker_id, token = make_tasker(platform, "painter@example.test", {"yard-work": 2400}, ["springfield"])
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=auth, timeout=10).status_code == 200
    back = requests.post(
        f"{base}/api/v1/tasks/{task_id}/cancel", json={"reason": "My van broke down"}, headers=auth, timeout=10
    )
    assert back.status_code == 200
    # No reload: the status box polls, and the timeline keeps both steps with the tasker's words.
    timeline = page.locator("ol.timeline")
    expect(timeline.locator('[data-step="reopened"]')).to_be_visible(timeout=30_000)
    expect(timeline.locator('[data-step="accepted"]')).to_contain_text(f"Tasker {tasker_id}")
    expect(timeline.locator('[data-step="cancelled"]')).to_contain_text("My van broke down")
    expect(timeline.locator('[data-step="priced"]')).to_have_count(1)
    shot(page, "client-timeline-after-tasker-cancel")
    page.close()


def test_a_client_sees_their_task_handed_to_a_new_tasker_opens_their_profile_and_cancels_free(open_site, browser):  # noqa: F811
    base, _, platform = open_site
    page = browser.new_page()
    sign_up_client(page, base, "handed@example.test")
    page.get_by_role("link", name="Post a task").first.click()
    page.get_by_label("Category").select_option("yard-work")
    page.get_by_label("Region").select_option("springfield")
    page.get_by_label("Title").fill("Rake the leaves")
    soon = datetime.now(UTC) + timedelta(hours=10)  # inside the 24 h in which cancelling costs an hour
    local = soon.astimezone(ZoneInfo("America/Chicago"))  # Springfield's clock
    page.get_by_label("Start (local time where the task is)").fill(local.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)
    task_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)

    first, first_token = make_tasker(platform, "first@example.test", {"yard-work": 2400}, ["springfield"])
    second, second_token = make_tasker(platform, "second@example.test", {"yard-work": 2400}, ["springfield"])
    as_first, as_second = ({"Authorization": f"Bearer {t}"} for t in (first_token, second_token))
    assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=as_first, timeout=10).status_code == 200
    offered = requests.post(
        f"{base}/api/v1/tasks/{task_id}/handoff", json={"tasker_ids": [second]}, headers=as_first, timeout=10
    )
    assert offered.status_code == 201, offered.text
    offer_id = offered.json()["offers"][0]["id"]
    assert requests.post(f"{base}/api/v1/handoffs/{offer_id}/accept", headers=as_second, timeout=10).status_code == 200

    timeline = page.locator("ol.timeline")  # the status box polls: the hand-off shows without a reload
    expect(timeline.locator('[data-step="handed_off"]')).to_contain_text(f"Handed by Tasker {first} to Tasker {second}")
    page.reload()
    card = page.locator("[data-handed-off]")
    expect(card).to_contain_text("cancel free of charge")
    shot(page, "client-task-handed-off")
    card.get_by_role("link", name=f"Tasker {second}").click()
    expect(page.get_by_role("heading", name=f"Tasker {second}")).to_be_visible()
    page.go_back()
    expect(page.get_by_text("you did not choose", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Cancel for free").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "cancelled", timeout=30_000)
    with platform.uow() as uow:
        from marketplace.tasks.quotes import quotes_of

        assert "cancellation" not in quotes_of(uow.session, task_id)  # no fee
    page.close()


def test_a_client_and_a_tasker_talk_on_the_task_page_with_the_unread_count(open_site, browser):  # noqa: F811
    base, _, platform = open_site
    page = browser.new_page()
    sign_up_client(page, base, "talker@example.test")
    post_a_task(page, "Trim the hedge")
    task_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
    _, token = make_tasker(platform, "talker-tasker@example.test", {"yard-work": 2400}, ["springfield"])
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=auth, timeout=10).status_code == 200
    page.reload()
    # The tasker writes through the API; the open page shows it without a reload (the status box polls).
    sent = requests.post(
        f"{base}/api/v1/tasks/{task_id}/messages", json={"body": "Hi! Is the side gate open?"}, headers=auth, timeout=10
    )
    assert sent.status_code == 201
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("Is the side gate open?", timeout=30_000)
    page.get_by_label("Message (plain text", exact=False).fill("Yes, and mind the dog.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#conversation")).to_contain_text("mind the dog")
    thread = requests.get(f"{base}/api/v1/tasks/{task_id}/messages", headers=auth, timeout=10).json()
    assert thread["messages"][-1]["body"] == "Yes, and mind the dog."
    # A new message while the client is elsewhere (not on the task page, whose poll reads the thread):
    # the header counts it until the task page is opened.
    page.goto(f"{base}/tasks")
    # A status poll the task page sent just before it was left may still be served (on a loaded
    # machine, after the message below), and it would read the message: let it land first.
    page.wait_for_timeout(3000)
    requests.post(f"{base}/api/v1/tasks/{task_id}/messages", json={"body": "See you at 9."}, headers=auth, timeout=10)
    page.reload()
    expect(page.locator("header [data-unread]")).to_have_attribute("data-unread", "1")
    shot(page, "client-unread-message")
    page.goto(f"{base}/tasks/{task_id}")
    expect(page.locator("#conversation")).to_contain_text("See you at 9.")
    page.goto(f"{base}/tasks")
    expect(page.locator("header [data-unread]")).to_have_count(0)
    page.close()


def test_a_client_books_the_tasker_of_a_completed_task_again(open_site, browser):  # noqa: F811
    base, _, platform = open_site
    page = browser.new_page()
    _, tasker_id, auth = completed_task(page, base, platform, "again@example.test")

    page.locator("[data-book-again]").click()  # on the completed task's page
    expect(page.locator("[data-rebooking]")).to_contain_text("they alone see it")
    expect(page.get_by_label("Category")).to_have_value("yard-work")
    page.get_by_label("Title").fill("Mow the lawn again")
    later = (datetime.now(UTC) + timedelta(days=7)).astimezone(ZoneInfo("America/Chicago"))
    page.get_by_label("Start (local time where the task is)").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Only this tasker", exact=False).check()
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)
    expect(page.locator("[data-addressed]")).to_contain_text("cancelled free of charge")
    again = int(page.url.rstrip("/").split("/")[-1])
    with platform.uow() as uow:
        from marketplace.tasks.models import Task

        task = uow.session.get(Task, again)
        assert (task.addressed_to_id, task.only_addressed) == (tasker_id, True)
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
    feed = requests.get(f"{base}/api/v1/tasks?open=true", headers=auth, timeout=10).json()
    assert again in [t["id"] for t in feed["items"]]  # in the tasker's feed, addressed to them
    shot(page, "client-rebooked")
    page.close()


def test_both_reviews_appear_together_after_the_second_is_written(open_site, browser):  # noqa: F811
    base, _, platform = open_site
    page = browser.new_page()
    task_id, tasker_id, auth = completed_task(page, base, platform, "reviewer@example.test")
    page.get_by_label("★★★★★", exact=True).check()
    page.get_by_label("Comment", exact=True).fill("Neat edges.")
    page.get_by_role("button", name="Send the review").click()
    expect(page.locator("[data-review=mine]")).to_contain_text("not shown to anyone yet")
    expect(page.locator("[data-reviews]")).to_have_attribute("data-reviews", "hidden")
    public = requests.get(f"{base}/api/v1/taskers/{tasker_id}", timeout=10).json()
    assert all(c["reviews"] == 0 for c in public["categories"])  # not counted, not shown
    theirs = requests.get(f"{base}/api/v1/tasks/{task_id}/reviews", headers=auth, timeout=10).json()
    assert theirs["theirs"] is None and theirs["theirs_written"]  # the tasker cannot read it either
    written = requests.post(
        f"{base}/api/v1/tasks/{task_id}/review", json={"rating": 4, "comment": "Clear brief."}, headers=auth, timeout=10
    )
    assert written.status_code == 201, written.text

    def revealed() -> bool:
        page.reload()
        return page.locator("[data-reviews]").get_attribute("data-reviews") == "revealed"

    wait_until(revealed, 30, message="the reviews worker to reveal both")
    expect(page.locator("[data-review=mine]")).to_contain_text("Neat edges.")
    expect(page.locator("[data-review=theirs]")).to_contain_text("Clear brief.")
    both = requests.get(f"{base}/api/v1/tasks/{task_id}/reviews", headers=auth, timeout=10).json()
    assert both["revealed"] and both["theirs"]["comment"] == "Neat edges."
    shot(page, "client-reviews-revealed")
    page.close()
