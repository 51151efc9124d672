"""The compiled loaders (events.fastload) against marshmallow itself.

For every event schema and the envelope, on generated input near the valid shape: whatever the
compiled loader accepts, marshmallow accepts with exactly the same result (types included), and
whatever marshmallow refuses, the compiled loader leaves to marshmallow.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, post_load, validate

from events.contracts import EVENT_TYPES, encode
from events.envelope import EnvelopeSchema
from events.fastload import compile_loader
from tests.support import posted_event

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(minutes=330))])
BIG = 2**40


def _validator(field, kind):
    return next((v for v in field.validators if isinstance(v, kind)), None)


def valid_value(field: fields.Field) -> st.SearchStrategy:
    """Values the field accepts, in the plain JSON form producers write."""
    kind = type(field)
    if kind is fields.Integer:
        r = _validator(field, validate.Range)
        low = -BIG if r is None or r.min is None else r.min + (0 if r.min_inclusive else 1)
        high = BIG if r is None or r.max is None else r.max - (0 if r.max_inclusive else 1)
        strategy = st.integers(low, high)
    elif kind is fields.String:
        one_of, regexp = _validator(field, validate.OneOf), _validator(field, validate.Regexp)
        equal, length = _validator(field, validate.Equal), _validator(field, validate.Length)
        if one_of:
            strategy = st.sampled_from(list(one_of.choices))
        elif regexp:
            strategy = st.from_regex(regexp.regex, fullmatch=True)
        elif equal:
            strategy = st.just(equal.comparable)
        elif length:
            strategy = st.text(min_size=length.min or 0, max_size=min(length.max or 12, 70))
        else:
            strategy = st.text(max_size=12)
    elif kind is fields.Float:
        strategy = st.floats(allow_nan=False, allow_infinity=False)
    elif kind is fields.Boolean:
        strategy = st.booleans()
    elif kind is fields.AwareDateTime:
        strategy = st.datetimes(timezones=ZONES).map(datetime.isoformat)
    elif kind is fields.Dict:
        strategy = st.dictionaries(st.text(max_size=3), st.integers(), max_size=3)
    elif kind is fields.Nested:
        strategy = valid_doc(field.schema)
    elif kind is fields.List:
        length = _validator(field, validate.Length)
        strategy = st.lists(valid_value(field.inner), min_size=length.min if length else 0, max_size=3)
    else:
        raise AssertionError(f"no strategy for {kind.__name__}")
    return st.one_of(st.none(), strategy) if field.allow_none else strategy


def edge_value(field: fields.Field) -> st.SearchStrategy:
    """Values at or past the field's edges: some still valid to marshmallow, most not."""
    kind = type(field)
    edges = [JUNK]
    if kind is fields.Integer:
        r = _validator(field, validate.Range)
        near = [n + d for n in ((r.min, r.max) if r else ()) if n is not None for d in (-1, 0, 1)]
        edges += [st.sampled_from(near or [0]), st.integers(0, 9).map(str), st.just(2.0), st.just(True)]
    elif kind is fields.String:
        edges += [st.text(min_size=60, max_size=130), st.just(""), st.just("Yard Work")]
    elif kind is fields.Float:
        edges += [st.sampled_from([float("nan"), float("inf"), -float("inf"), 3, True, "1.5"])]
    elif kind is fields.Boolean:
        edges += [st.sampled_from(["true", "no", 1, 0, "maybe"])]
    elif kind is fields.AwareDateTime:
        edges += [
            st.datetimes().map(datetime.isoformat),  # naive
            st.sampled_from(["2026-02-30T10:00:00+00:00", "20260101T000000Z", "2026-01-01", "tomorrow", ""]),
        ]
    elif kind is fields.Nested:
        edges += [doc_for(field.schema), st.lists(valid_doc(field.schema), max_size=1)]
    elif kind is fields.List:
        edges += [
            st.lists(
                doc_for(field.inner.schema) if type(field.inner) is fields.Nested else edge_value(field.inner),
                min_size=1,
                max_size=2,
            ),
            st.just([]),
        ]
    return st.one_of(edges)


def valid_doc(schema: Schema) -> st.SearchStrategy:
    return st.fixed_dictionaries({name: valid_value(f) for name, f in schema.load_fields.items()})


def doc_for(schema: Schema) -> st.SearchStrategy:
    """A valid document, or one with a single change: a field at its edge, a key dropped or added."""
    names = sorted(schema.load_fields)

    @st.composite
    def build(draw):
        doc = draw(valid_doc(schema))
        change = draw(st.sampled_from(["none", "edge", "edge", "edge", "drop", "extra"]))
        name = draw(st.sampled_from(names))
        if change == "edge":
            doc[name] = draw(edge_value(schema.load_fields[name]))
        elif change == "drop":
            del doc[name]
        elif change == "extra":
            doc["surprise"] = 1
        return doc

    return build()


def canonical(value):
    """Values with their types, and datetimes with their offsets, so that 1 != 1.0 and two
    spellings of one instant differ."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    return (type(value).__name__, value)


SCHEMAS = {"envelope": EnvelopeSchema()} | {name: t.schema() for name, t in EVENT_TYPES.items()}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_event_schema_compiles(name):
    assert compile_loader(SCHEMAS[name]) is not None, "this schema would be loaded by marshmallow alone"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_compiled_loader_agrees_with_marshmallow(name, data):
    schema = SCHEMAS[name]
    doc = data.draw(doc_for(schema))
    try:
        expected, refused = schema.load(doc), False
    except ValidationError:
        expected, refused = None, True
    got = compile_loader(schema)(doc)
    if got is not None:
        assert not refused, f"compiled loader accepted what marshmallow refuses: {doc!r}"
        assert canonical(got) == canonical(expected)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_valid_documents_take_the_compiled_path(name, data):
    schema = SCHEMAS[name]
    doc = data.draw(valid_doc(schema))
    assert canonical(compile_loader(schema)(doc)) == canonical(schema.load(doc))


def test_the_common_case_takes_the_compiled_path():
    doc = json.loads(encode(posted_event(7)))
    assert compile_loader(SCHEMAS["envelope"])(doc) is not None
    assert compile_loader(SCHEMAS["task.posted"])(doc["data"]) == SCHEMAS["task.posted"].load(doc["data"])


def test_what_it_does_not_understand_is_left_to_marshmallow():
    class WithHook(Schema):
        n = fields.Integer()

        @post_load
        def double(self, data, **kwargs):
            return {"n": data["n"] * 2}

    class Renamed(Schema):
        n = fields.Integer(data_key="N")

    class CustomValidator(Schema):
        n = fields.Integer(validate=lambda n: n != 13)

    class OtherField(Schema):
        when = fields.Date()

    for schema in (WithHook, Renamed, CustomValidator, OtherField):
        assert compile_loader(schema()) is None, schema.__name__
