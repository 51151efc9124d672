"""The forms of a tasker's work on the web (WTForms, with CSRF): accepting, starting, giving back,
declining a rebooking (a button each), completing with the minutes worked and a reason, handing
off to peers, and reviewing the client."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.network.handoffs import MAX_NOTE, MAX_PEERS
from marketplace.tasks.lifecycle import MAX_REASON
from marketplace.tasks.reviews import MAX_COMMENT
from pricing.quote import MAX_ESTIMATED_MINUTES


class ActForm(FlaskForm):
    """A button that changes a task (accept, start, decline): the CSRF token and nothing else."""


class CompleteForm(FlaskForm):
    minutes_worked = IntegerField(
        "Minutes worked",
        validators=[
            InputRequired("Give the minutes you worked, in whole minutes."),
            NumberRange(1, MAX_ESTIMATED_MINUTES, f"Between 1 and {MAX_ESTIMATED_MINUTES} minutes."),
        ],
    )
    reason = TextAreaField(
        "Why it took longer (only when the minutes come to more than the client booked: they read it)",
        validators=[Optional(), Length(max=MAX_REASON)],
    )


class GiveBackForm(FlaskForm):
    reason = StringField(
        "Why you give it back (optional; the client reads it)", validators=[Optional(), Length(max=300)]
    )


class HandoffForm(FlaskForm):
    tasker_ids = SelectMultipleField(
        f"Offer it to (up to {MAX_PEERS} at once; the first to accept takes it)",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    note = TextAreaField("A note for them (optional)", validators=[Optional(), Length(max=MAX_NOTE)])

    def validate_tasker_ids(self, field) -> None:
        if not field.data:
            raise ValidationError("Choose at least one tasker.")
        if len(field.data) > MAX_PEERS:
            raise ValidationError(f"Choose at most {MAX_PEERS} at once.")


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Message (plain text; phone numbers and emails stay hidden until the task starts)",
        validators=[InputRequired("Write something first."), Length(max=2000)],
    )


class ClientReviewForm(FlaskForm):
    rating = RadioField(
        "Rating of the client",
        choices=[SelectChoice(str(n), "★" * n) for n in range(5, 0, -1)],
        validators=[InputRequired("Give 1 to 5 stars.")],
    )
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=MAX_COMMENT)])
