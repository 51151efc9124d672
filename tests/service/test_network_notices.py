"""The network's notices through the use cases and the notifications group: a connection asked
for and accepted, an endorsement, an answer to a question, and a hand-off offer taken, declined
or lapsed each reach the tasker they concern, once by email and once at each of their subscribed
webhook endpoints, even when the group reads the whole log again."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.community.questions import answer_question, ask_question
from marketplace.network import connections as conn
from marketplace.network import endorsements as endo
from marketplace.network.handoffs import accept_handoff, decline_handoff, lapse_offers
from marketplace.notifications.kinds import WEBHOOKS
from marketplace.notifications.letters import render_row
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, new_secret
from tests.service.network_people import held_by_ann, offer, tasker, worked
from tests.service.test_notifications import deliver_all, redeliver_all, rows
from tests.service.test_task_use_cases import run, who
from tests.support import NO_WINDOW

NETWORK = {
    "connection.requested",
    "connection.accepted",
    "endorsement.received",
    "question.answered",
    "task.handoff_taken",
    "task.handoff_declined",
    "task.handoff_lapsed",
}


def deliveries(platform) -> list[tuple[str, int, dict]]:
    """(kind, the endpoint's tasker, data) of every webhook delivery."""
    with platform.uow() as uow:
        found = uow.session.exec(
            select(WebhookDelivery, WebhookEndpoint.tasker_id).join(
                WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id
            )
        ).all()
    return [(d.kind, tasker_id, json.loads(d.payload)["data"]) for d, tasker_id in found]


def test_each_network_notice_reaches_its_tasker_once_by_email_and_webhook(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    carl, dora = tasker(platform, "carl"), tasker(platform, "dora")
    with platform.uow() as uow:
        for user_id, name in ((ann, "Ann"), (bob, "Bob"), (carl, "Carl"), (dora, "Dora")):
            uow.session.get_one(User, user_id).display_name = name
            uow.session.add(
                WebhookEndpoint(
                    tasker_id=user_id, url="https://hooks.example/", kinds=",".join(WEBHOOKS), secret=new_secret()
                )
            )
        uow.commit()

    run(platform, conn.request_connection, who(platform, bob), ann)  # to Ann: Bob asks
    run(platform, conn.accept_connection, who(platform, ann), bob)  # to Bob: Ann accepted
    worked(platform, bob, "yard-work", 3)
    run(platform, endo.endorse, who(platform, bob), ann, "yard-work", "Careful with roots")  # to Ann
    question = run(platform, ask_question, who(platform, ann), "yard-work", "Leaf blower or rake?", "Which one?")
    run(platform, answer_question, who(platform, bob), question.id, "A rake, in wet leaves.")  # to Ann
    run(platform, answer_question, who(platform, ann), question.id, "Thanks: a rake it is.")  # her own: nobody

    taken = held_by_ann(market)
    [to_bob] = offer(platform, ann, taken, [bob])
    run(platform, accept_handoff, who(platform, bob), to_bob.id, NO_WINDOW)  # to Ann: Bob took it
    declined = held_by_ann(market)
    [to_carl] = offer(platform, ann, declined, [carl])
    run(platform, decline_handoff, who(platform, carl), to_carl.id, "Away that week")  # to Ann
    lapsing = held_by_ann(market)
    together = offer(platform, ann, lapsing, [carl, dora])
    assert run(platform, lapse_offers, utcnow() + timedelta(hours=7)) == 2  # to Ann: one letter for both

    first = deliver_all(platform)
    hooks = deliveries(platform)
    assert redeliver_all(platform) == first and deliveries(platform) == hooks  # handled twice: written once

    emails = Counter((r.kind, r.recipient_id) for r in rows(platform) if r.kind in NETWORK)
    assert emails == {
        ("connection.requested", ann): 1,
        ("connection.accepted", bob): 1,
        ("endorsement.received", ann): 1,
        ("question.answered", ann): 1,
        ("task.handoff_taken", ann): 1,
        ("task.handoff_declined", ann): 1,
        ("task.handoff_lapsed", ann): 1,
    }
    delivered = Counter((kind, to) for kind, to, _ in hooks if kind in NETWORK)
    assert delivered == {
        ("connection.requested", ann): 1,
        ("connection.accepted", bob): 1,
        ("endorsement.received", ann): 1,
        ("question.answered", ann): 1,
        ("task.handoff_taken", ann): 1,
        ("task.handoff_declined", ann): 1,
        ("task.handoff_lapsed", ann): 2,  # an app hears of each offer
    }
    by_kind = {r.kind: r for r in rows(platform) if r.kind in NETWORK}
    text = {kind: render_row(row)[1] for kind, row in by_kind.items()}
    url = platform.settings.public_url
    assert "Bob asks to connect with you" in text["connection.requested"]
    assert f"Accept or decline: {url}/network#requests" in text["connection.requested"]
    assert "Careful with roots" in text["endorsement.received"]
    assert f"{url}/questions/{question.id}" in text["question.answered"]
    assert f"See the offer: {url}/handoffs/{to_bob.id}" in text["task.handoff_taken"]
    assert (
        "“Away that week”" in text["task.handoff_declined"]
        and f"{url}/work/{declined}" in text["task.handoff_declined"]
    )
    assert "to Carl and Dora" in text["task.handoff_lapsed"] and f"{url}/work/{lapsing}" in text["task.handoff_lapsed"]
    for body in text.values():
        action, footer = body.split("\n-- \n")
        assert "/api/" not in action and "POST" not in action and "For apps: GET /api/v1/" in footer
    lapsed_offers = sorted(d["offer_id"] for kind, _, d in hooks if kind == "task.handoff_lapsed")
    assert lapsed_offers == sorted(o.id for o in together)
    [answered] = [d for kind, _, d in hooks if kind == "question.answered"]
    assert answered["answerer_id"] == bob and answered["question_id"] == question.id


def test_a_tasker_who_switched_a_network_notice_off_gets_no_email_but_their_app_still_hears(market):
    from marketplace.notifications.prefs import set_preferences

    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    with platform.uow() as uow:
        uow.session.add(
            WebhookEndpoint(
                tasker_id=ann, url="https://hooks.example/", kinds="connection.requested", secret=new_secret()
            )
        )
        uow.commit()
    run(platform, set_preferences, ann, {"connection.requested": "off"})
    run(platform, conn.request_connection, who(platform, bob), ann)
    deliver_all(platform)
    assert not [r for r in rows(platform) if r.kind == "connection.requested"]
    assert [(kind, to) for kind, to, _ in deliveries(platform)] == [("connection.requested", ann)]
