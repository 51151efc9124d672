"""A tasker's work on the web: the feed (why each task is there, and an Accept button), the tasks
they hold (start, complete with minutes and a reason, give back, hand off, the conversation) and
the review of the client. Each action calls the use case the API calls; a refusal is flashed in
the domain's words, and a form with bad input comes back with its field's error.

Over 400 lines on purpose: the views of a tasker's work share its forms and its way of showing a
refusal."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from sqlmodel import col, select

from api.input import whole_number
from api.limits import messages_limit
from api.platform import platform, unit_of_work
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, render_page
from api.web.tasker_work_forms import (
    ActForm,
    ClientReviewForm,
    CompleteForm,
    GiveBackForm,
    HandoffForm,
    MessageForm,
)
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.conversations.messages import may_read, send_message, thread, unread
from marketplace.errors import DomainError, Invalid
from marketplace.floors.zones import UTC, label, zones_of
from marketplace.network.client_record import client_records
from marketplace.network.context import client_context
from marketplace.network.handoffs import candidates, my_offers, offer_handoff, offers_of_task
from marketplace.network.holding import cancel_by_tasker, start_task
from marketplace.payments.models import Payment
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.tasks.feed import feed as open_feed
from marketplace.tasks.feed import is_open_to, waiting_behind_window, waiting_tasks
from marketplace.tasks.lifecycle import NotOpenYet, accept_task, complete_task, start_window
from marketplace.tasks.models import Adjustment, Task
from marketplace.tasks.parties import holds, may_cancel, may_read_private
from marketplace.tasks.quotes import quotes_for, quotes_of
from marketplace.tasks.rebooking import decline_rebooking
from marketplace.tasks.reviews import review_task, task_reviews
from marketplace.tasks.steps import steps_of
from marketplace.tasks.transitions import Action, allowed
from marketplace.tasks.worklists import completed_by, held_by, rebookings_for
from pricing.money import format_cents

__all__ = ["bp"]

PAGE_SIZE = 20


def _window():
    return platform().policy.priority_window


def _page_number() -> int:
    return whole_number(request.args.get("page"), 99_999) or 1


def _missing_setup(s, tasker_id: int) -> list[str]:
    """What the tasker has yet to set before any task can be open to them."""
    has = {
        "skills": s.exec(select(TaskerSkill.category).where(col(TaskerSkill.tasker_id) == tasker_id)).first(),
        "regions": s.exec(select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == tasker_id)).first(),
    }
    return [name for name, found in has.items() if found is None]


@bp.get("/feed", endpoint="feed")
@web_requires("tasker")
def feed_page():
    me = signed_in()
    page = _page_number()
    with unit_of_work() as unit:
        s, now = unit.session, utcnow()
        tasks, total = open_feed(s, me.id, _window(), now, page, PAGE_SIZE)
        clients = [t.client_id for t in tasks]
        quotes = quotes_for(s, [t.id for t in tasks])
        records = client_records(s, clients, me)
        network = client_context(s, me.id, clients)
        rows = [
            {
                "task": t,
                "quote": quotes[t.id].get("posted"),
                "record": records.get(t.client_id),
                "network": network.get(t.client_id),
                "addressed": t.addressed_to_id == me.id,
            }
            for t in tasks
        ]
        waiting = waiting_behind_window(s, me.id, _window(), now)
        soon = waiting_tasks(s, me.id, _window(), now, limit=PAGE_SIZE) if waiting.count else []
        missing = _missing_setup(s, me.id)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_page(
        "web/feed.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        waiting=waiting,
        soon=soon,
        missing=missing,
        act_form=ActForm(),
    )


@bp.get("/work")
@web_requires("tasker")
def my_work():
    me = signed_in()
    with unit_of_work() as unit:
        s, now = unit.session, utcnow()
        held, done = held_by(s, me.id), completed_by(s, me.id)
        rebookings = rebookings_for(s, me.id, now)
        offers = my_offers(s, me.id)["incoming"]
        offered = {t.id: t for t in s.exec(select(Task).where(col(Task.id).in_([o.task_id for o in offers])))}
        quotes = quotes_for(s, [t.id for t in [*held, *done, *rebookings, *offered.values()]])
        waiting_messages = {row["task_id"]: row["unread"] for row in unread(s, me)["by_task"]}
    return render_page(
        "web/my_work.html",
        held=held,
        done=done,
        rebookings=rebookings,
        offers=[(o, offered[o.task_id]) for o in offers if o.task_id in offered],
        quotes=quotes,
        unread_by_task=waiting_messages,
        act_form=ActForm(),
    )


def _relation(s, me: User, task: Task, now) -> tuple[str, int | None] | None:
    """How the signed-in tasker may see a task: they hold it, it is a rebooking addressed to them,
    it is open to them in their feed, or a peer offers it to them (with the offer's id). None: it
    is none of theirs, and the page answers 404 without a word about it."""
    if holds(me, task):
        return "held", None
    if (
        task.addressed_to_id == me.id
        and task.is_priced
        and task.addressed_until is not None
        and task.addressed_until > now
    ):
        return "addressed", None
    if is_open_to(s, me.id, task.id, _window(), now):
        return "open", None
    offer = next((o for o in my_offers(s, me.id)["incoming"] if o.task_id == task.id), None)
    if offer is not None:
        return "offered", offer.id
    return None


def _task_for(s, task_id: int, now) -> tuple[Task, str, int | None]:
    task = s.get(Task, task_id)
    relation = _relation(s, signed_in(), task, now) if task is not None else None
    if task is None or relation is None:
        abort(404, description=f"No task {task_id} of yours, or open to you.")
    return task, *relation


def _held(s, task_id: int, now) -> Task:
    """A task the signed-in tasker holds; anything else is a 404."""
    task, relation, _ = _task_for(s, task_id, now)
    if relation != "held":
        abort(404, description=f"No task {task_id} that you hold.")
    return task


def _context(s, task: Task, relation: str, offer_id: int | None, now, forms: dict) -> dict:
    me = signed_in()
    policy = platform().policy
    held = relation == "held"
    record = client_records(s, [task.client_id], me).get(task.client_id)
    conversation = thread(s, me, task.id) if held and may_read(s, task, me) else None
    early, late = policy.start_early, policy.start_late
    opens, closes = start_window(task, early, late)
    handing = (
        held
        and allowed(task.status, Action.hand_off)
        and task.handoffs_allowed
        and task.starts_at > now
        and task.completed_at is None
    )
    peers = candidates(s, me, task, _window(), now) if handing else []
    offers = offers_of_task(s, task.id) if held else []
    names = dict(
        s.exec(select(User.id, User.display_name).where(col(User.id).in_([o.to_tasker_id for o in offers]))).all()
    )
    handoff_form = forms.get("handoff_form") or HandoffForm(formdata=None)
    handoff_form.tasker_ids.choices = [(p["id"], _peer_label(p)) for p in peers if not p["offered"]]
    review_window = policy.review_window
    return {
        "task": task,
        "relation": relation,
        "offer_id": offer_id,
        "client": s.get(User, task.client_id),
        "record": record,
        "network": client_context(s, me.id, [task.client_id]).get(task.client_id),
        "private": may_read_private(me, task, now),
        "quotes": quotes_of(s, task.id),
        "payment": s.get(Payment, task.id) if held else None,
        "claim": s.get(Adjustment, task.id) if held else None,
        "steps": steps_of(s, task.id) if held else [],
        "conversation": conversation,
        "start_opens": opens,
        "start_closes": closes,
        "start_when": "soon" if now < opens else ("now" if now <= closes else "past"),
        "start_in": in_words(opens - now) if now < opens else "",
        "startable": held and allowed(task.status, Action.start),
        "completable": held and allowed(task.status, Action.complete),
        "give_back": held and may_cancel(me, task),
        "handing": handing,
        "peers": peers,
        "offers": offers,
        "offer_names": names,
        "reviews": task_reviews(s, task, me, review_window) if held and task.is_completed else None,
        "terminal": task.is_over,
        "now": now,
        "act_form": ActForm(),
        "complete_form": forms.get("complete_form") or CompleteForm(formdata=None),
        "give_back_form": GiveBackForm(formdata=None),
        "message_form": forms.get("message_form") or MessageForm(formdata=None),
        "handoff_form": handoff_form,
        "review_form": forms.get("review_form") or ClientReviewForm(formdata=None),
    }


def in_words(span: timedelta) -> str:
    """How long until something, as people say it: "in 2 days", "in 3 hours", "in 20 minutes"."""
    minutes = max(1, int(span.total_seconds() // 60))
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            count = minutes // size
            return f"in {count} {unit}{'' if count == 1 else 's'}"
    return "in 1 minute"


def _peer_label(peer: dict) -> str:
    name = peer["display_name"] or f"Tasker {peer['id']}"
    return f"{name} (a connection)" if peer["connected"] else f"{name} (score {round(peer['score'])})"


def _page(task_id: int, status: int = 200, **forms):
    """The work page; with a form that failed, that form with its errors and a 4xx."""
    with unit_of_work() as unit:
        now = utcnow()
        task, relation, offer_id = _task_for(unit.session, task_id, now)
        context = _context(unit.session, task, relation, offer_id, now, forms)
        unit.commit()  # the conversation shown is read now
    return render_page("web/work.html", status, **context)


@bp.get("/work/<int:task_id>")
@web_requires("tasker")
def work_page(task_id: int):
    return _page(task_id)


@bp.get("/work/<int:task_id>/status")
@web_requires("tasker")
def work_status(task_id: int):
    with unit_of_work() as unit:
        now = utcnow()
        task, relation, offer_id = _task_for(unit.session, task_id, now)
        context = _context(unit.session, task, relation, offer_id, now, {})
        unit.commit()
    return render_template("web/_work_status.html", user=signed_in(), money=format_cents, **context)


def _back(task_id: int):
    return redirect(url_for("web.work_page", task_id=task_id), code=303)


def _expired() -> None:
    abort(400, description="The form was incomplete or expired; reload the page and try again.")


def _run(unit, action, done) -> bool:
    """Run a use case and commit; flash what happened, or the domain's refusal. True if done."""
    try:
        result = action()
        unit.commit()
    except DomainError as exc:
        unit.rollback()
        flash(exc.message)
        return False
    flash(done(result) if callable(done) else done)
    return True


def _field_errors(form, exc: Invalid) -> None:
    """The domain's field errors beside the form's fields (the rest above the form)."""
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        flat = [m for ms in messages.values() for m in ms] if isinstance(messages, dict) else list(messages)
        (field.errors if field is not None else form.form_errors).extend(flat)
    if not exc.errors:
        form.form_errors.append(exc.message)


@bp.post("/work/<int:task_id>/accept")
@web_requires("tasker")
def work_accept(task_id: int):
    if not ActForm().validate_on_submit():
        _expired()
    with unit_of_work() as unit:
        if unit.session.get(Task, task_id) is None:
            abort(404, description=f"No task {task_id}.")
        try:
            accept_task(unit, signed_in(), task_id, _window())
            unit.commit()
        except NotOpenYet as exc:
            flash(exc.message)
            return redirect(url_for("web.feed"), code=303)
        except DomainError as exc:
            unit.rollback()
            flash(exc.message)
            visible = _relation(unit.session, signed_in(), unit.session.get_one(Task, task_id), utcnow())
            return _back(task_id) if visible else redirect(url_for("web.feed"), code=303)
    flash("Accepted: the task is yours. The address and access notes are below; start it when you arrive.")
    return _back(task_id)


@bp.post("/work/<int:task_id>/decline")
@web_requires("tasker")
def work_decline(task_id: int):
    if not ActForm().validate_on_submit():
        _expired()
    with unit_of_work() as unit:
        task = unit.session.get(Task, task_id)
        if task is None or task.addressed_to_id != signed_in().id:
            abort(404, description=f"No task {task_id} addressed to you.")
        done = _run(
            unit,
            lambda: decline_rebooking(unit, signed_in(), task_id, utcnow()),
            "Declined: the client is told. Thank you for saying so.",
        )
    return redirect(url_for("web.my_work"), code=303) if done else _back(task_id)


@bp.post("/work/<int:task_id>/start")
@web_requires("tasker")
def work_start(task_id: int):
    if not ActForm().validate_on_submit():
        _expired()
    policy = platform().policy
    early, late = policy.start_early, policy.start_late
    with unit_of_work() as unit:
        now = utcnow()
        task = _held(unit.session, task_id, now)
        opens, closes = start_window(task, early, late)
        if allowed(task.status, Action.start) and not opens <= now <= closes:
            # Said here by the task's title (the use case's refusal names it by its number).
            zone = zones_of(unit.session).get(task.region, UTC)
            if now < opens:
                flash(
                    f"“{task.title}” can not be started yet: you can start it from {label(opens, zone)} "
                    f"({in_words(opens - now)}) to {label(closes, zone)}."
                )
            else:
                flash(f"“{task.title}” can no longer be started: its start window closed at {label(closes, zone)}.")
            return _back(task_id)
        _run(unit, lambda: start_task(unit, signed_in(), task_id, early, late), "Started. Complete it here when done.")
    return _back(task_id)


@bp.post("/work/<int:task_id>/complete")
@web_requires("tasker")
def work_complete(task_id: int):
    form = CompleteForm()
    policy = platform().policy
    with unit_of_work() as unit:
        _held(unit.session, task_id, utcnow())
        if form.validate_on_submit():
            try:
                task = complete_task(
                    unit,
                    signed_in(),
                    task_id,
                    form.minutes_worked.data,
                    form.reason.data or "",
                    policy.adjustment_window,
                    policy.completion_tolerance,
                )
                unit.commit()
            except Invalid as exc:
                unit.rollback()
                _field_errors(form, exc)
            except DomainError as exc:
                unit.rollback()
                flash(exc.message)
                return _back(task_id)
            else:
                if task.is_awaiting_approval:
                    flash(
                        "Completed. Your minutes come to more than the client booked: they approve or dispute "
                        "the extra, and if they do not answer in time the booked amount stands."
                    )
                else:
                    flash("Completed. The final price is worked out from your minutes, and you are paid.")
                return _back(task_id)
    return _page(task_id, 422, complete_form=form)


@bp.post("/work/<int:task_id>/give-back")
@web_requires("tasker")
def work_give_back(task_id: int):
    form = GiveBackForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            _expired()
        flash(" ".join(form.reason.errors))
        return _back(task_id)
    with unit_of_work() as unit:
        _held(unit.session, task_id, utcnow())
        done = _run(
            unit,
            lambda: cancel_by_tasker(unit, signed_in(), task_id, form.reason.data or ""),
            "Given back: the task is on offer to other taskers again. It counts against your reliability.",
        )
    return redirect(url_for("web.my_work"), code=303) if done else _back(task_id)


@bp.post("/work/<int:task_id>/messages")
@web_requires("tasker")
@messages_limit
def work_messages(task_id: int):
    form = MessageForm()
    with unit_of_work() as unit:
        _held(unit.session, task_id, utcnow())
        if form.validate_on_submit():
            mask = platform().policy.mask_contact_details
            try:
                send_message(unit, signed_in(), task_id, form.body.data, mask)
                unit.commit()
            except Invalid as exc:
                unit.rollback()
                _field_errors(form, exc)
            except DomainError as exc:
                unit.rollback()
                flash(exc.message)
                return _back(task_id)
            else:
                return redirect(url_for("web.work_page", task_id=task_id, _anchor="conversation"), code=303)
    return _page(task_id, 422, message_form=form)


@bp.post("/work/<int:task_id>/handoff")
@web_requires("tasker")
def work_handoff(task_id: int):
    form = HandoffForm()
    with unit_of_work() as unit:
        now = utcnow()
        task = _held(unit.session, task_id, now)
        peers = candidates(unit.session, signed_in(), task, _window(), now)
        form.tasker_ids.choices = [(p["id"], _peer_label(p)) for p in peers if not p["offered"]]
        if form.validate_on_submit():
            ttl = platform().policy.handoff_offer_ttl
            try:
                offers = offer_handoff(
                    unit, signed_in(), task_id, form.tasker_ids.data, form.note.data or "", _window(), ttl
                )
                unit.commit()
            except Invalid as exc:
                unit.rollback()
                _field_errors(form, exc)
            except DomainError as exc:
                unit.rollback()
                flash(exc.message)
                return _back(task_id)
            else:
                flash(
                    f"Offered to {len(offers)} tasker{'s' if len(offers) != 1 else ''}: the first to accept takes "
                    "the task at the same price. Until then it stays yours."
                )
                return _back(task_id)
    return _page(task_id, 422, handoff_form=form)


@bp.post("/work/<int:task_id>/review")
@web_requires("tasker")
def work_review(task_id: int):
    form = ClientReviewForm()
    window = platform().policy.review_window
    with unit_of_work() as unit:
        _held(unit.session, task_id, utcnow())
        if form.validate_on_submit():
            rating, comment = int(form.rating.data), form.comment.data or ""
            try:
                review_task(unit, signed_in(), task_id, rating, comment, window)
                unit.commit()
            except Invalid as exc:
                unit.rollback()
                _field_errors(form, exc)
            except DomainError as exc:
                unit.rollback()
                flash(exc.message)
                return _back(task_id)
            else:
                flash("Thank you: your review of the client is in. Both reviews are shown once theirs is in too.")
                return _back(task_id)
    return _page(task_id, 422, review_form=form)
