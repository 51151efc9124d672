"""Clients on the web: sign up, post a task with a live quote preview, follow it, cancel it,
review the tasker; and everyone can read the tips boards. Server-rendered forms with CSRF; a
little JavaScript (static/app.js) refreshes the preview and the task's status, and every page
works without it."""

from __future__ import annotations

import re
import secrets
from datetime import timezone
from decimal import Decimal

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from wtforms import (
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
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

from api.limits import posting_limit, signup_limit
from api.platform import platform, uow
from api.web.sign_in import signed_in, web_requires, web_user
from marketplace.accounts.models import Role, User
from marketplace.accounts.users import normalize_email, sign_up
from marketplace.clock import utcnow
from marketplace.community.boards import board_page
from marketplace.community.reputation import public_reputation
from marketplace.community.tips import sanitize_html, tips_by
from marketplace.errors import DomainError
from marketplace.floors.models import Category, Region
from marketplace.floors.published import floor_version
from marketplace.payments.gateway import GatewayError
from marketplace.payments.holds import book_task, sync_payment
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.taskers.reach import reach_view
from marketplace.taskers.skills import skills_view
from marketplace.tasks.adjustments import approve_adjustment, dispute_adjustment
from marketplace.tasks.lifecycle import cancel_by_client, cancellation_terms
from marketplace.tasks.models import Adjustment, Review, Task, TaskStatus
from marketplace.tasks.posting import TaskDraft, post_task, post_task_idempotently
from marketplace.tasks.pricing_stage import offer_notes, preview_quote
from marketplace.tasks.quotes import quotes_for, quotes_of
from marketplace.tasks.reviews import review_task, reviews_of
from marketplace.tasks.steps import steps_of
from pricing.money import format_cents
from pricing.quote import MAX_ESTIMATED_MINUTES, MAX_OFFERED_RATE

bp = Blueprint("web", __name__)

TERMINAL = {TaskStatus.completed, TaskStatus.cancelled, TaskStatus.rejected}


class SignupForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Give an email address."),
        ],
    )
    display_name = StringField("Your name (shown to others)", validators=[Optional(), Length(max=80)])
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
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
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
    estimated_minutes = IntegerField(
        "Estimated time (minutes)", default=60, validators=[InputRequired(), NumberRange(1, MAX_ESTIMATED_MINUTES)]
    )
    starts_at = DateTimeLocalField("Start (UTC)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    # A single-use token: the same form sent twice (a double click, the back button) posts once.
    form_token = HiddenField()
    offered_rate = DollarsField(
        "Offer more than the floor (dollars an hour, optional)",
        places=2,
        validators=[Optional(), NumberRange(0, Decimal(MAX_OFFERED_RATE) / 100)],
    )


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


def _choices(form: TaskForm, s) -> None:
    form.category.choices = [
        SelectChoice(c.slug, f"{c.name} ({c.level})") for c in s.exec(select(Category).order_by(col(Category.name)))
    ]
    form.region.choices = [SelectChoice(r.slug, r.name) for r in s.exec(select(Region).order_by(col(Region.name)))]


@bp.app_template_global()
def named(kind: str, slug: str) -> str:
    """A category's or region's name for a page, in place of its slug (looked up once per request)."""
    if "place_names" not in g:
        with uow() as unit:
            g.place_names = {
                "category": {c.slug: c.name for c in unit.session.exec(select(Category))},
                "region": {r.slug: r.name for r in unit.session.exec(select(Region))},
            }
    return g.place_names[kind].get(slug, slug)


def _render(template: str, status: int = 200, **context):
    return render_template(template, user=web_user(), money=format_cents, **context), status


@bp.app_template_filter("sanitized")
def sanitized(html: str) -> Markup:
    """Tip bodies were sanitized when written; cleaning again on the way out costs little."""
    return Markup(sanitize_html(html))


@bp.get("/")
def home():
    user = web_user()
    if user is None:
        return _render("web/home.html")
    target = {Role.client: "web.my_tasks", Role.tasker: "web.me", Role.operator: "console.floors"}[Role(user.role)]
    return redirect(url_for(target))


@bp.route("/signup", methods=["GET", "POST"])
@signup_limit
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            with uow() as unit:
                sign_up(unit.session, form.email.data, form.password.data, form.role.data, form.display_name.data or "")
                unit.commit()
        except DomainError as exc:
            for name, messages in exc.errors.items():
                getattr(form, name).errors = list(getattr(form, name).errors) + messages
        except IntegrityError:
            pass  # two signups for one new email at once: the first made the account; same answer
        if not any(f.errors for f in form):
            # The same answer whether or not the email already had an account: signup must not tell.
            flash("Thanks for signing up. Sign in with your email and password to continue.")
            return redirect(url_for("web_auth.login", email=normalize_email(form.email.data)))
    return _render("web/signup.html", 422 if request.method == "POST" else 200, form=form)


@bp.get("/tasks")
@web_requires("client")
def my_tasks():
    with uow() as unit:
        s = unit.session
        tasks = s.exec(
            select(Task).where(col(Task.client_id) == signed_in().id).order_by(col(Task.id).desc()).limit(200)
        ).all()
        quotes = quotes_for(s, [t.id for t in tasks])
        rows = [(t, quotes[t.id]) for t in tasks]
    return _render("web/tasks.html", rows=rows)


def _preview(s, form: TaskForm):
    """The quote for what the form says now, or the reason there is none yet."""
    if form.category.data is None and form.category.choices:  # a fresh form: its first choices, as shown
        form.category.data = form.category.choices[0].value
    if form.region.data is None and form.region.choices:
        form.region.data = form.region.choices[0].value
    try:
        minutes = (
            int(form.estimated_minutes.raw_data[0]) if form.estimated_minutes.raw_data else form.estimated_minutes.data
        )
        offered = (
            cents(Decimal(form.offered_rate.raw_data[0]))
            if form.offered_rate.raw_data and form.offered_rate.raw_data[0].strip()
            else None
        )
    except (ValueError, ArithmeticError):
        return None, "Enter the time in whole minutes and the offer in dollars, e.g. 30.00."
    if not minutes or not form.category.data or not form.region.data:
        return None, "Choose a category and region and enter the time to see the price."
    try:
        result = preview_quote(s, form.category.data, form.region.data, minutes, offered)
    except DomainError as exc:
        return None, " ".join(m for ms in exc.errors.values() for m in ms) or exc.message
    g.offer_notes = offer_notes(offered, result)
    return result, None


def _floor_of(session, form: TaskForm, result):
    return floor_version(session, form.category.data, form.region.data, result.rule_version) if result else None


@bp.get("/tasks/preview")
@web_requires("client")
def quote_preview():
    """The live preview's fragment: the same engine that prices postings."""
    form = TaskForm(request.args, meta={"csrf": False})
    with uow() as unit:
        _choices(form, unit.session)
        result, problem = _preview(unit.session, form)
        floor = _floor_of(unit.session, form, result)
    return render_template("web/_quote.html", quote=result, problem=problem, money=format_cents, floor=floor)


@bp.route("/tasks/new", methods=["GET", "POST"])
@web_requires("client")
@posting_limit
def new_task():
    form = TaskForm()
    status = 200
    with uow() as unit:
        _choices(form, unit.session)
        if request.method == "POST" and request.form.get("action") != "preview" and form.validate_on_submit():
            draft = TaskDraft(
                category=form.category.data,
                region=form.region.data,
                title=form.title.data,
                description=form.description.data or "",
                area=form.area.data or "",
                address=form.address.data or "",
                access_notes=form.access_notes.data or "",
                estimated_minutes=form.estimated_minutes.data,
                starts_at=form.starts_at.data.replace(tzinfo=timezone.utc),
                offered_rate=cents(form.offered_rate.data),
            )
            token = form.form_token.data or ""
            try:
                if FORM_TOKEN.match(token):
                    unit.rollback()  # end this read (on SQLite it holds the write lock) before posting in its own
                    task, fresh = post_task_idempotently(uow, signed_in().id, draft, f"web:{token}")
                else:  # a client that does not send the form's token (a script) posts each time
                    task, fresh = post_task(unit, signed_in().id, draft), True
                    unit.commit()
            except DomainError as exc:
                for name, messages in exc.errors.items():
                    field = getattr(form, name, None)
                    (field.errors if field is not None else form.form_errors).extend(messages)
                status = 422
            else:
                flash(
                    "Posted. The price is being worked out; this page updates by itself."
                    if fresh
                    else "That form was already sent, so nothing new was posted: here is the task it made."
                )
                return redirect(url_for("web.task_page", task_id=task.id))
        elif request.method == "POST" and request.form.get("action") != "preview":
            status = 422
        result, problem = _preview(unit.session, form)
        floor = _floor_of(unit.session, form, result)
    if not FORM_TOKEN.match(form.form_token.data or ""):
        form.form_token.data = secrets.token_urlsafe(24)
    return _render("web/new_task.html", status, form=form, quote=result, problem=problem, floor=floor)


def _attempt(unit, action, done) -> None:
    """Run a client's action and commit it; flash what happened, or why it was refused."""
    try:
        result = action()
        unit.commit()
    except DomainError as exc:
        flash(exc.message)
    else:
        flash(done(result) if callable(done) else done)


def _own_task(s, task_id: int) -> Task:
    task = s.get(Task, task_id)
    if task is None or task.client_id != signed_in().id:
        abort(404, description=f"No task {task_id} of yours.")
    return task


def _task_context(s, task: Task) -> dict:
    tasker = s.get(User, task.tasker_id) if task.tasker_id else None
    payment = s.get(Payment, task.id)
    now = utcnow()
    fee_due, policy = cancellation_terms(task, now)
    reviewed = s.exec(select(Review).where(col(Review.task_id) == task.id)).first()
    steps = steps_of(s, task.id)
    actor_ids = {step.actor_id for step in steps if step.actor_id is not None}
    actors = {u.id: u for u in s.exec(select(User).where(col(User.id).in_(actor_ids)))} if actor_ids else {}
    return {
        "task": task,
        "steps": steps,
        "actors": actors,
        "reach": reach_view(s, task, now),
        "quotes": quotes_of(s, task.id),
        "floor": floor_version(s, task.category, task.region, task.rule_version) if task.rule_version else None,
        "tasker": tasker,
        "fee_due": fee_due,
        "payment": payment,
        "claim": s.get(Adjustment, task.id),
        "test_mode": platform().gateway.name != "stripe",
        "bookable": task.status == TaskStatus.priced and task.payment_status in (None, "failed", "pending"),
        "policy": policy,
        "review": reviewed,
        "terminal": task.status in TERMINAL,
        "cancellable": task.status in (TaskStatus.posted, TaskStatus.priced, TaskStatus.rejected, TaskStatus.accepted),
    }


def _task_page(context: dict, status: int = 200, **forms):
    forms = {
        "cancel_form": CancelForm(),
        "review_form": ReviewForm(),
        "pay_form": PayForm(),
        "claim_form": ClaimForm(),
        **forms,
    }
    return _render("web/task.html", status, stripe=_stripe_page_settings(), **forms, **context)


@bp.get("/tasks/<int:task_id>")
@web_requires("client")
def task_page(task_id: int):
    with uow() as unit:
        context = _task_context(unit.session, _own_task(unit.session, task_id))
    return _task_page(context)


@bp.post("/tasks/<int:task_id>/claim/approve")
@web_requires("client")
def approve_claim(task_id: int):
    if not ClaimForm().validate_on_submit():
        abort(400, description="The form was incomplete or expired; reload the page and try again.")
    with uow() as unit:
        _own_task(unit.session, task_id)
        _attempt(
            unit,
            lambda: approve_adjustment(unit, signed_in(), task_id),
            "Approved: the difference will be charged and paid to the tasker.",
        )
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/claim/dispute")
@web_requires("client")
def dispute_claim(task_id: int):
    form = ClaimForm()
    with uow() as unit:
        task = _own_task(unit.session, task_id)
        if form.validate_on_submit() and form.reason.data:
            _attempt(
                unit,
                lambda: dispute_adjustment(unit, signed_in(), task_id, form.reason.data),
                "Disputed: you pay what you booked, and an operator will review the claim.",
            )
            return redirect(url_for("web.task_page", task_id=task_id))
        if not form.reason.errors:
            form.reason.errors = list(form.reason.errors) + ["Say why you dispute the extra time."]
        context = _task_context(unit.session, task)
    return _task_page(context, 422, claim_form=form)


def _stripe_page_settings() -> dict | None:
    settings = platform().settings
    if platform().gateway.name != "stripe":
        return None
    return {"js_url": settings.stripe_js_url, "publishable_key": settings.stripe_publishable_key or ""}


class PayForm(FlaskForm):
    token = HiddenField()  # from Stripe.js: the card never touches this server


def _pay_answer(task_id: int, ok: bool, message: str, extra: dict | None = None):
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": ok, "message": message, **(extra or {})}), 200 if ok else 402
    flash(message)
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/pay")
@web_requires("client")
def pay(task_id: int):
    form = PayForm()
    if not form.validate_on_submit():
        abort(400, description="The payment form was incomplete or expired; reload the page and try again.")
    gateway = platform().gateway
    if gateway.name == "stripe" and not form.token.data:
        return _pay_answer(task_id, False, "Enter your card details.")
    with uow() as unit:
        _own_task(unit.session, task_id)
    try:
        payment, client_secret = book_task(
            uow,
            gateway,
            signed_in(),
            task_id,
            payment_method=None if form.token.data else "pm_null",
            token=form.token.data or None,
        )
    except DomainError as exc:
        return _pay_answer(task_id, False, exc.message)
    except GatewayError as exc:
        if exc.temporary:
            raise  # the payment service is unreachable: a 503 page with Retry-After (api/errors.py)
        return _pay_answer(task_id, False, exc.message)
    if payment.status == PaymentStatus.failed:
        return _pay_answer(task_id, False, f"{payment.failure_message} Try another card.")
    if payment.status == PaymentStatus.pending:
        return _pay_answer(
            task_id,
            True,
            "Your bank wants you to confirm the payment.",
            {"client_secret": client_secret, "sync": url_for("web.pay_sync", task_id=task_id)},
        )
    if gateway.name != "stripe":
        return _pay_answer(
            task_id,
            True,
            "Booked in test mode: nothing was held on any card, and nothing will be "
            "charged. Taskers can now accept the task.",
        )
    return _pay_answer(task_id, True, "Booked: the amount is held on your card, and taskers can now accept the task.")


@bp.post("/tasks/<int:task_id>/pay/sync")
@web_requires("client")
def pay_sync(task_id: int):
    if not PayForm().validate_on_submit():
        abort(400, description="The payment form was incomplete or expired; reload the page and try again.")
    with uow() as unit:
        _own_task(unit.session, task_id)
    payment = sync_payment(uow, platform().gateway, task_id)
    ok = payment.status == PaymentStatus.authorized
    return _pay_answer(
        task_id,
        ok,
        "Booked: the amount is held on your card."
        if ok
        else f"The payment did not go through: {payment.failure_message or payment.status}. Try another card.",
    )


@bp.get("/tasks/<int:task_id>/status")
@web_requires("client")
def task_status(task_id: int):
    with uow() as unit:
        context = _task_context(unit.session, _own_task(unit.session, task_id))
    return render_template("web/_task_status.html", money=format_cents, **context)


@bp.post("/tasks/<int:task_id>/cancel")
@web_requires("client")
def cancel_task(task_id: int):
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400, description="The cancel form was incomplete or expired; reload the page and try again.")
    with uow() as unit:
        _own_task(unit.session, task_id)
        _attempt(
            unit,
            lambda: cancel_by_client(unit, signed_in(), task_id, form.reason.data or ""),
            lambda result: f"Cancelled. The tasker is paid {format_cents(result[1].total)} for the late cancellation."
            if result[1]
            else "Cancelled, free of charge.",
        )
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/review")
@web_requires("client")
def review(task_id: int):
    form = ReviewForm()
    with uow() as unit:
        task = _own_task(unit.session, task_id)
        if form.validate_on_submit():
            rating, comment = int(form.rating.data), form.comment.data or ""
            _attempt(
                unit, lambda: review_task(unit, signed_in(), task_id, rating, comment), "Thank you: your review is in."
            )
            return redirect(url_for("web.task_page", task_id=task_id))
        context = _task_context(unit.session, task)
    return _task_page(context, 422, review_form=form)


@bp.get("/boards")
def boards():
    with uow() as unit:
        categories = unit.session.exec(select(Category).order_by(col(Category.name))).all()
    return _render("web/boards.html", categories=categories)


@bp.get("/boards/<category>")
def board(category: str):
    asked = request.args.get("page", "1")
    page = int(asked) if asked.isdigit() and 0 < int(asked) < 100_000 else 1
    with uow() as unit:
        cat = unit.session.get(Category, category)
        if cat is None:
            abort(404, description=f"No board {category!r}.")
        view = board_page(unit.session, category, page, 20)
    return _render("web/board.html", category=cat, board=view)


@bp.get("/taskers/<int:tasker_id>")
def tasker_profile(tasker_id: int):
    """A tasker's public profile: tier, rating, reliability and categories, and the tips they wrote."""
    with uow() as unit:
        reputation = public_reputation(unit.session, tasker_id)
        tips = tips_by(unit.session, tasker_id)
        reviews = reviews_of(unit.session, tasker_id)
    return _render("web/tasker.html", reputation=reputation, tips=tips, reviews=reviews)


@bp.get("/me")
@web_requires("tasker")
def me():
    with uow() as unit:
        reputation = public_reputation(unit.session, signed_in().id)
        skills = skills_view(unit.session, signed_in().id)
    return _render("web/me.html", reputation=reputation, skills=skills)
