"""A marshmallow schema's common case, compiled into plain checks.

A `Schema.load` costs ~20 µs per event, which made validation the largest part of the consumer
runner's time. `compile_loader(schema)` reads a schema's declared fields and validators once and
returns a function for the input marshmallow sees almost always: every declared field present, each
value of its plain JSON type, no extra keys. For such input it returns exactly what `schema.load`
would. For any other input it returns None, and the caller asks the schema itself, which accepts an
unusual but valid input (`"5"` for a non-strict integer) or explains what is wrong;
`loader_for(schema)` puts the two together.

The schema stays the one definition of an event. A schema using anything this module does not know
(hooks, renamed keys, other field or validator classes) gets no compiled loader, and is loaded by
marshmallow alone. tests/unit/test_fastload.py checks the compiled loaders against marshmallow on
generated input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

Doc = dict[str, Any]
Convert = Callable[[Any], Any]  # a value in, the loaded value out, or _AskSchema
Loader = Callable[[Any], "Doc | None"]


class Unsupported(Exception):
    """The schema uses something this compiler does not know; marshmallow alone loads it."""


class _AskSchema(Exception):
    """This input is not the common case: marshmallow decides."""


def compile_loader(schema: Schema) -> Loader | None:
    """A function returning `schema.load(doc)` for common input and None for the rest; or None
    if the schema cannot be compiled."""
    try:
        load = _compile_schema(schema)
    except Unsupported:
        return None

    def fast_load(doc: Any) -> Doc | None:
        try:
            return load(doc)
        except _AskSchema:
            return None

    return fast_load


def loader_for(schema: Schema) -> Callable[[Any], Doc]:
    """`schema.load`, through the compiled common case when it applies: the same result, or the
    same ValidationError."""
    fast = compile_loader(schema)
    if fast is None:
        return schema.load

    def load(doc: Any) -> Doc:
        loaded = fast(doc)
        return loaded if loaded is not None else dict(schema.load(doc))

    return load


def _compile_schema(schema: Schema) -> Callable[[Any], Doc]:
    if schema.many or any(schema._hooks.values()):  # pre/post_load, @validates, @validates_schema
        raise Unsupported(f"{type(schema).__name__} has hooks")
    checks = []
    for name, field in schema.load_fields.items():
        if field.data_key not in (None, name) or field.attribute not in (None, name):
            raise Unsupported(f"{name} is renamed")
        checks.append((name, _compile_field(field)))
    count = len(checks)

    def load(doc: Any) -> Doc:
        # Exactly the declared keys: the same count, and each one present.
        if type(doc) is not dict or len(doc) != count:
            raise _AskSchema
        try:
            return {name: check(doc[name]) for name, check in checks}
        except KeyError:
            raise _AskSchema from None

    return load


def _compile_field(field: Any) -> Convert:
    if field.pre_load or field.post_load:
        raise Unsupported("field hooks")
    build = _CONVERTERS.get(type(field))  # exact classes: a subclass may add behaviour
    if build is None:
        raise Unsupported(f"field {type(field).__name__}")
    convert = build(field)
    validators = tuple(_compile_validator(v) for v in field.validators)
    allow_none = field.allow_none
    if not validators and not allow_none:
        return convert  # None is refused by every converter's type test

    def check(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None  # marshmallow runs no validators on an allowed None
            raise _AskSchema
        out = convert(value)
        for validator in validators:
            validator(out)
        return out

    return check


def _of_type(kind: type) -> Callable[[Any], Convert]:
    def build(field: Any) -> Convert:
        def convert(value: Any) -> Any:
            if type(value) is not kind:
                raise _AskSchema
            return value

        return convert

    return build


def _float(field: fields.Float) -> Convert:
    allow_nan = field.allow_nan

    def convert(value: Any) -> Any:
        if type(value) is not float or not (allow_nan or math.isfinite(value)):
            raise _AskSchema
        return value

    return convert


def _boolean(field: fields.Boolean) -> Convert:
    if not field.truthy or not field.falsy or True not in field.truthy or False not in field.falsy:
        raise Unsupported("custom truthy/falsy sets")
    return _of_type(bool)(field)


def _aware_datetime(field: fields.AwareDateTime) -> Convert:
    if field.format not in ("iso", "iso8601"):
        raise Unsupported(f"datetime format {field.format!r}")

    def convert(value: Any) -> Any:
        if type(value) is not str:
            raise _AskSchema
        try:
            when = datetime.fromisoformat(value)  # what marshmallow's "iso" format calls
        except ValueError:
            raise _AskSchema from None
        if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
            raise _AskSchema
        return when

    return convert


def _dict(field: fields.Dict) -> Convert:
    if field.key_field is not None or field.value_field is not None:
        raise Unsupported("typed dict keys or values")

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise _AskSchema
        return dict(value)  # marshmallow returns a copy too

    return convert


def _nested(field: fields.Nested) -> Convert:
    if field.many or field.only is not None or field.exclude:
        raise Unsupported("nested many/only/exclude")
    return _compile_schema(field.schema)


def _list(field: Any) -> Convert:
    item = _compile_field(field.inner)

    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise _AskSchema
        return [item(v) for v in value]

    return convert


_CONVERTERS: dict[type, Callable[[Any], Convert]] = {
    fields.Integer: _of_type(int),  # strict or not: an int is itself; bool is not an int here
    fields.String: _of_type(str),
    fields.Float: _float,
    fields.Boolean: _boolean,
    fields.AwareDateTime: _aware_datetime,
    fields.Dict: _dict,
    fields.Nested: _nested,
    fields.List: _list,
}


def _compile_validator(v: Any) -> Callable[[Any], None]:
    kind = type(v)
    if kind is validate.Range:
        low, high, low_in, high_in = v.min, v.max, v.min_inclusive, v.max_inclusive

        def check(value: Any) -> None:
            if low is not None and (value < low if low_in else value <= low):
                raise _AskSchema
            if high is not None and (value > high if high_in else value >= high):
                raise _AskSchema

        return check
    if kind is validate.Length:
        low, high, equal = v.min, v.max, v.equal

        def check(value: Any) -> None:
            n = len(value)
            if equal is not None:
                if n != equal:
                    raise _AskSchema
            elif (low is not None and n < low) or (high is not None and n > high):
                raise _AskSchema

        return check
    if kind is validate.OneOf:
        choices = v.choices

        def check(value: Any) -> None:
            if value not in choices:
                raise _AskSchema

        return check
    if kind is validate.Equal:
        comparable = v.comparable

        def check(value: Any) -> None:
            if value != comparable:
                raise _AskSchema

        return check
    if kind is validate.Regexp:
        regex = v.regex

        def check(value: Any) -> None:
            if regex.match(value) is None:
                raise _AskSchema

        return check
    raise Unsupported(f"validator {kind.__name__}")
