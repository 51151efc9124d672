"""The API's first line of defence against hostile bodies: one strict JSON reader for every request
(bounded nesting, answered as a 400 naming the problem), a base schema that refuses text no event
or database can carry (lone surrogates, NUL) naming the field, and a time field that refuses
instants outside the range the engine works in, instead of overflowing later.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import flask_smorest
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema, ValidationError, fields, pre_load
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from marketplace.text import line_problem

MAX_JSON_DEPTH = 32
MAX_BODY_BYTES = 256 * 1024  # the largest real body (a tip, a simulation of 100 changes) is far smaller
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


class BadJson(ValueError):
    pass


def _depth_ok(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def strict_loads(raw: bytes | str):
    """json.loads, but bad UTF-8, overflowing nesting and non-standard constants are BadJson."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
        value = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise BadJson("the body is not UTF-8") from None
    except RecursionError:
        raise BadJson(f"it is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise BadJson(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not _depth_ok(value, MAX_JSON_DEPTH):
        raise BadJson(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def _no_constant(name: str):
    raise BadJson(f"{name} is not a JSON number")


class StrictJSONProvider(DefaultJSONProvider):
    """`request.get_json()` anywhere in the app goes through the same strict reader."""

    def loads(self, s, **kwargs):
        try:
            return strict_loads(s)
        except BadJson as exc:
            raise ValueError(str(exc)) from None


class StrictParser(FlaskParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap, req):
        """A schema class is instantiated once, not on every request (webargs' default): building
        a schema deep-copies its declared fields, a quarter of a millisecond for a posting's. The
        request schemas keep no state between loads (no context, no per-request options)."""
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        raw = req.get_data(cache=True)
        if not raw:
            return core.missing
        try:
            return strict_loads(raw)
        except BadJson as exc:
            abort(400, messages={"json": [f"Invalid JSON body: {exc}."]})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint reading bodies with the strict parser."""

    ARGUMENTS_PARSER = StrictParser()


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return "Must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode text (no lone surrogates such as \\ud800)."
    return None


def _printable(key) -> str:
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def text_errors(value) -> dict[str, list[str]]:
    """Field errors for every top-level field whose value (or any string inside it, key or value)
    is not storable text: the first problem found in each field names that field."""
    errors: dict[str, list[str]] = {}
    if not isinstance(value, dict):
        return errors
    for key, child in value.items():
        name = _printable(key)
        if isinstance(key, str) and _bad_text(key):
            errors[name] = ["The field name is not valid text."]
            continue
        stack = [child]
        while stack and name not in errors:
            item = stack.pop()
            if isinstance(item, str):
                problem = _bad_text(item)
                if problem:
                    errors[name] = [problem]
            elif isinstance(item, dict):
                for inner_key, inner in item.items():
                    if isinstance(inner_key, str) and _bad_text(inner_key):
                        errors[name] = [_bad_text(inner_key) or ""]
                        break
                    stack.append(inner)
            elif isinstance(item, list):
                stack.extend(item)
    return errors


def one_line(value: str) -> None:
    """A validator for text that reaches an email's Subject or a page's title (a task's title, a
    person's name): one line, with no control characters (marketplace.text)."""
    problem = line_problem(value)
    if problem:
        raise ValidationError(problem)


class ApiSchema(Schema):
    """Every request schema: text that is not valid Unicode, or carries NUL, is a 422 on its field."""

    @pre_load
    def _storable_text(self, data, **kwargs):
        errors = text_errors(data)
        if errors:
            raise ValidationError(errors)
        return data


class Instant(fields.AwareDateTime):
    """An aware ISO 8601 time, in UTC, between the years 2000 and 2100: a later or earlier one is a
    typo, and one near the end of the calendar would overflow when converted."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        when = super()._deserialize(value, attr, data, **kwargs)
        try:
            when = when.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            raise ValidationError("Must be between the years 2000 and 2100.") from None
        if not EARLIEST <= when < LATEST:
            raise ValidationError("Must be between the years 2000 and 2100.")
        return when


def whole_number(raw: str | None, most: int) -> int | None:
    """A query or form value as a whole number from 1 to `most`, or None. ASCII digits only:
    str.isdigit() also accepts "²", "①" and "¹²", which int() refuses (a 500), and int() accepts
    other scripts' digits and "_" separators that nobody types into a page number."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(most)):
        return None
    number = int(raw)
    return number if 0 < number <= most else None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app) -> None:
    """Refuse text no database can store (NUL, lone surrogates) in a path, a query string or a web
    form before any view looks it up: PostgreSQL answers NUL in a lookup with an error, not a miss.
    JSON bodies go through the schemas, which name the field."""
    from flask import abort as http_abort
    from flask import request

    from api.errors import wants_html

    @app.before_request
    def _refuse_unstorable_text():
        if _bad_text(request.path):
            http_abort(404, description="No such page.")
        sources = [("query", request.args)]
        if request.mimetype in FORM_TYPES:
            sources.append(("form", request.form))
        for source, values in sources:
            for key, value in values.items(multi=True):
                problem = _bad_text(key) or _bad_text(value)
                if problem is None:
                    continue
                name = _printable(key)
                if wants_html():
                    http_abort(400, description=f"The {source} field {name} was refused: {problem}")
                flask_smorest.abort(422, message="Check the request.", errors={source: {name: [problem]}})
