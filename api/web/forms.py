"""The client web's forms (WTForms, with CSRF): signing up, posting a task, answering a claim,
cancelling, reviewing and paying."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from sqlmodel import col, select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.floors.models import Category, Region
from marketplace.tasks.models import Task
from marketplace.text import line_problem
from pricing.quote import MAX_ESTIMATED_MINUTES, MAX_OFFERED_RATE


def one_line(form, field) -> None:
    """Text that reaches an email's Subject or a page's title: one line, no control characters."""
    problem = line_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class SignupForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Give an email address."),
        ],
    )
    display_name = StringField("Your name (shown to others)", validators=[Optional(), Length(max=80), one_line])
    password = PasswordField("Password (at least 10 characters)", validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField("Password again", validators=[DataRequired(), EqualTo("password", "The passwords differ.")])
    role = RadioField(
        "I want to",
        choices=[SelectChoice("client", "post tasks (client)"), SelectChoice("tasker", "do tasks (tasker)")],
        default="client",
        validators=[DataRequired()],
    )


FORM_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class DollarsField(DecimalField):
    """A DecimalField that takes only finite amounts: "NaN", "sNaN" and "Infinity" are Decimals too,
    and comparing one with a bound raises instead of failing validation."""

    data: Decimal | None

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError("Enter an amount in dollars, e.g. 30.00.")


class TaskForm(FlaskForm):
    category = SelectField("Category", validators=[DataRequired()])
    region = SelectField("Region", validators=[DataRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=120), one_line])
    description = TextAreaField(
        "Description (public: taskers read it before accepting)", validators=[Optional(), Length(max=5000)]
    )
    area = StringField("Area (public, approximate: a neighbourhood)", validators=[Optional(), Length(max=80)])
    address = StringField(
        "Address (private: only the tasker who takes the task sees it)", validators=[Optional(), Length(max=300)]
    )
    access_notes = TextAreaField(
        "Access notes (private: gate codes, where the key is)", validators=[Optional(), Length(max=1000)]
    )
    no_handoffs = BooleanField(
        "Keep the task with the tasker who accepts it (they may not hand it to a peer if they can't make it)"
    )
    estimated_minutes = IntegerField(
        "Estimated time (minutes)", default=60, validators=[InputRequired(), NumberRange(1, MAX_ESTIMATED_MINUTES)]
    )
    starts_at = DateTimeLocalField(
        "Start (local time where the task is)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    # A single-use token: the same form sent twice (a double click, the back button) posts once.
    form_token = HiddenField()
    # A rebooking: the tasker the task is for (set from "Book again"), and whether only them.
    addressed_to = HiddenField()
    only_addressed = BooleanField(
        "Only this tasker: if they decline or don't answer in time, cancel the task free of charge "
        "(otherwise it is offered to every tasker)"
    )
    offered_rate = DollarsField(
        "Offer more than the floor (dollars an hour, optional)",
        places=2,
        validators=[Optional(), NumberRange(0, Decimal(MAX_OFFERED_RATE) / 100)],
    )


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Message (plain text; phone numbers and emails stay hidden until the task starts)",
        validators=[DataRequired(), Length(max=2000)],
    )


def message_label(task: Task, masking: bool) -> str:
    """The message box's label as the task stands: details are hidden only before the start."""
    if masking and task.is_accepted:
        return "Message (plain text; phone numbers and emails stay hidden until the task starts)"
    if task.is_completed:
        return "Message (plain text; the task is done, so phone numbers and emails are shown as written)"
    return "Message (plain text; the task has started, so phone numbers and emails are shown as written)"


class ClaimForm(FlaskForm):
    reason = StringField("Why you dispute it", validators=[Optional(), Length(max=500)])


class CancelForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=300)])


class ReviewForm(FlaskForm):
    rating = RadioField(
        "Rating", choices=[SelectChoice(str(n), "★" * n) for n in range(5, 0, -1)], validators=[DataRequired()]
    )
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=2000)])


def cents(amount: Decimal | None) -> int | None:
    """Dollars to cents. Refuses what no offer can be (NaN, infinities, 1e999999999) before
    converting, since turning a huge exponent into an int would take the process's memory."""
    if amount is None:
        return None
    if not amount.is_finite() or abs(amount) > Decimal(10) ** 12:
        raise ValueError(f"{amount} is not an amount in dollars")
    return int((amount * 100).to_integral_value())


def category_and_region_choices(form: TaskForm, s) -> None:
    form.category.choices = [
        SelectChoice(c.slug, f"{c.name} ({c.level})") for c in s.exec(select(Category).order_by(col(Category.name)))
    ]
    form.region.choices = [
        SelectChoice(r.slug, f"{r.name} ({r.timezone.replace('_', ' ')} time)")
        for r in s.exec(select(Region).order_by(col(Region.name)))
    ]


class PayForm(FlaskForm):
    token = HiddenField()  # from Stripe.js: the card never touches this server
