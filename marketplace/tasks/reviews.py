"""The client's review of a completed task, announced on reviews.submitted."""

from __future__ import annotations

from sqlmodel import col, select

from events.envelope import CloudEvent
from marketplace.accounts.models import User
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.tasks.lifecycle import get_task
from marketplace.tasks.models import Review
from marketplace.tasks.transitions import Action, target

MAX_COMMENT = 2000


def review_task(uow: UnitOfWork, client: User, task_id: int, rating: int, comment: str) -> Review:
    session = uow.session
    task = get_task(session, task_id)
    if task.client_id != client.id:
        raise NotFound(f"No task {task_id} of yours.")
    target(task.status, Action.review)
    errors = {}
    if not 1 <= rating <= 5:
        errors["rating"] = ["Give 1 to 5 stars."]
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [f"At most {MAX_COMMENT} characters."]
    if errors:
        raise Invalid("Check your review.", errors)
    if session.exec(select(Review).where(col(Review.task_id) == task_id)).first() is not None:
        raise Conflict("You have already reviewed this task.")
    assert task.tasker_id is not None  # a completed task was accepted by someone
    review = Review(task_id=task_id, client_id=client.id, tasker_id=task.tasker_id, rating=rating, comment=comment)
    session.add(review)
    session.flush()
    uow.emit(
        CloudEvent(
            type="review.submitted",
            subject=str(task.tasker_id),
            data={
                "review_id": review.id,
                "task_id": task_id,
                "tasker_id": task.tasker_id,
                "client_id": client.id,
                "category": task.category,
                "rating": rating,
                "comment": comment,
                "at": review.created_at,
            },
        ),
        key=str(task.tasker_id),
    )
    return review


def reviews_of(session, tasker_id: int, limit: int = 20) -> list[dict]:
    """A tasker's reviews, newest first, as their public profile shows them: stars, the comment,
    the client's display name (never an email), the category and the date."""
    from marketplace.tasks.models import Task

    rows = session.exec(
        select(Review, User.display_name, Task.category)
        .join(User, col(User.id) == Review.client_id)
        .join(Task, col(Task.id) == Review.task_id)
        .where(col(Review.tasker_id) == tasker_id)
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
