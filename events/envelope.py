"""The CloudEvents 1.0 JSON envelope, validated with marshmallow on the way in and out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from marshmallow import Schema, ValidationError, fields, validate
from uuid6 import uuid7

from events.fastload import loader_for
from events.sqltypes import utcnow

SOURCE = "urn:floorboard"


class InvalidEvent(ValueError):
    """An event that can never be processed: bad JSON, bad envelope, or a bad payload."""


@dataclass(frozen=True)
class CloudEvent:
    type: str
    subject: str
    data: dict[str, Any]
    # Time-ordered (UUIDv7): consumers' processed_events index takes each batch's ids near its
    # right edge instead of at random pages, which keeps claiming cheap as the table grows.
    id: str = field(default_factory=lambda: uuid7().hex)
    source: str = SOURCE
    time: datetime = field(default_factory=utcnow)
    schemaversion: int = 1
    datacontenttype: str = "application/json"
    specversion: str = "1.0"


class EnvelopeSchema(Schema):
    specversion = fields.String(required=True, validate=validate.Equal("1.0"))
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    source = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    type = fields.String(required=True, validate=validate.Length(min=1, max=120))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    time = fields.AwareDateTime(required=True, format="iso")
    datacontenttype = fields.String(required=True, validate=validate.Equal("application/json"))
    # An extension attribute (lowercase alphanumerics, as CloudEvents requires).
    schemaversion = fields.Integer(required=True, validate=validate.Range(min=1))
    data = fields.Dict(required=True)


_envelope = EnvelopeSchema()


def envelope_to_json(event: CloudEvent, data: dict[str, Any]) -> bytes:
    """Written by the same strict JSON library that consumers read with (orjson), so text it would
    refuse on the way in (a lone surrogate, an integer past 64 bits) is refused here, on the way out."""
    doc = _envelope.dump({**event.__dict__, "data": data})
    try:
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:
        raise InvalidEvent(f"{event.type} cannot be written as strict JSON: {exc}") from None


_load_envelope = loader_for(_envelope)  # the common case without a schema load (events.fastload)


def envelope_from_json(raw: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # bad UTF-8 included
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidEvent("not a JSON object")
    try:
        return _load_envelope(doc)
    except ValidationError as exc:
        raise InvalidEvent(f"bad CloudEvents envelope: {exc.messages}") from None
