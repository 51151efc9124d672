"""Tasks: clients post (202, priced downstream), taskers find them in their feed and work them
(accept, start, complete, cancel), clients cancel and review. Role and ownership are checked on
every route: a client sees only their own tasks, a tasker acts only on the tasks they hold."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from flask import g, jsonify, request
from flask.views import MethodView
from flask_smorest import abort
from sqlmodel import col, func, select

from api.auth import SECURITY, requires
from api.errors import refuse
from api.input import Blueprint
from api.limits import posting_limit
from api.platform import platform, unit_of_work
from api.rest.floors import floor_reference
from api.rest.tasks_schemas import (
    EXAMPLES,
    CancelSchema,
    CompleteSchema,
    DisputeSchema,
    NotOpenYetSchema,
    ReviewCreateSchema,
    ReviewSchema,
    RulingSchema,
    TaskCreateSchema,
    TaskListArgsSchema,
    TaskPageSchema,
    TaskReviewsSchema,
    TaskSchema,
)
from marketplace.accounts.models import Role
from marketplace.clock import utcnow
from marketplace.conversations.messages import description_for
from marketplace.floors.published import floor_versions
from marketplace.network.client_record import client_records
from marketplace.network.context import client_context
from marketplace.network.holding import cancel_by_client, cancel_by_tasker, may_see, start_task
from marketplace.payments.models import Payment
from marketplace.tasks.adjustments import approve_adjustment, dispute_adjustment, resolve_dispute
from marketplace.tasks.feed import feed, waiting_behind_window
from marketplace.tasks.lifecycle import NotOpenYet, accept_task, complete_task
from marketplace.tasks.models import Adjustment, Task
from marketplace.tasks.parties import is_client, may_read_private
from marketplace.tasks.posting import TaskDraft, submit_posting
from marketplace.tasks.quotes import quotes_for
from marketplace.tasks.reach import reach_view
from marketplace.tasks.rebooking import decline_rebooking
from marketplace.tasks.reviews import review_task, task_reviews

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Posting, finding and working tasks")


def _private(task: Task, viewer, now) -> dict:
    """The address and access notes for those who may read them; None for everyone else."""
    if viewer is not None and may_read_private(viewer, task, now):
        return {"address": task.address, "access_notes": task.access_notes}
    return {"address": None, "access_notes": None}


def _posted_rate(quotes: dict) -> int | None:
    posted = quotes.get("posted")
    return posted.rate if posted is not None else None


def task_views(session, tasks: list[Task]) -> list[dict]:
    """Tasks with their quotes and payment: two queries for a whole page, not two per task. The
    private details are shown only to those `may_read_private` allows, and the reach (who could
    see a waiting task) to its client and operators."""
    viewer, now = getattr(g, "user", None), utcnow()
    mask = platform().policy.mask_contact_details  # contact details in a description, as in messages
    reach_cache: dict = {}  # the taskers of each category and region, looked up once per page
    ids = [t.id for t in tasks]
    quotes = quotes_for(session, ids)
    payments = {p.task_id: p for p in session.exec(select(Payment).where(col(Payment.task_id).in_(ids)))} if ids else {}
    versions = floor_versions(session, {(t.category, t.region, t.rule_version) for t in tasks if t.rule_version})
    claims = (
        {a.task_id: a for a in session.exec(select(Adjustment).where(col(Adjustment.task_id).in_(ids)))} if ids else {}
    )
    # Taskers read each task's client record beside it (their feed): one batch for the page.
    records = (
        client_records(session, [t.client_id for t in tasks], viewer)
        if viewer is not None and viewer.role == Role.tasker
        else {}
    )
    return [
        {
            **t.model_dump(),
            "floor": floor_reference(versions.get((t.category, t.region, t.rule_version or 0))),
            "quote": quotes[t.id].get("posted"),
            "final_quote": quotes[t.id].get("final"),
            "cancellation_fee": quotes[t.id].get("cancellation"),
            "claimed_quote": quotes[t.id].get("claimed"),
            "payment": payments.get(t.id),
            "adjustment": claims.get(t.id),
            "client_record": records.get(t.client_id),
            **_private(t, viewer, now),
            "description": description_for(t, viewer, mask),
            "reach": reach_view(session, t, now, _posted_rate(quotes[t.id]), reach_cache)
            if viewer is not None and (viewer.role == Role.operator or is_client(viewer, t))
            else None,
        }
        for t in tasks
    ]


def task_view(session, task: Task) -> dict:
    return task_views(session, [task])[0]


def posted_view(task: Task) -> dict:
    """A task this request just posted has no quote, payment or claim yet: its 202 is built from
    what was written, without reading anything back."""
    empty = (
        "quote",
        "final_quote",
        "cancellation_fee",
        "claimed_quote",
        "payment",
        "adjustment",
        "reach",
        "client_record",
    )
    return {**task.model_dump(), "floor": floor_reference(None), **dict.fromkeys(empty)}


def waiting_view(session, tasker_id: int, now) -> dict:
    waiting = waiting_behind_window(session, tasker_id, window(), now)
    if waiting.count and waiting.higher_tiers_first:
        explanation = (
            f"{waiting.count} task(s) match you but are shown to higher tiers first; the first opens to you at "
            f"{waiting.next_opens_at:%Y-%m-%d %H:%M:%S} UTC. A new tasker sees a task a while after it is priced; "
            "completed tasks and good reviews raise your tier and shorten the wait."
        )
    elif waiting.count:  # every tier above theirs waits as long: the wait is everyone's
        explanation = (
            f"{waiting.count} task(s) match you but are not open yet: every tasker sees a task a while after it is "
            f"priced. The first opens to you at {waiting.next_opens_at:%Y-%m-%d %H:%M:%S} UTC."
        )
    else:
        explanation = "Nothing that matches your skills, regions and rates is waiting behind your tier's window."
    return {**asdict(waiting), "explanation": explanation}


def window():
    return platform().policy.priority_window


def _page(args, items, total) -> dict:
    return {"items": items, "page": args["page"], "page_size": args["page_size"], "total": total}


@blp.route("")
class TaskList(MethodView):
    @requires("client")
    @blp.arguments(TaskCreateSchema, example=EXAMPLES[TaskCreateSchema])
    @blp.response(202, TaskSchema)
    @blp.doc(security=SECURITY)
    @posting_limit
    def post(self, data):
        """Post a task; it is priced asynchronously (status `posted`, then `priced` or `rejected`).
        Send an `Idempotency-Key` header (any unique string up to 255 characters) to make a retry
        safe: the same key gives back the first task instead of posting a second"""
        key = request.headers.get("Idempotency-Key")
        if key is not None and (not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable()):
            abort(
                422,
                message="Check the Idempotency-Key header.",
                errors={"headers": {"Idempotency-Key": ["1 to 255 printable ASCII characters."]}},
            )
        rebook_window = platform().policy.rebook_window
        task, fresh = submit_posting(unit_of_work, g.user.id, TaskDraft(**data), key, rebook_window)
        if key is None:
            return posted_view(task)
        if fresh:
            return posted_view(task), 202, {"Idempotent-Replayed": "false"}
        with unit_of_work() as unit:  # a replay: the task may have been priced and booked since
            return task_view(unit.session, task), 202, {"Idempotent-Replayed": "true"}

    @requires()
    @blp.arguments(TaskListArgsSchema, location="query")
    @blp.response(200, TaskPageSchema)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """`?open=true`: a tasker's feed (tasks they may accept now, soonest start first), each
        with its client's public record and its network context: how many of your connections
        completed work for its client, naming those whose review of the client is revealed.
        Otherwise: a client's own tasks, a tasker's held tasks, or every task for an operator."""
        user = g.user
        with unit_of_work() as unit:
            s = unit.session
            if args["open"]:
                if user.role != Role.tasker:
                    abort(403, message="The feed (open=true) is for taskers.")
                now = utcnow()
                tasks, total = feed(s, user.id, window(), now, args["page"], args["page_size"])
                context = client_context(s, user.id, [t.client_id for t in tasks])
                items = [
                    {**view, "network": context.get(t.client_id)}
                    for t, view in zip(tasks, task_views(s, tasks), strict=True)
                ]
                return {**_page(args, items, total), "waiting": waiting_view(s, user.id, now)}
            query = select(Task)
            if user.role == Role.client:
                query = query.where(col(Task.client_id) == user.id)
            elif user.role == Role.tasker:
                query = query.where(col(Task.tasker_id) == user.id)
            if args["status"]:
                query = query.where(col(Task.status) == args["status"])
            total = s.exec(select(func.count()).select_from(query.subquery())).one()
            held = s.exec(
                query.order_by(col(Task.id).desc())
                .offset((args["page"] - 1) * args["page_size"])
                .limit(args["page_size"])
            ).all()
            return _page(args, task_views(s, list(held)), total)


@blp.route("/<int:task_id>")
class TaskItem(MethodView):
    @requires()
    @blp.response(200, TaskSchema)
    @blp.doc(security=SECURITY)
    def get(self, task_id: int):
        """A task, with its quote once it is priced (and its final price once completed)"""
        with unit_of_work() as unit:
            task = unit.session.get(Task, task_id)
            if task is None or not may_see(unit.session, g.user, task, window(), utcnow()):
                refuse(404, f"No task {task_id} that you can see.")
            return task_view(unit.session, task)


def _act(use_case, *args):
    with unit_of_work() as unit:
        task = use_case(unit, g.user, *args)
        unit.commit()
        return task_view(unit.session, task)


@blp.route("/<int:task_id>/accept")
class Accept(MethodView):
    @requires("tasker")
    @blp.response(200, TaskSchema)
    @blp.alt_response(
        409,
        schema=NotOpenYetSchema,
        description="Someone else took the task first, or it is no longer open; or it is not open to you yet, "
        "and `opens_at` says when it is",
    )
    @blp.alt_response(403, description="The task is not for you: your skills, regions, level or rate do not match it")
    @blp.doc(security=SECURITY)
    def post(self, task_id: int):
        """Accept a task from your feed. Atomic: exactly one tasker wins, the rest get a 409. A task
        that matches you but is still behind your tier's window is a 409 with `opens_at`, the moment
        it opens to you (the message gives it on the region's clock)"""
        try:
            return _act(accept_task, task_id, window())
        except NotOpenYet as exc:
            body = {"code": 409, "status": "Conflict", "message": exc.message, "opens_at": exc.opens_at}
            return jsonify(NotOpenYetSchema().dump(body)), 409


@blp.route("/<int:task_id>/decline")
class Decline(MethodView):
    @requires("tasker")
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="Already accepted or cancelled")
    @blp.doc(security=SECURITY)
    def post(self, task_id: int):
        """Decline a rebooking addressed to you: it opens to every tasker, or, if the client asked
        for you only, it is cancelled free of charge. The client is told"""
        return _act(lambda unit, user, tid: decline_rebooking(unit, user, tid, utcnow()), task_id)


@blp.route("/<int:task_id>/start")
class Start(MethodView):
    @requires("tasker")
    @blp.response(200, TaskSchema)
    @blp.doc(security=SECURITY)
    def post(self, task_id: int):
        """Start a task you hold, from shortly before its start time (2 h by default) until a day after it;
        outside that window the 409 says when it can be started"""
        s = platform().settings
        return _act(start_task, task_id, timedelta(seconds=s.start_early_s), timedelta(seconds=s.start_late_s))


@blp.route("/<int:task_id>/complete")
class Complete(MethodView):
    @requires("tasker")
    @blp.arguments(CompleteSchema, example=EXAMPLES[CompleteSchema])
    @blp.response(200, TaskSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Complete a task you hold; the final price is recomputed for the minutes worked with the
        task's own rule version, and never goes below the floor. Beyond the booked amount, give a
        `reason`: the task waits for the client's approval (`awaiting_approval`). The minutes worked
        cannot exceed the time since the task started (plus a small tolerance, 10 minutes by default)"""
        policy = platform().policy
        answer_within = policy.adjustment_window
        tolerance = policy.completion_tolerance
        return _act(complete_task, task_id, data["minutes_worked"], data["reason"], answer_within, tolerance)


@blp.route("/<int:task_id>/cancel")
class Cancel(MethodView):
    @requires("client", "tasker")
    @blp.arguments(CancelSchema, example=EXAMPLES[CancelSchema])
    @blp.response(200, TaskSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Cancel. A client: free more than 24 h before the start (or before anyone accepted, or
        within 12 h of a hand-off to a tasker you did not choose), otherwise one billable hour goes
        to the tasker. A tasker: the task goes back on offer, and
        it counts against your reliability"""
        if g.user.role == Role.client:
            grace = platform().policy.handoff_free_cancel
            return _act(lambda unit, user, tid: cancel_by_client(unit, user, tid, data["reason"], grace)[0], task_id)
        return _act(cancel_by_tasker, task_id, data["reason"])


@blp.route("/<int:task_id>/review")
class ReviewTask(MethodView):
    @requires("client", "tasker")
    @blp.arguments(ReviewCreateSchema, example=EXAMPLES[ReviewCreateSchema])
    @blp.response(201, ReviewSchema)
    @blp.alt_response(409, description="Not completed yet, already reviewed, or the reviews are closed")
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Review the other side of your completed task, once: the client reviews the tasker, the
        tasker reviews the client (1 to 5 stars and a comment). Double-blind: no one reads either
        review until both are in or 14 days have passed since completion; then both are shown"""
        window = platform().policy.review_window
        with unit_of_work() as unit:
            review = review_task(unit, g.user, task_id, data["rating"], data["comment"], window)
            unit.commit()
            return review


@blp.route("/<int:task_id>/reviews")
class TaskReviews(MethodView):
    @requires("client", "tasker")
    @blp.response(200, TaskReviewsSchema)
    @blp.doc(security=SECURITY)
    def get(self, task_id: int):
        """The task's reviews, for its client and its tasker: your own; the other side's once revealed"""
        window = platform().policy.review_window
        with unit_of_work() as unit:
            task = unit.session.get(Task, task_id)
            if task is None or g.user.id not in (task.client_id, task.tasker_id):
                abort(404, message=f"No task {task_id} of yours.")
            assert task is not None  # abort raised otherwise
            return task_reviews(unit.session, task, g.user, window)


@blp.route("/<int:task_id>/adjustment/approve")
class ApproveAdjustment(MethodView):
    @requires("client")
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The claim was already decided")
    @blp.doc(security=SECURITY)
    def post(self, task_id: int):
        """Approve the tasker's claim for extra time: the difference is charged to your card"""
        return _act(approve_adjustment, task_id)


@blp.route("/<int:task_id>/adjustment/dispute")
class DisputeAdjustment(MethodView):
    @requires("client")
    @blp.arguments(DisputeSchema, example=EXAMPLES[DisputeSchema])
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The claim was already decided")
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Dispute the tasker's claim: the booked amount is charged now, and an operator rules on the rest"""
        return _act(dispute_adjustment, task_id, data["reason"])


@blp.route("/<int:task_id>/adjustment/ruling")
class RuleOnAdjustment(MethodView):
    @requires("operator")
    @blp.arguments(RulingSchema, example=EXAMPLES[RulingSchema])
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The claim is not disputed")
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Operators: rule on a disputed claim, for the tasker (the difference is charged) or the client"""
        with unit_of_work() as unit:
            resolve_dispute(unit, g.user, task_id, data["decision"] == "tasker", data["note"])
            unit.commit()
            return task_view(unit.session, unit.session.get_one(Task, task_id))
