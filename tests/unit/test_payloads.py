"""One definition per event: each registered type has its typed class (events/payloads.py), which
names exactly its schema's fields, with the same required and optional ones; a value built from the
class goes through encode/decode and comes back equal as its view; the producers' classes write the
same bytes the hand-built dicts did; and no module outside events/ builds an event's data by hand."""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import get_type_hints

import pytest
from marshmallow import validate

from events import community_payloads, payloads
from events.contracts import EVENT_TYPES, decode, encode
from events.envelope import CloudEvent
from events.typed import TypedEvent
from marketplace.tasks.events import task_head
from marketplace.tasks.models import Task
from marketplace.tasks.posting import posted_event
from pricing.quote import Quote

AT = datetime(2031, 5, 1, 9, tzinfo=timezone.utc)
QUOTE = dict.fromkeys(Quote._fields, 1200)
ROOT = Path(__file__).resolve().parents[2]


def test_every_registered_type_has_its_class_and_each_class_knows_its_name():
    assert set(payloads.EVENTS) == set(EVENT_TYPES)
    assert all(cls.TYPE == name for name, cls in payloads.EVENTS.items())


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_the_class_names_exactly_its_schemas_fields_and_which_are_optional(name):
    schema = EVENT_TYPES[name].schema()
    found = {f.name: f for f in fields(payloads.EVENTS[name])}
    assert set(found) == set(schema.fields)
    for field_name, field in schema.fields.items():
        ours = found[field_name]
        has_default = ours.default is not dataclasses.MISSING
        assert has_default == (not field.required), field_name
        if has_default:
            assert ours.default == field.load_default, field_name
        assert ("None" in str(ours.type)) == field.allow_none, field_name


def _sample(name: str, annotation: str, field) -> object:
    """A value the schema takes for one field (its first choice where it names them)."""
    if isinstance(field.validate, validate.OneOf):
        return next(iter(field.validate.choices))
    chooser = {
        "datetime": AT,
        "bool": True,
        "float": 4.5,
        "dict[str, int]": QUOTE,
        "list[dict[str, Any]]": [
            {
                "version": 1,
                "hourly_floor": 2400,
                "per_task_floor": 3000,
                "min_billable_minutes": 60,
                "billing_increment_minutes": 15,
                "service_fee_bps": 1000,
                "trust_fee_bps": 300,
                "tasker_commission_bps": 0,
                "effective_from": AT,
                "author": "ops",
                "reason": "first floor",
            }
        ],
        "str": "yard-work",
        "int": 3,
    }
    return chooser[annotation.removesuffix(" | None")]


def _built(name: str) -> TypedEvent:
    cls = payloads.EVENTS[name]
    schema = EVENT_TYPES[name].schema()
    hints = {f.name: str(f.type) for f in fields(cls)}
    return cls(**{f: _sample(f, hints[f], schema.fields[f]) for f in hints})


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_a_value_built_from_the_class_round_trips_unchanged(name):
    built = _built(name)
    event = built.event(subject=7)
    assert (event.type, event.subject) == (name, "7")
    back = decode(encode(event))
    assert payloads.EVENTS[name].of(back) == built
    assert payloads.view_of(back) == built


@pytest.mark.parametrize(
    ("head", "base"),
    [
        (payloads.TaskHead, payloads.TaskLifecycle),
        (community_payloads.TipHead, community_payloads.TipEvent),
        (community_payloads.QuestionHead, community_payloads.QuestionEvent),
        (community_payloads.AnswerHead, community_payloads.AnswerEvent),
        (community_payloads.EndorsementHead, community_payloads.EndorsementEvent),
    ],
    ids=lambda v: v.__name__,
)
def test_a_familys_head_is_its_base_classes_fields(head, base):
    assert get_type_hints(head) == {f.name: t for f in fields(base) for t in [get_type_hints(base)[f.name]]}


def test_a_class_several_types_share_builds_no_event_of_its_own():
    with pytest.raises(TypeError, match="PaymentEvent is shared"):
        payloads.PaymentEvent(
            task_id=1, intent_id="pi_1", amount=100, reference="pi_1", source="api", stripe_event_id=None, at=AT
        ).event(subject=1)


def _same_envelope(new: CloudEvent, old: CloudEvent) -> CloudEvent:
    return dataclasses.replace(new, id=old.id, time=old.time)


def _task() -> Task:
    return Task(
        id=7,
        client_id=1,
        tasker_id=2,
        category="yard-work",
        region="springfield",
        title="Rake the lawn",
        description="",
        estimated_minutes=90,
        starts_at=AT + timedelta(days=2),
        offered_rate=None,
        posted_at=AT,
        status="posted",
    )


def test_the_producers_classes_write_the_bytes_the_hand_built_dicts_did():
    task = _task()
    head = {"task_id": 7, "client_id": 1, "category": "yard-work", "region": "springfield", "at": AT}
    old_and_new = [
        (
            CloudEvent(
                type="task.cancelled",
                subject="7",
                data={**head, "tasker_id": None, "cancelled_by": "platform", "fee": None, "reopened": False},
            ),
            payloads.TaskCancelled(
                **task_head(task, AT, tasker_id=None), cancelled_by="platform", fee=None, reopened=False
            ).event(subject=7),
        ),
        (
            CloudEvent(
                type="task.handed_off",
                subject="7",
                data={**head, "tasker_id": 2, "offer_id": 4, "from_tasker_id": 3, "late": True},
            ),
            payloads.HandedOff(**task_head(task, AT), offer_id=4, from_tasker_id=3, late=True).event(subject=7),
        ),
        (  # an optional field the producer left out (the rating of a review from before double-blind)
            CloudEvent(
                type="review.submitted",
                subject="2",
                data={
                    "review_id": 5,
                    "task_id": 7,
                    "tasker_id": 2,
                    "client_id": 1,
                    "category": "yard-work",
                    "by": "client",
                    "at": AT,
                },
            ),
            payloads.ReviewSubmitted(
                review_id=5, task_id=7, tasker_id=2, client_id=1, category="yard-work", by="client", at=AT
            ).event(subject=2),
        ),
        (
            CloudEvent(
                type="task.posted",
                subject="7",
                data={
                    "task_id": 7,
                    "client_id": 1,
                    "category": "yard-work",
                    "region": "springfield",
                    "title": "Rake the lawn",
                    "estimated_minutes": 90,
                    "starts_at": AT + timedelta(days=2),
                    "offered_rate": None,
                    "posted_at": AT,
                },
            ),
            posted_event(task),
        ),
        (
            CloudEvent(
                type="payment.captured",
                subject="7",
                data={
                    "task_id": 7,
                    "intent_id": "pi_1",
                    "amount": 4200,
                    "reference": "pi_1",
                    "source": "webhook",
                    "stripe_event_id": "evt_1",
                    "at": AT,
                },
            ),
            payloads.PaymentCaptured(
                task_id=7,
                intent_id="pi_1",
                amount=4200,
                reference="pi_1",
                source="webhook",
                stripe_event_id="evt_1",
                at=AT,
            ).event(subject=7),
        ),
    ]
    for old, new in old_and_new:
        assert encode(_same_envelope(new, old)) == encode(old), old.type


# The tests build raw events on purpose (malformed ones, and history as it stood before a field went):
# they alone write CloudEvents themselves.
PRODUCER_PACKAGES = ("api", "bench", "cli", "marketplace", "pricing", "workers")


def _hand_built(path: Path) -> list[int]:
    """The lines of `path` that call CloudEvent(...) with a `data` of their own."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if callee == "CloudEvent" and (any(k.arg == "data" for k in node.keywords) or len(node.args) >= 3):
                found.append(node.lineno)
    return found


def test_no_module_outside_events_builds_an_events_data_by_hand():
    found = {
        str(path.relative_to(ROOT)): lines
        for package in PRODUCER_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := _hand_built(path))
    }
    assert found == {}, "build the event from its class in events/payloads.py: " + str(found)


def test_the_check_finds_a_hand_built_event(tmp_path):
    sample = tmp_path / "producer.py"
    sample.write_text('uow.emit(CloudEvent(type="task.started", subject="1", data={"task_id": 1}), key="1")\n')
    assert _hand_built(sample) == [1]
