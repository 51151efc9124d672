"""Every web page and form of the people's site x {anonymous, client, other client, tasker, other
tasker, operator}, each signed in on the web (a session cookie, as a browser is), with what it
must answer:

- "login": sent to the sign-in page, with the page to come back to;
- 200: the page (for a GET that redirects within the site, the page it leads to);
- 403: the page is for another role; 404: not theirs (nothing says whether it exists);
- "done": a form accepted, answered with a redirect to the page that shows the result;
- "refused": a form refused, answered with a 4xx (never a 500).

It runs on the API matrix's world (test_authz_matrix.world): the client's tasks in every stage,
held by the tasker; an offer of the tasker's to a peer; a connection request from the tasker to
the other tasker; a webhook endpoint of the tasker's. A last test checks that every route of the
web blueprint has a row, so a new page cannot ship without one."""

from __future__ import annotations

import shutil

import pytest

from api import create_app
from tests.e2e.authz_rows import web_rows
from tests.e2e.test_authz_matrix import PERSONAS, world  # noqa: F401 - the shared world fixture
from tests.support import NO_WINDOW, pass_two_factor

LOGIN = "login"
DONE = "done"


def codes(anonymous, client, other_client, tasker, other_tasker, operator) -> dict[str, int | str]:
    return dict(zip(PERSONAS, (anonymous, client, other_client, tasker, other_tasker, operator), strict=True))


ANYONE = codes(200, 200, 200, 200, 200, 200)
SIGNED_IN = codes(LOGIN, 200, 200, 200, 200, 200)
CLIENTS = codes(LOGIN, 200, 200, 403, 403, 403)
TASKERS = codes(LOGIN, 403, 403, 200, 200, 403)
THE_CLIENT = codes(LOGIN, 200, 404, 403, 403, 403)  # the client's own task, as a client's page
THE_TASKER = codes(LOGIN, 403, 403, 200, 404, 403)  # the tasker's own, as a tasker's page
CLIENT_ACTS = codes(LOGIN, DONE, 404, 403, 403, 403)
TASKER_ACTS = codes(LOGIN, 403, 403, DONE, 404, 403)
TASKERS_ACT = codes(LOGIN, 403, 403, DONE, DONE, 403)  # any tasker may
NEW_TASK = {
    "category": "yard-work",
    "region": "springfield",
    "title": "matrix",
    "estimated_minutes": "60",
    "starts_at": "2031-06-01T09:00",
    "action": "post",
}
SIGNUP = {"email": "new@example.test", "password": "a long password", "confirm": "a long password", "role": "client"}

# (method, path, form, expected). Names in braces are the world's ids (test_authz_matrix.world).
MATRIX: list[tuple[str, str, dict | None, dict]] = [
    ("GET", "/", None, ANYONE),
    ("GET", "/signup", None, ANYONE),
    ("POST", "/signup", SIGNUP, codes(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),  # then sign in
    ("POST", "/account/notifications", {}, codes(LOGIN, DONE, DONE, DONE, DONE, DONE)),
    ("GET", "/me", None, TASKERS),
    # The tasker's account: skills and rates, earnings and onboarding (a redirect to Stripe's link),
    # webhooks ({endpoint}: the tasker's, with {delivery}; a new secret is asked for, then shown on the page once).
    ("GET", "/me/skills", None, TASKERS),
    ("POST", "/me/skills", {"action": "skill", "category": "yard-work", "rate": "25.00"}, TASKERS_ACT),
    ("GET", "/me/earnings", None, TASKERS),
    ("POST", "/me/earnings/onboard", {}, TASKERS_ACT),
    ("GET", "/me/webhooks", None, TASKERS),
    (
        "POST",
        "/me/webhooks",
        {"url": "https://127.0.0.1/hooks", "kinds": "message.sent"},  # loopback: refused (SSRF)
        codes(LOGIN, 403, 403, "refused", "refused", 403),
    ),
    ("GET", "/me/webhooks/{endpoint}", None, THE_TASKER),
    ("GET", "/me/webhooks/{endpoint}/rotate", None, THE_TASKER),  # asks first
    ("POST", "/me/webhooks/{endpoint}/rotate", {}, TASKER_ACTS),
    ("POST", "/me/webhooks/{endpoint}/enable", {}, TASKER_ACTS),
    ("POST", "/me/webhooks/{endpoint}/deliveries/{delivery}/redeliver", {}, TASKER_ACTS),
    ("POST", "/me/webhooks/{endpoint}/delete", {}, TASKER_ACTS),
    ("GET", "/boards", None, ANYONE),
    ("GET", "/favicon.ico", None, ANYONE),
    ("GET", "/boards/yard-work", None, ANYONE),
    ("GET", "/taskers/{tasker}", None, ANYONE),
    ("GET", "/questions/{question}", None, ANYONE),
    ("GET", "/guides/{guide}", None, ANYONE),
    ("GET", "/account/notifications", None, SIGNED_IN),
    # The client's pages. A tasker opening a task's page is sent to the tasker's page of it.
    ("GET", "/tasks", None, CLIENTS),
    ("GET", "/tasks/new", None, CLIENTS),
    ("POST", "/tasks/new", NEW_TASK, codes(LOGIN, DONE, DONE, 403, 403, 403)),
    ("GET", "/tasks/preview?category=yard-work&region=springfield&estimated_minutes=60", None, CLIENTS),
    ("GET", "/tasks/{accepted}", None, codes(LOGIN, 200, 404, 200, 404, 403)),
    ("GET", "/tasks/{accepted}/status", None, THE_CLIENT),
    ("POST", "/tasks/{accepted}/messages", {"body": "matrix"}, CLIENT_ACTS),
    ("POST", "/tasks/{open}/cancel", {"reason": "matrix"}, CLIENT_ACTS),
    ("POST", "/tasks/{completed}/review", {"rating": "5", "comment": "matrix"}, CLIENT_ACTS),
    ("POST", "/tasks/{completed}/claim/approve", {}, CLIENT_ACTS),
    ("POST", "/tasks/{completed}/claim/dispute", {"reason": "matrix"}, CLIENT_ACTS),
    ("POST", "/tasks/{unbooked}/pay", {"token": "tok_visa"}, CLIENT_ACTS),
    ("POST", "/tasks/{unbooked}/pay/sync", {}, CLIENT_ACTS),
    # The tasker's work: the feed, the tasks they hold, and a task as a tasker sees it ({open} is
    # in the tasker's feed; the other tasker has no skills, so it is in nobody else's).
    ("GET", "/feed", None, TASKERS),
    ("GET", "/work", None, TASKERS),
    ("GET", "/work/{accepted}", None, THE_TASKER),
    ("GET", "/work/{accepted}/status", None, THE_TASKER),
    ("GET", "/work/{open}", None, THE_TASKER),
    # A task not open to them: they are told why on their feed (a task can close between a look and a click).
    ("POST", "/work/{open}/accept", {}, codes(LOGIN, 403, 403, DONE, DONE, 403)),
    ("POST", "/work/{rebooked}/decline", {}, TASKER_ACTS),
    ("POST", "/work/{accepted}/start", {}, TASKER_ACTS),
    ("POST", "/work/{working}/complete", {"minutes_worked": "60"}, TASKER_ACTS),
    ("POST", "/work/{accepted}/give-back", {"reason": "matrix"}, TASKER_ACTS),
    ("POST", "/work/{accepted}/messages", {"body": "matrix"}, TASKER_ACTS),
    ("POST", "/work/{accepted}/handoff", {"tasker_ids": "{peer}"}, TASKER_ACTS),
    ("POST", "/work/{completed}/review", {"rating": "5", "comment": "matrix"}, TASKER_ACTS),
    # The tasker's network. {offer}: the tasker's hand-off offer of {handing} to the peer; the
    # tasker has asked the other tasker to connect; {endorsement}: the peer's, of the tasker.
    ("GET", "/handoffs", None, TASKERS),
    ("GET", "/handoffs/{offer}", None, THE_TASKER),
    ("POST", "/handoffs/{offer}/withdraw", {}, TASKER_ACTS),
    ("POST", "/handoffs/{offer}/accept", {}, codes(LOGIN, 403, 403, 404, 404, 403)),  # the peer's to take
    ("POST", "/handoffs/{offer}/decline", {}, codes(LOGIN, 403, 403, 404, 404, 403)),
    ("GET", "/network", None, TASKERS),
    ("POST", "/network/{peer}/connect", {}, TASKERS_ACT),
    ("POST", "/network/{tasker}/accept", {}, codes(LOGIN, 403, 403, DONE, DONE, 403)),
    ("POST", "/network/{tasker}/decline", {}, codes(LOGIN, 403, 403, DONE, DONE, 403)),
    ("POST", "/network/{peer}/remove", {}, TASKERS_ACT),
    ("POST", "/network/{peer}/block", {}, TASKERS_ACT),
    ("POST", "/network/{blocker}/unblock", {}, TASKERS_ACT),
    ("POST", "/taskers/{peer}/endorse", {"category": "yard-work", "text": "matrix"}, TASKERS_ACT),
    ("POST", "/endorsements/{endorsement}/withdraw", {}, codes(LOGIN, 403, 403, 404, 404, 403)),  # the peer's
    # Questions and guides: taskers ask, answer, vote and find guides helpful; operators hide.
    (
        "POST",
        "/boards/yard-work/questions",
        {"title": "matrix", "body": "matrix"},
        TASKERS_ACT,
    ),
    ("POST", "/questions/{question}/answers", {"body": "matrix"}, TASKERS_ACT),
    ("POST", "/answers/{answer}/vote", {"helpful": "yes"}, TASKERS_ACT),
    ("POST", "/answers/{answer}/accept", {}, TASKERS_ACT),
    ("POST", "/guides/{guide}/helpful", {}, TASKERS_ACT),
    ("POST", "/console/answers/{answer}/hide", {"reason": "spam"}, codes(LOGIN, 403, 403, 403, 403, DONE)),
    ("POST", "/console/questions/{question}/hide", {"reason": "spam"}, codes(LOGIN, 403, 403, 403, 403, DONE)),
]
MATRIX += web_rows()  # each area's own rows (tests/e2e/authz_rows)


def _status(client, method: str, url: str, form: dict | None) -> int | str:
    answer = client.open(url, method=method, data=form or {})
    if answer.status_code in (301, 302, 303, 307, 308):
        target = answer.headers["Location"]
        if target.startswith("/login") or "/login?" in target:
            return LOGIN
        if method != "GET":
            return DONE
        return client.get(target).status_code
    if method != "GET" and 400 <= answer.status_code < 500 and answer.status_code not in (403, 404):
        return "refused"
    return answer.status_code


def _sign_in(client, persona: str) -> None:
    if persona == "anonymous":
        return
    answer = client.post("/login", data={"email": f"{persona}@example.test", "password": "correct horse battery"})
    answer = pass_two_factor(client, answer)  # the operator's second step
    assert answer.status_code == 302, answer.get_data(as_text=True)


def _case_id(case) -> str:
    return f"{case[0]} {case[1]}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", MATRIX, ids=_case_id)
def test_web_authorization(world, tmp_path, make_platform, case, persona):  # noqa: F811 - the fixture
    method, path, form, expected = case
    db = tmp_path / "case.db"
    shutil.copy(world["path"], db)
    app = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": False},
        platform=make_platform(f"sqlite:///{db}", priority_window=NO_WINDOW),
    )
    client = app.test_client()
    _sign_in(client, persona)
    ids = world["ids"]
    url = path.format(**ids)
    form = {k: (str(ids[v[1:-1]]) if isinstance(v, str) and v.startswith("{") else v) for k, v in (form or {}).items()}
    got = _status(client, method, url, form)
    assert got == expected[persona], (persona, method, url)


def test_the_web_matrix_covers_every_route(app):
    """Every rule of the people's site (the `web` blueprint) has a row, whatever its ids."""
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.")
        for method in rule.methods or ()
        if method in ("GET", "POST")
    }
    covered = set()
    for method, path, _, _ in MATRIX:
        bare = path.split("?")[0]
        for rule_method, rule in routes:
            if rule_method == method and _matches(rule, bare):
                covered.add((rule_method, rule))
    assert routes - covered == set()


def _matches(rule: str, path: str) -> bool:
    rule_parts, path_parts = rule.strip("/").split("/"), path.strip("/").split("/")
    if len(rule_parts) != len(path_parts):
        return False
    return all(r == p or (r.startswith("<") and r.endswith(">")) for r, p in zip(rule_parts, path_parts, strict=True))
