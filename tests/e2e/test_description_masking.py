"""Contact details in a task's public description are masked for taskers as in messages (issue 31,
finding 5): in the feed and the task through the API, on the tasker's task page and on a hand-off
offer's page, until the holder has started the task; the client reads their own text whole."""

from __future__ import annotations

from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.network.connections import accept_connection, request_connection
from tests.e2e.test_tasker_work_web import Site, page, post
from tests.support import NO_WINDOW

PHONE = "555-867-5309"
TEXT = f"Call me on {PHONE} when you are at the gate."
YEARS = 10 * 365 * 86400


def test_a_phone_number_in_the_description_is_masked_for_taskers_until_the_start(make_platform, sqlite_url):
    site = Site(make_platform, sqlite_url, priority_window=NO_WINDOW, start_early_s=YEARS, completion_tolerance_s=YEARS)
    client = site.api.signup("client")
    task_id = site.booked_task(client, description=TEXT)
    _, web = site.tasker("tess@example.test")
    token = site.api.client.post(
        "/api/v1/auth/token", json={"email": "tess@example.test", "password": "correct horse battery"}
    ).json["token"]
    auth = {"Authorization": f"Bearer {token}"}

    feed = site.api.client.get("/api/v1/tasks?open=true", headers=auth).json["items"]
    [item] = [t for t in feed if t["id"] == task_id]
    assert PHONE not in item["description"] and "gate" in item["description"]
    before = page(web, f"/work/{task_id}")
    assert PHONE not in before and "at the gate" in before
    own = site.api.client.get(f"/api/v1/tasks/{task_id}", headers=site.api.headers(client)).json
    assert own["description"] == TEXT  # the client reads their own words

    assert post(web, f"/work/{task_id}/accept", before).status_code == 303
    held = page(web, f"/work/{task_id}")
    assert PHONE not in held  # held, not started: still masked, as messages are
    assert post(web, f"/work/{task_id}/start", held).status_code == 303
    assert PHONE in page(web, f"/work/{task_id}")
    assert site.api.client.get(f"/api/v1/tasks/{task_id}", headers=auth).json["description"] == TEXT


def test_a_hand_off_offer_shows_the_description_masked(make_platform, sqlite_url):
    site = Site(make_platform, sqlite_url, priority_window=NO_WINDOW, start_early_s=YEARS, completion_tolerance_s=YEARS)
    client = site.api.signup("client")
    task_id = site.booked_task(client, description=TEXT)
    _, web = site.tasker("tess@example.test")
    peer_id, peer = site.tasker("pat@example.test")
    with site.platform.uow() as uow:
        tess = uow.session.exec(select(User).where(User.email == "tess@example.test")).one()
        request_connection(uow, tess, peer_id)
        accept_connection(uow, uow.session.get_one(User, peer_id), tess.id)
        uow.commit()
    held = page(web, f"/work/{task_id}")
    assert post(web, f"/work/{task_id}/accept", held).status_code == 303
    held = page(web, f"/work/{task_id}")
    assert post(web, f"/work/{task_id}/handoff", held, tasker_ids=str(peer_id)).status_code == 303
    offer_page = peer.get("/handoffs")
    offer_id = int(offer_page.get_data(as_text=True).split('href="/handoffs/')[1].split('"')[0].split("?")[0])
    for who in (peer, web):  # the peer offered it, and the tasker who offers it
        shown = page(who, f"/handoffs/{offer_id}")
        assert "at the gate" in shown and PHONE not in shown
