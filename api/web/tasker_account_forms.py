"""The forms of a tasker's own pages (WTForms, with CSRF): the skills page's forms, whose rate
fields (one per region of the tasker's) are read by name, and a webhook endpoint's."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.notifications.webhooks import KINDS
from pricing.rules import MAX_FLOOR_CENTS


class CsrfForm(FlaskForm):
    """The CSRF token only: the page's fields are read from the form by name."""


class WebhookForm(FlaskForm):
    url = StringField("The URL that receives the deliveries", validators=[DataRequired(), Length(max=500)])
    kinds = SelectMultipleField(
        "What it hears about",
        choices=[SelectChoice(name, label) for name, label in KINDS.items()],
        validators=[DataRequired("Choose at least one kind.")],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


_DOLLARS = re.compile(r"^\$?\s*(\d{1,7}(?:,\d{3})*|\d+)(?:\.(\d{1,2}))?$")


def dollars_to_cents(text: str) -> int:
    """ "26", "26.5", "$26.50" or "1,026.00" to cents; a ValueError saying what to type."""
    found = _DOLLARS.match(text.strip())
    if not found:
        raise ValueError("Enter an amount in dollars an hour, e.g. 26.00.")
    whole, part = found.group(1).replace(",", ""), found.group(2) or "0"
    try:
        cents = int(Decimal(whole) * 100 + Decimal(part.ljust(2, "0")))
    except InvalidOperation:
        raise ValueError("Enter an amount in dollars an hour, e.g. 26.00.") from None
    if cents > MAX_FLOOR_CENTS:
        raise ValueError(f"At most {MAX_FLOOR_CENTS // 100:,} dollars an hour.")
    return cents


def dollars(cents: int) -> str:
    """Cents as the dollars a rate field shows: 2600 -> "26.00"."""
    return f"{cents // 100}.{cents % 100:02d}"
