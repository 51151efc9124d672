"""A client's tasks on the web: the list, posting with a live price preview, the task page with
its timeline, answering a claim, cancelling and reviewing."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlmodel import col, select

from api.input import whole_number
from api.limits import posting_limit
from api.platform import platform, unit_of_work
from api.web.checkout import stripe_page_settings
from api.web.forms import (
    FORM_TOKEN,
    CancelForm,
    ClaimForm,
    MessageForm,
    PayForm,
    ReviewForm,
    TaskForm,
    category_and_region_choices,
    cents,
    message_label,
)
from api.web.sign_in import signed_in, web_requires
from api.web.site import attempt, bp, own_task, render_page
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.conversations.messages import may_read, thread, unread
from marketplace.errors import DomainError
from marketplace.floors.published import floor_version
from marketplace.floors.zones import zone_of
from marketplace.network.holding import cancel_by_client
from marketplace.payments.models import Payment
from marketplace.tasks.adjustments import approve_adjustment, dispute_adjustment, ruling_figures
from marketplace.tasks.lifecycle import cancellation_terms
from marketplace.tasks.models import Adjustment, Review, Task
from marketplace.tasks.parties import may_book, may_cancel
from marketplace.tasks.posting import TaskDraft, submit_posting
from marketplace.tasks.pricing_stage import offer_notes, preview_quote
from marketplace.tasks.quotes import quotes_for, quotes_of, task_rule
from marketplace.tasks.reach import reach_view
from marketplace.tasks.rebooking import (
    addressee_problem,
    addressee_rate_note,
    rebooking_tasker,
    region_for_rebooking,
)
from marketplace.tasks.reviews import review_task, task_reviews
from marketplace.tasks.steps import steps_of
from pricing import cancellation_fee
from pricing.money import format_cents


@bp.get("/tasks")
@web_requires("client")
def my_tasks():
    with unit_of_work() as unit:
        s = unit.session
        tasks = s.exec(
            select(Task).where(col(Task.client_id) == signed_in().id).order_by(col(Task.id).desc()).limit(200)
        ).all()
        quotes = quotes_for(s, [t.id for t in tasks])
        rows = [(t, quotes[t.id]) for t in tasks]
        waiting = {row["task_id"]: row["unread"] for row in unread(s, signed_in())["by_task"]}
    return render_page("web/tasks.html", rows=rows, unread=waiting)


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
    if rebooking_tasker(s, signed_in().id, _addressee(form)) is not None:  # said before the price: posting is refused
        problem = addressee_problem(s, _addressee(form), form.category.data, form.region.data)
        g.addressee_warning = f"{problem} Choose another, or post the task to every tasker." if problem else None
    try:
        result = preview_quote(s, form.category.data, form.region.data, minutes, offered)
    except DomainError as exc:
        return None, " ".join(m for ms in exc.errors.values() for m in ms) or exc.message
    g.offer_notes = offer_notes(offered, result)
    if g.get("addressee_warning") is None:  # they can take it at all: can they at this rate?
        note = addressee_rate_note(s, _addressee(form), form.category.data, form.region.data, result.rate)
        if note:
            g.offer_notes.append(note)
    return result, None


def _addressee(form: TaskForm) -> int | None:
    return whole_number(form.addressed_to.data, 2**31 - 1)


def _floor_of(session, form: TaskForm, result):
    return floor_version(session, form.category.data, form.region.data, result.rule_version) if result else None


@bp.get("/tasks/preview")
@web_requires("client")
def quote_preview():
    """The live preview's fragment: the same engine that prices postings."""
    form = TaskForm(request.args, meta={"csrf": False})
    with unit_of_work() as unit:
        category_and_region_choices(form, unit.session)
        result, problem = _preview(unit.session, form)
        floor = _floor_of(unit.session, form, result)
    return render_template("web/_quote.html", quote=result, problem=problem, money=format_cents, floor=floor)


@bp.route("/tasks/new", methods=["GET", "POST"])
@web_requires("client")
@posting_limit
def new_task():
    form = TaskForm()
    status = 200
    client = signed_in()
    with unit_of_work() as unit:
        category_and_region_choices(form, unit.session)
        if request.method == "GET" and request.args.get("rebook"):  # "Book again": the tasker, and where
            form.addressed_to.data = request.args.get("rebook", "")[:10]
            for name in ("category", "region"):
                if request.args.get(name) in {c.value for c in getattr(form, name).choices}:
                    getattr(form, name).data = request.args[name]
            if (tasker_id := _addressee(form)) is not None:
                offered = [c.value for c in form.region.choices]
                form.region.data = region_for_rebooking(unit.session, tasker_id, form.region.data, offered) or (
                    form.region.data
                )
        rebooking = rebooking_tasker(unit.session, client.id, _addressee(form))
        if form.addressed_to.data and rebooking is None:
            form.form_errors.append("You can book again only a tasker who completed a task for you.")
            form.addressed_to.data = ""
        posting = request.method == "POST" and request.form.get("action") != "preview"
        if posting and form.validate_on_submit():
            draft = TaskDraft(
                category=form.category.data,
                region=form.region.data,
                title=form.title.data,
                description=form.description.data or "",
                area=form.area.data or "",
                address=form.address.data or "",
                access_notes=form.access_notes.data or "",
                handoffs_allowed=not form.no_handoffs.data,
                estimated_minutes=form.estimated_minutes.data,
                starts_at=form.starts_at.data,  # the region's wall-clock time, as the client wrote it
                offered_rate=cents(form.offered_rate.data),
                addressed_to=_addressee(form),
                only_addressed=bool(form.only_addressed.data) and _addressee(form) is not None,
            )
            token = form.form_token.data or ""
            # A client that does not send the form's token (a script) posts each time.
            key = f"web:{token}" if FORM_TOKEN.match(token) else None
            unit.rollback()  # end this read (on SQLite it holds the write lock) before posting in its own
            try:
                task, fresh = submit_posting(unit_of_work, client.id, draft, key, _rebook_window())
            except DomainError as exc:
                for name, messages in exc.errors.items():
                    field = getattr(form, name, None) if name not in ("addressed_to", "only_addressed") else None
                    (field.errors if field is not None else form.form_errors).extend(messages)
                status = 422
            else:
                flash(
                    "Posted. The price is being worked out; this page updates by itself."
                    if fresh
                    else "That form was already sent, so nothing new was posted: here is the task it made."
                )
                return redirect(url_for("web.task_page", task_id=task.id))
        elif posting:
            status = 422
        result, problem = _preview(unit.session, form)
        floor = _floor_of(unit.session, form, result)
    if not FORM_TOKEN.match(form.form_token.data or ""):
        form.form_token.data = secrets.token_urlsafe(24)
    return render_page(
        "web/new_task.html",
        status,
        form=form,
        quote=result,
        problem=problem,
        floor=floor,
        rebooking=rebooking,
        window=_window_words(_rebook_window()),
    )


def _window_words(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour{'' if seconds == 3600 else 's'}"
    return f"{max(1, seconds // 60)} minutes"


def _rebook_window() -> timedelta:
    return platform().policy.rebook_window


def _handoff_grace() -> timedelta:
    return platform().policy.handoff_free_cancel


def _task_context(s, task: Task) -> dict:
    tasker = s.get(User, task.tasker_id) if task.tasker_id else None
    payment = s.get(Payment, task.id)
    now = utcnow()
    fee_due, policy = cancellation_terms(task, now, _handoff_grace(), zone_of(s, task.region))
    reviewed = s.exec(select(Review).where(col(Review.task_id) == task.id)).first()
    reviews = task_reviews(s, task, signed_in(), platform().policy.review_window) if task.is_completed else None
    steps = steps_of(s, task.id)
    actor_ids = {step.actor_id for step in steps if step.actor_id is not None}
    actors = {u.id: u for u in s.exec(select(User).where(col(User.id).in_(actor_ids)))} if actor_ids else {}
    handoff = None
    if task.handed_off_at is not None and task.handed_from_id is not None and tasker is not None:
        free_until = task.handed_off_at + _handoff_grace()
        handoff = {"from": s.get(User, task.handed_from_id), "to": tasker, "at": task.handed_off_at}
        handoff["free_until"] = free_until if now < free_until and task.is_accepted else None
    reader = signed_in()
    conversation = thread(s, reader, task.id) if may_read(s, task, reader) else None
    message_form = MessageForm()
    message_form.body.label.text = message_label(task, platform().policy.mask_contact_details)
    addressee = s.get(User, task.addressed_to_id) if task.addressed_to_id and task.is_priced else None
    claim = s.get(Adjustment, task.id)
    # A claim left unanswered keeps the booked amount only when that pays the legal minimum;
    # otherwise an operator decides (the page must not promise the booked amount).
    below_minimum = bool(claim and claim.is_pending and ruling_figures(s, task, claim).client_ruling_short_by > 0)
    return {
        "task": task,
        "addressee": addressee,
        "conversation": conversation,
        "message_form": message_form,
        "handoff": handoff,
        "steps": steps,
        "actors": actors,
        "reach": reach_view(s, task, now),
        "quotes": quotes_of(s, task.id),
        "floor": floor_version(s, task.category, task.region, task.rule_version) if task.rule_version else None,
        "tasker": tasker,
        "fee_due": fee_due,
        "fee": cancellation_fee(task_rule(s, task), task.offered_rate) if fee_due else None,
        "below_minimum": below_minimum,
        "payment": payment,
        "claim": claim,
        "test_mode": platform().gateway.name != "stripe",
        "bookable": may_book(task),
        "policy": policy,
        "review": reviewed,
        "reviews": reviews,
        "terminal": task.is_over,
        "cancellable": may_cancel(signed_in(), task),
    }


def _task_page(context: dict, status: int = 200, **forms):
    forms = {
        "cancel_form": CancelForm(),
        "review_form": ReviewForm(),
        "pay_form": PayForm(),
        "claim_form": ClaimForm(),
        **forms,
    }
    return render_page("web/task.html", status, stripe=stripe_page_settings(), **forms, **context)


@bp.get("/tasks/<int:task_id>")
@web_requires("client", "tasker")
def task_page(task_id: int):
    if signed_in().role == "tasker":  # a link to a task (an email's, say) leads a tasker to their side of it
        return redirect(url_for("web.work_page", task_id=task_id))
    with unit_of_work() as unit:
        context = _task_context(unit.session, own_task(unit.session, task_id))
        unit.commit()  # the conversation is read now
    return _task_page(context)


@bp.post("/tasks/<int:task_id>/claim/approve")
@web_requires("client")
def approve_claim(task_id: int):
    if not ClaimForm().validate_on_submit():
        abort(400, description="The form was incomplete or expired; reload the page and try again.")
    with unit_of_work() as unit:
        own_task(unit.session, task_id)
        attempt(
            unit,
            lambda: approve_adjustment(unit, signed_in(), task_id),
            "Approved: the difference will be charged and paid to the tasker.",
        )
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/claim/dispute")
@web_requires("client")
def dispute_claim(task_id: int):
    form = ClaimForm()
    with unit_of_work() as unit:
        task = own_task(unit.session, task_id)
        if form.validate_on_submit() and form.reason.data:
            attempt(
                unit,
                lambda: dispute_adjustment(unit, signed_in(), task_id, form.reason.data),
                "Disputed: you pay what you booked, and an operator will review the claim.",
            )
            return redirect(url_for("web.task_page", task_id=task_id))
        if not form.reason.errors:
            form.reason.errors = list(form.reason.errors) + ["Say why you dispute the extra time."]
        context = _task_context(unit.session, task)
    return _task_page(context, 422, claim_form=form)


@bp.get("/tasks/<int:task_id>/status")
@web_requires("client")
def task_status(task_id: int):
    with unit_of_work() as unit:
        context = _task_context(unit.session, own_task(unit.session, task_id))
        unit.commit()  # the page is open: what it shows of the conversation is read
    return render_template("web/_task_status.html", money=format_cents, **context)


@bp.post("/tasks/<int:task_id>/cancel")
@web_requires("client")
def cancel_task(task_id: int):
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400, description="The cancel form was incomplete or expired; reload the page and try again.")
    with unit_of_work() as unit:
        own_task(unit.session, task_id)
        attempt(
            unit,
            lambda: cancel_by_client(unit, signed_in(), task_id, form.reason.data or "", _handoff_grace()),
            lambda result: f"Cancelled. The tasker is paid {format_cents(result[1].total)} for the late cancellation."
            if result[1]
            else "Cancelled, free of charge.",
        )
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/review")
@web_requires("client")
def review(task_id: int):
    form = ReviewForm()
    with unit_of_work() as unit:
        task = own_task(unit.session, task_id)
        if form.validate_on_submit():
            rating, comment = int(form.rating.data), form.comment.data or ""
            window = platform().policy.review_window
            attempt(
                unit,
                lambda: review_task(unit, signed_in(), task_id, rating, comment, window),
                "Thank you: your review is in. It is shown with your tasker's, once theirs is in (or in 14 days).",
            )
            return redirect(url_for("web.task_page", task_id=task_id))
        context = _task_context(unit.session, task)
    return _task_page(context, 422, review_form=form)
