"""The field types every boundary shares: the event contracts and the REST schemas build their money,
durations and slugs from these, so a value one side writes the other side reads."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from pricing.quote import MAX_ESTIMATED_MINUTES, MAX_OFFERED_RATE

SLUG_RULE = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Must be a lowercase slug, e.g. yard-work.")


def cents(*, at_most: int | None = None, **kw: Any) -> fields.Integer:
    """Money: a whole, non-negative number of cents (never a float), optionally bounded."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=at_most), **kw)


def whole(**kw: Any) -> fields.Integer:
    """A whole number that must arrive as one (5, not 5.0 or "5")."""
    return fields.Integer(strict=True, **kw)


def minutes(**kw: Any) -> fields.Integer:
    """A task's length in minutes: 1 up to the engine's own limit of one week."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ESTIMATED_MINUTES), **kw)


def offered_rate(**kw: Any) -> fields.Integer:
    """What a client offers above the floor, in cents an hour; optional."""
    return fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_OFFERED_RATE),
        metadata={"description": "Cents an hour above the floor; at most the engine's limit"},
        **kw,
    )


def slug(**kw: Any) -> fields.String:
    """A category or region id: lowercase letters, digits and dashes."""
    return fields.String(validate=SLUG_RULE, **kw)
