"""Questions, answers and guides on the web, with CSRF: a tasker answers and votes, the asker
marks the answer, a peer marks a guide helpful (once), an operator hides a question, and each
lands back on its page saying what happened; a client is refused the tasker's forms."""

from __future__ import annotations

from api import create_app
from marketplace.accounts.users import create_user
from marketplace.community.guides import create_guide
from marketplace.community.models import Reputation
from marketplace.community.questions import answer_question, ask_question
from marketplace.community.tips import post_tip
from tests.support import UNLIMITED, csrf, enrol_two_factor, pass_two_factor, seeded

PASSWORD = "a long web password"


def _signed_in(app, email: str):
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    pass_two_factor(web, web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}))
    return web, csrf(web.get("/login").get_data(as_text=True))  # signing in starts a new session


def test_the_forms_of_a_question_and_a_guide(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url))
    with platform.uow() as uow:
        s = uow.session
        users = {n: create_user(s, f"{n}@example.test", PASSWORD, r, n.title()) for n, r in (
            ("asker", "tasker"), ("peer", "tasker"), ("client", "client"), ("ops", "operator"))}  # fmt: skip
        s.add(Reputation(tasker_id=users["asker"].id, category="yard-work", tier="trusted"))
        s.flush()
        q = ask_question(uow, users["asker"], "yard-work", "Shears?", "Which ones?")
        a = answer_question(uow, users["peer"], q.id, "Topiary shears.")
        tip = post_tip(uow, users["asker"], "yard-work", "Edges first", "Then the middle.")
        guide = create_guide(uow, users["asker"], "yard-work", "Hedges", "In order.", [("tip", tip.id)])
        ids = {"q": q.id, "a": a.id, "guide": guide.id}
        tip_id = tip.id
        uow.commit()
    enrol_two_factor(platform, "ops@example.test")  # operators must have it
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, **UNLIMITED}, platform=platform)

    peer, token = _signed_in(app, "peer@example.test")
    r = peer.post(f"/questions/{ids['q']}/answers", data={"body": "Or *electric*.", "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/questions/{ids['q']}")
    page = peer.get(f"/questions/{ids['q']}").get_data(as_text=True)
    assert "Your answer is posted." in page and "<em>electric</em>" in page
    assert peer.post(f"/guides/{ids['guide']}/helpful", data={"csrf_token": token}).status_code == 303
    peer.post(f"/guides/{ids['guide']}/helpful", data={"csrf_token": token})
    assert "already marked this guide" in peer.get(f"/guides/{ids['guide']}").get_data(as_text=True)
    assert peer.post(f"/guides/{ids['guide']}/helpful", data={}).status_code == 400  # no CSRF token
    guide_page = peer.get(f"/guides/{ids['guide']}").get_data(as_text=True)
    assert f'data-item="tip-{tip_id}"' in guide_page and "A tip by" in guide_page
    board = peer.get("/boards/yard-work").get_data(as_text=True)
    assert f'data-top-guide="{ids["guide"]}"' in board and "1 tip or answer in order · 1 found it helpful" in board

    asker, token = _signed_in(app, "asker@example.test")
    assert asker.post(f"/answers/{ids['a']}/vote", data={"helpful": "yes", "csrf_token": token}).status_code == 303
    assert asker.post(f"/answers/{ids['a']}/accept", data={"csrf_token": token}).status_code == 303
    page = asker.get(f"/questions/{ids['q']}").get_data(as_text=True)
    assert "Marked as the answer that helped you." in page and 'data-accepted="true"' in page
    assert asker.post("/answers/99999/accept", data={"csrf_token": token}).status_code == 404

    client, token = _signed_in(app, "client@example.test")
    assert client.post(f"/questions/{ids['q']}/answers", data={"body": "x", "csrf_token": token}).status_code == 403
    assert "Topiary shears." in client.get(f"/questions/{ids['q']}").get_data(as_text=True)  # clients read

    ops, token = _signed_in(app, "ops@example.test")
    r = ops.post(f"/console/questions/{ids['q']}/hide", data={"reason": "Duplicate", "csrf_token": token})
    assert r.status_code == 303
    assert "is hidden from its board" in ops.get(f"/questions/{ids['q']}").get_data(as_text=True)
    assert client.get(f"/questions/{ids['q']}").status_code == 404
