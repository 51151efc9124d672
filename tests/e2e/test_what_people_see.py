"""What the pages and the API tell people is true: the timeline keeps every step, a stranded task
says so and what would change it, a ruling's price shows everywhere, a claim can't exceed the time
that passed, no invented words, and reviews and karma read as people expect."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.taskers.models import TaskerSkill
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker, complete_task, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.reviews import review_task
from tests.e2e.test_adjustments_web import drain, sign_in
from tests.support import ANY_TIME, NO_WINDOW, ApiHelper, book

PASSWORD = "correct horse battery"


@pytest.fixture
def web(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


@pytest.fixture
def people(platform):
    with platform.uow() as uow:
        ids = {
            name: create_user(uow.session, f"{name}@example.test", PASSWORD, role, display_name=name.title()).id
            for name, role in (("casey", "client"), ("ann", "tasker"), ("bob", "tasker"), ("ops", "operator"))
        }
        for tasker in ("ann", "bob"):
            set_skills(uow, ids[tasker], ["springfield"], [SkillSpec("yard-work", 2400)])
        uow.commit()
    return ids


def booked_task(platform, people, minutes: int = 60) -> int:
    with platform.uow() as uow:
        draft = TaskDraft("yard-work", "springfield", "Hedge", "", minutes, utcnow() + timedelta(days=3))
        task_id = post_task(uow, people["casey"], draft).id
        uow.commit()
    drain(platform, "pricing")
    book(platform, task_id)
    return task_id


def act(platform, use_case, user_id, *args, **kwargs):
    with platform.uow() as uow:
        result = use_case(uow, uow.session.get_one(User, user_id), *args, **kwargs)
        uow.commit()
        return result


def test_the_timeline_keeps_an_accept_and_a_tasker_cancel(web, platform, people):
    task_id = booked_task(platform, people)
    act(platform, accept_task, people["ann"], task_id, NO_WINDOW)
    act(platform, cancel_by_tasker, people["ann"], task_id, "My van broke down")
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    steps = [line.split('"')[0] for line in page.split('data-step="')[1:]]
    assert steps == ["posted", "priced", "accepted", "cancelled", "reopened"]
    assert "Accepted by" in page and ">Ann</a>" in page
    assert "Cancelled by the tasker, " in page and "“My van broke down”" in page
    assert "Back on offer to other taskers" in page
    assert "No tasker holds this task now, so cancelling is free." in page  # not "no tasker has accepted"


def test_a_stranded_task_says_so_on_the_page_and_in_the_api(web, app, platform, people):
    task_id = booked_task(platform, people)
    with platform.uow() as uow:  # both taskers now ask more than this task pays
        for name in ("ann", "bob"):
            skill = uow.session.get_one(TaskerSkill, (people[name], "yard-work"))
            skill.rate = 3000
            uow.session.add(skill)
        uow.commit()
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-stranded="true"' in page and "No tasker can see this task as it stands" in page
    assert "An offer of at least 30.00 USD/h would open it" in page
    api = ApiHelper(app.test_client(), platform)
    token = api.client.post("/api/v1/auth/token", json={"email": "casey@example.test", "password": PASSWORD}).json
    seen = api.client.get(f"/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {token['token']}"}).json
    assert seen["reach"]["stranded"] is True and seen["reach"]["lowest_asked"] == 3000
    assert seen["reach"]["advice"] and "30.00 USD/h" in seen["reach"]["advice"][0]
    ann = api.client.post("/api/v1/auth/token", json={"email": "ann@example.test", "password": PASSWORD}).json
    feed = api.client.get("/api/v1/tasks?open=true", headers={"Authorization": f"Bearer {ann['token']}"}).json
    assert feed["items"] == []


def test_a_task_with_taskers_says_how_many_can_see_it(web, platform, people):
    task_id = booked_task(platform, people)
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-reach="2"' in page and "2 taskers with the skill and region can see this task" in page
    assert "data-stranded" not in page


def _disputed(platform, people) -> int:
    task_id = booked_task(platform, people, minutes=120)
    act(platform, accept_task, people["ann"], task_id, NO_WINDOW)
    act(platform, start_task, people["ann"], task_id, early=ANY_TIME)
    act(platform, complete_task, people["ann"], task_id, 180, "The back hedge too", tolerance=ANY_TIME)
    from marketplace.tasks.adjustments import dispute_adjustment

    act(platform, dispute_adjustment, people["casey"], task_id, "We agreed on two hours")
    drain(platform, "payments")
    return task_id


def test_a_ruling_for_the_tasker_shows_the_charged_price_everywhere(web, app, platform, people):
    task_id = _disputed(platform, people)
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "the booked amount was settled (test mode: no card was charged)" in page
    assert "the booked amount was charged" not in page
    from marketplace.tasks.adjustments import resolve_dispute

    act(platform, resolve_dispute, people["ops"], task_id, True, "Photos show the back hedge")
    drain(platform, "payments")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    settled = int(page.split('data-captured="')[1].split('"')[0])
    final = page.split("<h3>Final price</h3>")[1]
    assert f'data-total="{settled}"' in final.split("</table>")[0]  # the final price is what was charged
    listing = web.get("/tasks").get_data(as_text=True)
    assert f"{settled // 100}.{settled % 100:02d} USD" in listing
    api = ApiHelper(app.test_client(), platform)
    token = api.client.post("/api/v1/auth/token", json={"email": "casey@example.test", "password": PASSWORD}).json
    seen = api.client.get(f"/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {token['token']}"}).json
    assert seen["final_quote"]["total"] == settled == seen["payment"]["amount_captured"]
    assert seen["final_quote"]["payout"] == seen["claimed_quote"]["payout"]


def test_a_claim_shows_the_client_the_taskers_own_words(web, platform, people):
    """A claim beyond the booking always carries the tasker's reason (one without is refused), and
    the client reads it, escaped, before answering."""
    task_id = booked_task(platform, people)
    act(platform, accept_task, people["ann"], task_id, NO_WINDOW)
    act(platform, start_task, people["ann"], task_id, early=ANY_TIME)
    act(platform, complete_task, people["ann"], task_id, 240, "The <b>roots</b> went deep", tolerance=ANY_TIME)
    sign_in(web, "casey@example.test")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "The &lt;b&gt;roots&lt;/b&gt; went deep" in page and "<b>roots</b>" not in page
    assert "No reason given." not in page


def test_minutes_worked_past_the_time_since_the_start_get_a_422(make_platform, sqlite_url):
    from api import create_app
    from tests.support import seeded

    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW, completion_tolerance_s=600))
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    client, tasker = api.signup("client"), api.signup("tasker")
    skills = {"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]}
    api.client.put("/api/v1/taskers/me/skills", json=skills, headers=api.headers(tasker))
    task_id = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, task_id)
    for step in ("accept", "start"):
        assert api.client.post(f"/api/v1/tasks/{task_id}/{step}", headers=api.headers(tasker)).status_code == 200
    r = api.client.post(f"/api/v1/tasks/{task_id}/complete", json={"minutes_worked": 150}, headers=api.headers(tasker))
    assert r.status_code == 422
    message = r.json["errors"]["json"]["minutes_worked"][0]
    assert "The task started less than a minute ago" in message and "at most 10 minutes" in message
    ok = api.client.post(f"/api/v1/tasks/{task_id}/complete", json={"minutes_worked": 9}, headers=api.headers(tasker))
    assert ok.status_code == 200 and ok.json["status"] == "completed"


def test_a_profile_without_reviews_says_so_and_a_review_comment_shows(web, platform, people):
    page = web.get(f"/taskers/{people['ann']}").get_data(as_text=True)
    assert "No reviews yet" in page
    task_id = booked_task(platform, people)
    act(platform, accept_task, people["ann"], task_id, NO_WINDOW)
    act(platform, start_task, people["ann"], task_id, early=ANY_TIME)
    act(platform, complete_task, people["ann"], task_id, 60, tolerance=ANY_TIME)
    act(platform, review_task, people["casey"], task_id, 5, "Tidy work, <b>on time</b>")
    drain(platform, "reviews")
    drain(platform, "reputation")
    assert "No reviews yet" in web.get(f"/taskers/{people['ann']}").get_data(as_text=True)  # hidden until both
    act(platform, review_task, people["ann"], task_id, 5, "Clear brief")
    drain(platform, "reviews")
    drain(platform, "reputation")
    page = web.get(f"/taskers/{people['ann']}").get_data(as_text=True)
    assert "“Tidy work, &lt;b&gt;on time&lt;/b&gt;”" in page and "Casey" in page
    assert "(1 review)" in page and "4.0 (0 reviews)" not in page


def test_tip_karma_reads_as_a_short_number(web, platform, people):
    with platform.uow() as uow:
        uow.session.add(Reputation(tasker_id=people["ann"], category="yard-work", tip_karma=0.206543))
        uow.commit()
    sign_in(web, "ann@example.test")
    page = web.get("/me").get_data(as_text=True)
    assert "0.2</td>" in page and "0.206543" not in page


def test_an_offer_below_the_floor_is_said_in_the_preview(web, app, platform, people):
    sign_in(web, "casey@example.test")
    preview = web.get(
        "/tasks/preview?category=yard-work&region=springfield&estimated_minutes=60&offered_rate=20"
    ).get_data(as_text=True)
    assert "Your offer of 20.00 USD/h is below the floor of 24.00 USD/h, so the floor applies" in preview
    above = web.get(
        "/tasks/preview?category=yard-work&region=springfield&estimated_minutes=60&offered_rate=30"
    ).get_data(as_text=True)
    assert "below the floor" not in above
    quote = app.test_client().post(
        "/api/v1/quotes",
        json={"category": "yard-work", "region": "springfield", "estimated_minutes": 60, "offered_rate": 2000},
    )
    assert quote.status_code == 200 and quote.json["rate"] == 2400 and "below the floor" in quote.json["notes"][0]
