"""What the client's pages say is true, round two (issue 31): a message written before a give-back
is still read, and the unread count points at its task; "Book again" says when the chosen tasker's
turn really ends and where they work; test mode names the fee and the extra time; contact details
in a description are masked like a message's; a claim's wording, a quoted reason's full stop and
who cancelled a declined only-this-tasker rebooking agree everywhere."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.conversations.messages import send_message
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker
from tests.e2e.test_adjustments_web import sign_in
from tests.e2e.test_what_people_see import act, booked_task, people, web  # noqa: F401  (fixtures)
from tests.support import NO_WINDOW


def test_a_message_sent_before_a_give_back_is_read_on_the_task_page(web, platform, people):  # noqa: F811
    task_id = booked_task(platform, people)
    act(platform, accept_task, people["ann"], task_id, NO_WINDOW)
    act(platform, send_message, people["ann"], task_id, "Hi, do you have an Allen key?")
    act(platform, cancel_by_tasker, people["ann"], task_id, "My van broke down.")
    sign_in(web, "casey@example.test")
    listing = web.get("/tasks").get_data(as_text=True)
    assert 'data-unread="1"' in listing and "1 unread message<" in listing  # the list names the task
    assert f'/tasks/{task_id}#conversation"' in listing
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Hi, do you have an Allen key?" in page
    assert 'data-read-only="given-back"' in page and "gave this task back" in page
    assert "Write to your tasker" not in page  # nobody to answer
    listing = web.get("/tasks").get_data(as_text=True)
    assert "data-unread" not in listing  # opening the task read it: the badge clears
    with platform.uow() as uow:
        from marketplace.conversations.messages import unread

        assert unread(uow.session, uow.session.get_one(User, people["casey"]))["total"] == 0


def _worked_once(platform, people) -> int:  # noqa: F811
    """Ann completed a task for Casey: Casey may book her again."""
    from marketplace.tasks.lifecycle import complete_task, start_task
    from tests.support import ANY_TIME

    task_id = booked_task(platform, people)
    act(platform, accept_task, people["ann"], task_id, NO_WINDOW)
    act(platform, start_task, people["ann"], task_id, early=ANY_TIME)
    act(platform, complete_task, people["ann"], task_id, 60, tolerance=ANY_TIME)
    return task_id


def _rebook(platform, people, starts_in: timedelta, only: bool = False) -> int:  # noqa: F811
    from marketplace.tasks.posting import TaskDraft, post_task
    from tests.e2e.test_adjustments_web import drain
    from tests.support import book

    draft = TaskDraft(
        "yard-work", "springfield", "Hedge again", "", 60, utcnow() + starts_in,
        addressed_to=people["ann"], only_addressed=only,
    )  # fmt: skip
    with platform.uow() as uow:
        task_id = post_task(uow, people["casey"], draft).id
        uow.commit()
    drain(platform, "pricing")
    book(platform, task_id)
    return task_id


def test_a_rebooking_50_minutes_ahead_is_the_taskers_alone_until_the_start_and_says_so(web, platform, people):  # noqa: F811
    from marketplace.tasks.models import Task

    _worked_once(platform, people)
    task_id = _rebook(platform, people, timedelta(minutes=50))
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert task.addressed_until == task.starts_at  # not 24 hours after posting, long past the start
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Booked again: only Ann sees this task until\nits start, " in page
    assert 'data-reach="addressed"' in page and "Only Ann can see this task until" in page
    assert "2 taskers with the skill and region can see this task." not in page  # not during Ann's turn
    assert "then 2 taskers with the skill and region can" in page


def test_book_again_opens_on_a_region_the_tasker_works_in_and_refuses_one_she_does_not(web, platform, people):  # noqa: F811
    from tests.support import csrf

    _worked_once(platform, people)
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/new?rebook={people['ann']}&category=yard-work&region=nyc").get_data(as_text=True)
    assert '<option selected value="springfield">' in page  # where Ann works, not New York City
    assert "data-addressee-warning" not in page
    preview = web.get(
        f"/tasks/preview?addressed_to={people['ann']}&category=yard-work&region=nyc&estimated_minutes=60"
    ).get_data(as_text=True)
    assert "data-addressee-warning" in preview and "Ann does not work in New York City, NY now." in preview
    form = {
        "csrf_token": csrf(page), "addressed_to": str(people["ann"]), "category": "yard-work", "region": "nyc",
        "title": "Hedge again", "estimated_minutes": "60", "starts_at": "2031-06-01T09:00", "action": "post",
    }  # fmt: skip
    refused = web.post("/tasks/new", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Ann does not work in New York City, NY now" in text
    assert "data-addressee-warning" in text  # and the preview beside the form says so too
    form["region"] = "springfield"
    assert web.post("/tasks/new", data=form).status_code == 302


def test_a_declined_only_this_tasker_rebooking_says_platform_on_the_page_and_in_the_api(web, app, platform, people):  # noqa: F811
    from marketplace.tasks.rebooking import decline_rebooking
    from tests.e2e.test_what_people_see import PASSWORD
    from tests.support import ApiHelper

    _worked_once(platform, people)
    task_id = _rebook(platform, people, timedelta(days=2), only=True)
    act(platform, decline_rebooking, people["ann"], task_id, utcnow())
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Cancelled by the platform" in page
    api = ApiHelper(app.test_client(), platform)
    token = api.client.post("/api/v1/auth/token", json={"email": "casey@example.test", "password": PASSWORD}).json
    seen = api.client.get(f"/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {token['token']}"}).json
    assert (seen["status"], seen["cancelled_by"]) == ("cancelled", "platform")
