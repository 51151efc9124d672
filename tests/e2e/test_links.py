"""The links the workers put in notices (workers/links.py) lead to web pages the app serves (GET),
and the API pointers letters name for apps are routes of the API with their method: the workers
may not import the app to ask it, so this test does. tests/e2e/test_email_links.py follows every
link of every letter as its reader."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from workers.links import SiteLinks

BASE = "https://floorboard.example"
LINKS = SiteLinks(BASE)
PAGES = [
    ("task, for its client", LINKS.task(7, "client")),
    ("task, for its tasker", LINKS.task(7, "tasker")),
    ("conversation, for the client", LINKS.messages(7, "client")),
    ("conversation, for the tasker", LINKS.messages(7, "tasker")),
    ("accept or decline a rebooking", LINKS.decline_rebooking(7)),
    ("hand-off offers", LINKS.handoff_offers()),
    ("one hand-off offer", LINKS.accept_handoff(3)),
    ("a tasker's profile", LINKS.tasker_profile(5)),
    ("earnings and payouts", LINKS.payouts()),
    ("a webhook endpoint", LINKS.enable_webhook(2)),
    ("network", LINKS.network()),
    ("connection requests", LINKS.connection_requests()),
    ("endorsements", LINKS.endorsements()),
    ("feed", LINKS.feed()),
    ("a question", LINKS.question(4)),
    ("email preferences", LINKS.notification_prefs()),
    ("unsubscribe, the page", LINKS.unsubscribe("abc.def")),
    ("sessions and tokens", LINKS.account_sessions()),
    ("a data archive's download", LINKS.data_download("tok3n")),
]
WEB = {"web", "unsubscribe"}  # the blueprints of pages (the JSON API's are the others)
API = [
    LINKS.api_task(7),
    LINKS.api_messages(7),
    LINKS.api_handoffs(),
    LINKS.api_payouts(),
    LINKS.api_webhook(2),
    LINKS.api_connections(),
    LINKS.api_endorsements(5),
    LINKS.api_feed(),
    LINKS.api_question(4),
    LINKS.api_sessions(),
]


def _route(app, path: str, method: str) -> str:
    adapter = app.url_map.bind("floorboard.example", url_scheme="https")
    try:
        endpoint, _ = adapter.match(path, method=method)
    except (NotFound, MethodNotAllowed) as exc:
        pytest.fail(f"{method} {path} is no route of the app ({type(exc).__name__})")
    return endpoint


@pytest.mark.parametrize(("what", "url"), PAGES, ids=[c[0] for c in PAGES])
def test_each_link_is_a_web_page_the_app_serves(app, what, url):
    assert url.startswith(BASE + "/"), what
    endpoint = _route(app, urlsplit(url).path, "GET")
    assert endpoint.split(".")[0] in WEB, f"{what}: {url} is served by {endpoint}, not a web page"
    assert "/api/" not in url


def test_the_unsubscribe_link_takes_a_mail_clients_one_click(app):
    assert _route(app, urlsplit(LINKS.unsubscribe("abc.def")).path, "POST") == "unsubscribe.one_click"


@pytest.mark.parametrize("pointer", API)
def test_each_api_pointer_is_a_route_of_the_api_with_its_method(app, pointer):
    method, _, target = pointer.partition(" ")
    assert method in ("GET", "POST") and target.startswith("/api/v1/"), pointer
    _route(app, urlsplit(target).path, method)
