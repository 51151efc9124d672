"""Two-sided reviews, double-blind. After completion the client reviews the tasker and the tasker
reviews the client (1 to 5 stars and a comment, once each). Neither is shown to anyone, the other
side included, until both are in or the reveal window (14 days after completion by default) has
passed; then both appear together, and nothing can be written or changed.

Writing announces only that a review exists (`review.submitted`, never its stars). The reveal is
the "reviews" group's projection of reviews.submitted: when both sides are in it reveals them and
announces `review.revealed` with the ratings; its sweep does the same when a window lapses. The
tasker's reputation counts only revealed reviews. `floorboard replay reviews` rebuilds the reveal
state (`review_pending`, `review_reveals`) from the log."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from events.envelope import CloudEvent
from events.payloads import ReviewRevealed, ReviewSubmitted, view_of
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.community.scoring import bayesian_rating
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.policy import DEFAULTS
from marketplace.tasks.models import ClientReview, Review, ReviewPending, ReviewReveal, Task, TaskStatus
from marketplace.tasks.transitions import Action, target

MAX_COMMENT = 2000
REVEAL_WINDOW = DEFAULTS.review_window


def _locked_task(session: Session, task_id: int) -> Task | None:
    return session.exec(select(Task).where(col(Task.id) == task_id).with_for_update()).first()


def review_task(
    uow: UnitOfWork, author: User, task_id: int, rating: int, comment: str, window: timedelta = REVEAL_WINDOW
) -> Review | ClientReview:
    """The client reviews the tasker, or the task's tasker reviews the client: once each, from
    completion until the reviews are revealed or the window has passed."""
    session = uow.session
    task = _locked_task(session, task_id)  # a reveal and a review of the same task queue on it
    is_client = task is not None and task.client_id == author.id
    is_tasker = task is not None and author.role == Role.tasker and task.tasker_id == author.id
    if task is None or not (is_client or is_tasker):
        raise NotFound(f"No task {task_id} of yours.")
    target(task.status, Action.review)
    errors = {}
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = ["Give 1 to 5 stars."]
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [f"At most {MAX_COMMENT} characters."]
    if errors:
        raise Invalid("Check your review.", errors)
    model = Review if is_client else ClientReview
    if session.exec(select(model).where(col(model.task_id) == task_id)).first() is not None:
        raise Conflict("You have already reviewed this task.")
    if session.get(ReviewReveal, task_id) is not None or _window_passed(task, window, utcnow()):
        raise Conflict(
            "The reviews of this task are closed: they are shown, or the 14 days after completion have passed."
        )
    assert task.tasker_id is not None  # a completed task was accepted by someone
    review = model(task_id=task_id, client_id=task.client_id, tasker_id=task.tasker_id, rating=rating, comment=comment)
    session.add(review)
    session.flush()
    submitted = ReviewSubmitted(
        review_id=review.id,
        task_id=task_id,
        tasker_id=task.tasker_id,
        client_id=task.client_id,
        category=task.category,
        by="client" if is_client else "tasker",
        at=review.created_at,
    )
    uow.emit(submitted.event(subject=task.tasker_id), key=str(task.tasker_id))
    return review


def _window_passed(task: Task, window: timedelta, now: datetime) -> bool:
    return task.completed_at is not None and now >= task.completed_at + window


# The projection ("reviews" group).

REVIEW_TYPES = ("review.submitted", "review.revealed")


def _reveal_row(session: Session, task_id: int, at: datetime, reason: str) -> bool:
    """Record the reveal (once); True if this call recorded it."""
    return insert_if_absent(session, ReviewReveal, task_id=task_id, revealed_at=at, reason=reason)


def project_review_event(uow: UnitOfWork, event: CloudEvent, emit: bool = True) -> None:
    """Apply one reviews.submitted event to the reveal state. When a task's second review arrives,
    reveal both (live, `emit`: mark the rows and announce `review.revealed`; a replay finds the
    same reveal from the same two submissions, at the later one's time)."""
    session = uow.session
    view = view_of(event)
    if isinstance(view, ReviewRevealed):
        _reveal_row(session, view.task_id, view.at, view.reason)
        return
    assert isinstance(view, ReviewSubmitted)
    if view.by is None:  # from before double-blind reviews: it was shown at once
        _reveal_row(session, view.task_id, view.at, "legacy")
        return
    insert_if_absent(session, ReviewPending, task_id=view.task_id)
    pending = session.exec(
        select(ReviewPending).where(col(ReviewPending.task_id) == view.task_id).with_for_update()
    ).one()
    if view.by == "client" and pending.client_at is None:
        pending.client_at = view.at
    elif view.by == "tasker" and pending.tasker_at is None:
        pending.tasker_at = view.at
    session.add(pending)
    if pending.client_at is None or pending.tasker_at is None or session.get(ReviewReveal, view.task_id) is not None:
        return
    at = max(pending.client_at, pending.tasker_at)
    _reveal_row(session, view.task_id, at, "both")
    if emit:
        _reveal(uow, view.task_id, at, "both")


def _reveal(uow: UnitOfWork, task_id: int, at: datetime, reason: str) -> None:
    """Show a task's reviews: mark them, and announce them with their ratings."""
    session = uow.session
    task = _locked_task(session, task_id)
    if task is None or task.tasker_id is None:
        return
    review = session.exec(select(Review).where(col(Review.task_id) == task_id)).first()
    about_client = session.exec(select(ClientReview).where(col(ClientReview.task_id) == task_id)).first()
    for row in (review, about_client):
        if row is not None and row.revealed_at is None:
            row.revealed_at = at
            session.add(row)
    revealed = ReviewRevealed(
        task_id=task_id,
        tasker_id=task.tasker_id,
        client_id=task.client_id,
        category=task.category,
        reason=reason,
        tasker_rating=review.rating if review else None,
        client_rating=about_client.rating if about_client else None,
        at=at,
    )
    uow.emit(revealed.event(subject=task.tasker_id), key=str(task.tasker_id))


def lapse_reviews(uow: UnitOfWork, now: datetime, window: timedelta = REVEAL_WINDOW, limit: int = 200) -> int:
    """The sweep: tasks with a review in whose window has passed are revealed with what they have."""
    session = uow.session
    cutoff = now - window
    with_review = select(Review.task_id).union(select(ClientReview.task_id))
    due = session.exec(
        select(Task.id, Task.completed_at)
        .where(
            col(Task.id).in_(with_review),
            col(Task.completed_at) <= cutoff,
            col(Task.id).not_in(select(ReviewReveal.task_id)),
        )
        .order_by(col(Task.id))
        .limit(limit)
    ).all()
    for task_id, completed_at in due:
        assert completed_at is not None  # selected by it
        at = completed_at + window
        if _reveal_row(session, task_id, at, "lapsed"):
            _reveal(uow, task_id, at, "lapsed")
    return len(due)


# What people read.


def reviews_of(session: Session, tasker_id: int, limit: int = 20) -> list[dict]:
    """A tasker's revealed reviews, newest first, as their public profile shows them: stars, the
    comment, the client's display name (never an email), the category and the date."""
    rows = session.exec(
        select(Review, User.display_name, Task.category)
        .join(User, col(User.id) == Review.client_id)
        .join(Task, col(Task.id) == Review.task_id)
        .where(col(Review.tasker_id) == tasker_id, col(Review.revealed_at).is_not(None))
        .order_by(col(Review.created_at).desc(), col(Review.id).desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": review.id,
            "rating": review.rating,
            "comment": review.comment,
            "client_name": name or "A client",
            "category": category,
            "created_at": review.created_at,
        }
        for review, name, category in rows
    ]


def _shown(row: Review | ClientReview | None) -> dict | None:
    if row is None:
        return None
    return {"rating": row.rating, "comment": row.comment, "created_at": row.created_at}


def task_reviews(session: Session, task: Task, reader: User, window: timedelta = REVEAL_WINDOW) -> dict:
    """A task's reviews as one of its two parties reads them: their own, always; the other side's
    only once revealed."""
    review = session.exec(select(Review).where(col(Review.task_id) == task.id)).first()
    about_client = session.exec(select(ClientReview).where(col(ClientReview.task_id) == task.id)).first()
    mine, theirs = (review, about_client) if reader.id == task.client_id else (about_client, review)
    revealed = session.get(ReviewReveal, task.id)
    due = task.completed_at + window if task.completed_at is not None else None
    return {
        "task_id": task.id,
        "revealed": revealed is not None,
        "revealed_at": revealed.revealed_at if revealed else None,
        "reveal_due_at": due,
        "open": task.status == TaskStatus.completed and revealed is None and due is not None and utcnow() < due,
        "mine": _shown(mine),
        "theirs": _shown(theirs) if revealed is not None else None,
        "theirs_written": theirs is not None,
    }


def client_rating(session: Session, client_ids: list[int]) -> dict[int, tuple[float, int]]:
    """Each client's revealed rating from taskers: (Bayesian average, number of reviews)."""
    if not client_ids:
        return {}
    rows = session.exec(
        select(ClientReview.client_id, func.sum(ClientReview.rating), func.count())
        .where(col(ClientReview.client_id).in_(client_ids), col(ClientReview.revealed_at).is_not(None))
        .group_by(col(ClientReview.client_id))
    ).all()
    found = {client_id: (round(bayesian_rating(int(total), n), 2), n) for client_id, total, n in rows}
    return {c: found.get(c, (round(bayesian_rating(0, 0), 2), 0)) for c in client_ids}


def project_review_events(uow: UnitOfWork, events: list[CloudEvent]) -> None:
    """The replay's form: the same, one event after another, announcing nothing again."""
    for event in events:
        project_review_event(uow, event, emit=False)


PROJECTION_TABLES = (ReviewPending, ReviewReveal)
