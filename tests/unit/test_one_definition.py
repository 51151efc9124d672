"""The quote and the floor rule each have one definition, the engine's (pricing.Quote,
pricing.rules.FloorRule), that the others reuse: the event's quote schema is built from Quote's
fields, the operator's adjustable figures from FloorRule's; the database rows, which must declare
their columns, hold the same names and types, and this test keeps them so."""

from __future__ import annotations

from dataclasses import fields

from events.contracts import QuotePayload
from marketplace.floors.models import FloorRuleVersion
from marketplace.floors.versions import RULE_FIELDS
from marketplace.tasks.models import TaskQuote
from pricing.quote import Quote
from pricing.rules import FloorRule


def _columns(model) -> dict[str, str]:
    return {c.name: c.type.python_type.__name__ for c in model.__table__.columns}


def test_the_events_quote_is_the_engines_quote():
    assert list(QuotePayload().fields) == list(Quote._fields)


def test_a_stored_quote_has_exactly_the_engines_fields_as_whole_numbers():
    columns = _columns(TaskQuote)
    assert {name: columns[name] for name in Quote._fields} == dict.fromkeys(Quote._fields, "int")
    assert set(columns) - set(Quote._fields) == {"id", "task_id", "kind", "created_at"}


def test_a_stored_floor_rule_has_the_engines_fields_and_the_adjustable_ones_are_the_engines():
    columns = _columns(FloorRuleVersion)
    rule = {f.name for f in fields(FloorRule)}
    assert rule <= set(columns), rule - set(columns)
    assert set(RULE_FIELDS) == rule - {"category", "region", "effective_from", "version", "author", "reason"}
    assert all(columns[name] == "int" for name in RULE_FIELDS)
