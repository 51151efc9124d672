"""Every webhook kind's delivery, made by driving real events through the notifications group's
webhook half (and a real announcement sweep for task.available), is its kind's public payload:
it validates against the published JSON Schema (marketplace/notifications/webhook_schemas/, in
docs/webhooks.md too), which names every field it may carry, and nothing internal leaks into it
(the client's PaymentIntent, Stripe's ids, the event's own fields)."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from jsonschema import Draft202012Validator
from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.notifications.announce import announce_available
from marketplace.notifications.kinds import WEBHOOKS
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, deliver_event, new_secret
from marketplace.settings import PROJECT_DIR
from tests.service.notice_events import a_network, a_task, events
from tests.service.test_task_use_cases import priced_and_booked
from tests.support import NO_WINDOW

SCHEMAS = PROJECT_DIR / "marketplace" / "notifications" / "webhook_schemas"
DOC = PROJECT_DIR / "docs" / "webhooks.md"
INTERNAL = ("pi_client_card", "tr_or_re_1", "evt_1", "intent", "reference", "stripe")


def schema(kind: str) -> dict:
    return json.loads((SCHEMAS / f"{kind}.json").read_text())


def _times(value: dict, properties: dict) -> list[str]:
    """The values of the date-time fields (jsonschema checks the format only with an extra)."""
    return [value[name] for name, rule in properties.items() if rule.get("format") == "date-time"]


def check(payload: dict) -> None:
    rules = schema(payload["type"])
    Draft202012Validator(rules).validate(payload)
    for moment in _times(payload, rules["properties"]) + _times(
        payload["data"], rules["properties"]["data"]["properties"]
    ):
        assert datetime.fromisoformat(moment).tzinfo is not None, moment


@pytest.fixture
def subscribed(market):
    """Ann and Bob each with an endpoint that wants every webhook kind."""
    platform, pipeline, people = market
    with platform.uow() as uow:
        for tasker in ("ann", "bob"):
            uow.session.add(
                WebhookEndpoint(
                    tasker_id=people[tasker],
                    url="https://hooks.example/",
                    kinds=",".join(WEBHOOKS),
                    secret=new_secret(),
                )
            )
        uow.session.get_one(User, people["client"]).display_name = "Cara"
        uow.commit()
    return platform, pipeline, people


def test_every_kinds_delivery_is_its_public_payload_and_validates_against_its_schema(market, subscribed):
    platform, _, people = subscribed
    booked = priced_and_booked(market)  # open to both taskers: the sweep announces it
    with platform.uow() as uow:
        task_id = a_task(uow, people["client"], people["ann"])
        offer_id, question_id = a_network(uow, task_id, people["ann"], people["bob"])
        uow.commit()
    made = events(task_id, people["client"], people["ann"], people["bob"], offer_id, question_id)
    with platform.uow() as uow:
        for event in made:
            deliver_event(uow, event)
        assert announce_available(uow, NO_WINDOW, utcnow()) == 2
        uow.commit()
    with platform.uow() as uow:
        rows = uow.session.exec(select(WebhookDelivery)).all()
    payloads = [json.loads(row.payload) for row in rows]
    assert {p["type"] for p in payloads} == set(WEBHOOKS) == {row.kind for row in rows}
    for row, payload in zip(rows, payloads, strict=True):
        check(payload)
        assert payload["type"] == row.kind
        assert not any(word in row.payload for word in INTERNAL), row.payload
    available = [p["data"] for p in payloads if p["type"] == "task.available"]
    assert [d["task_id"] for d in available] == [booked, booked]
    [transferred] = [p["data"] for p in payloads if p["type"] == "payment.transferred"]
    assert transferred == {"task_id": task_id, "amount": 2740, "currency": "USD", "paid_at": transferred["paid_at"]}
    [offered] = [p for p in payloads if p["type"] == "task.handoff_offered"]
    offer = next(event for event in made if event.type == "task.handoff_offered")
    assert offered["data"]["to_tasker_id"] == people["bob"] and offered["timestamp"] == offer.time.isoformat()


@pytest.mark.parametrize("kind", sorted(WEBHOOKS))
def test_each_schema_names_every_field_always_and_its_example_validates(kind):
    rules = schema(kind)
    data = rules["properties"]["data"]
    assert rules["additionalProperties"] is False and data["additionalProperties"] is False
    assert set(data["required"]) == set(data["properties"]), "every field is always there (null, not missing)"
    assert rules["properties"]["type"] == {"const": kind} and rules["properties"]["version"] == {"const": 1}
    [example] = rules["examples"]
    check(example)


def test_the_docs_show_each_kinds_schema_and_example():
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.S)]
    for kind in WEBHOOKS:
        rules = schema(kind)
        assert rules in blocks, f"docs/webhooks.md does not show the schema of {kind} as it is"
        assert rules["examples"][0] in blocks, f"docs/webhooks.md does not show the example of {kind}"
    assert len(set(SCHEMAS.glob("*.json"))) == len(WEBHOOKS)
