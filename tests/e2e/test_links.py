"""The links the workers put in notices (workers/links.py) lead to routes the app serves, with the
method the notice asks for: the workers may not import the app to ask it, so this test does."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from workers.links import SiteLinks

BASE = "https://floorboard.example"
LINKS = SiteLinks(BASE)
CASES = [
    ("task, for its client", LINKS.task(7, "client"), "GET"),
    ("task, for its tasker", LINKS.task(7, "tasker"), "GET"),
    ("thread, for the client", LINKS.messages(7, "client"), "GET"),
    ("thread, for the tasker", LINKS.messages(7, "tasker"), "GET"),
    ("decline a rebooking", LINKS.decline_rebooking(7), "POST"),
    ("hand-off offers", LINKS.handoff_offers(), "GET"),
    ("accept a hand-off", LINKS.accept_handoff(3), "POST"),
    ("a tasker's profile", LINKS.tasker_profile(5), "GET"),
    ("payouts", LINKS.payouts(), "GET"),
    ("enable a webhook endpoint", LINKS.enable_webhook(2), "POST"),
    ("email preferences", LINKS.notification_prefs(), "GET"),
    ("unsubscribe, the page", LINKS.unsubscribe("abc.def"), "GET"),
    ("unsubscribe, one click", LINKS.unsubscribe("abc.def"), "POST"),
]


@pytest.mark.parametrize(("what", "url", "method"), CASES, ids=[c[0] for c in CASES])
def test_each_link_is_a_route_the_app_serves(app, what, url, method):
    assert url.startswith(BASE + "/")
    adapter = app.url_map.bind("floorboard.example", url_scheme="https")
    try:
        adapter.match(urlsplit(url).path, method=method)
    except (NotFound, MethodNotAllowed) as exc:
        pytest.fail(f"{what}: {method} {url} is no route of the app ({type(exc).__name__})")
