"""A client's public record, as taskers see it beside every task in their feed and at
`GET /api/v1/clients/{id}`: when they joined, their rating from taskers (revealed reviews only, a
Bayesian average as for taskers; none until a review is revealed), tasks completed, how many taskers have worked for
them, cancellations inside the 24 hours before a start (with a tasker holding the task),
adjustments they disputed and how operators ruled; and, for a tasker with connections, how many of
those connections have worked for this client, and what those of them who reviewed the client
said (revealed reviews only). Nothing else is named, no comment before its reveal, nothing of a
task's private details."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, func, select

from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound
from marketplace.network.connections import connected_ids
from marketplace.tasks.models import Adjustment, AdjustmentStatus, ClientReview, Task, TaskStatus
from marketplace.tasks.reviews import client_rating

LATE = timedelta(hours=24)

DISPUTED = (AdjustmentStatus.disputed, AdjustmentStatus.upheld, AdjustmentStatus.rejected)


def client_records(session: Session, client_ids: list[int], viewer: User | None) -> dict[int, dict]:
    """Each client's record, in a handful of queries for a whole page of tasks."""
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))}
    completed = dict(
        session.exec(
            select(Task.client_id, func.count())
            .where(col(Task.client_id).in_(ids), col(Task.status) == TaskStatus.completed)
            .group_by(col(Task.client_id))
        ).all()
    )
    worked: dict[int, set[int]] = {i: set() for i in ids}
    for client_id, tasker_id in session.exec(
        select(Task.client_id, Task.tasker_id)
        .where(col(Task.client_id).in_(ids), col(Task.status) == TaskStatus.completed)
        .distinct()
    ):
        if tasker_id is not None:
            worked[client_id].add(tasker_id)
    late: dict[int, int] = {}
    for client_id, starts_at, cancelled_at in session.exec(
        select(Task.client_id, Task.starts_at, Task.cancelled_at).where(
            col(Task.client_id).in_(ids),
            col(Task.status) == TaskStatus.cancelled,
            col(Task.cancelled_by) == Role.client,
            col(Task.tasker_id).is_not(None),
        )
    ):
        if cancelled_at is not None and starts_at - cancelled_at < LATE:
            late[client_id] = late.get(client_id, 0) + 1
    disputes: dict[int, dict[str, int]] = {}
    for client_id, status, n in session.exec(
        select(Task.client_id, Adjustment.status, func.count())
        .join(Adjustment, col(Adjustment.task_id) == Task.id)
        .where(col(Task.client_id).in_(ids), col(Adjustment.status).in_(DISPUTED))
        .group_by(col(Task.client_id), col(Adjustment.status))
    ):
        disputes.setdefault(client_id, {})[status] = n
    mine = set(connected_ids(session, viewer.id)) if viewer is not None and viewer.role == Role.tasker else None
    ratings = client_rating(session, ids)
    # What the reader's connections said of each client, in reviews already revealed (only those
    # who reviewed are named: a connection who did not is counted above, never named).
    said: dict[int, list[dict]] = {i: [] for i in ids}
    if mine:
        for review, name in session.exec(
            select(ClientReview, User.display_name)
            .join(User, col(User.id) == ClientReview.tasker_id)
            .where(
                col(ClientReview.client_id).in_(ids),
                col(ClientReview.tasker_id).in_(sorted(mine)),
                col(ClientReview.revealed_at).is_not(None),
            )
            .order_by(col(ClientReview.created_at).desc())
        ):
            said[review.client_id].append(
                {
                    "tasker_id": review.tasker_id,
                    "display_name": name or "A tasker",
                    "rating": review.rating,
                    "comment": review.comment,
                }
            )
    records = {}
    for client_id in ids:
        user = users.get(client_id)
        if user is None or user.role != Role.client:
            continue
        ruled = disputes.get(client_id, {})
        record = {
            "client_id": client_id,
            "display_name": user.display_name or "A client",
            "member_since": user.created_at,
            # No rating without a review: the prior alone would read as a real 4.0.
            "rating": ratings[client_id][0] if ratings[client_id][1] else None,
            "reviews": ratings[client_id][1],
            "tasks_completed": completed.get(client_id, 0),
            "taskers_worked_for_them": len(worked[client_id]),
            "cancellations_inside_24h": late.get(client_id, 0),
            "adjustments_disputed": sum(ruled.values()),
            "disputes_ruled_for_tasker": ruled.get(AdjustmentStatus.upheld, 0),
            "disputes_ruled_for_client": ruled.get(AdjustmentStatus.rejected, 0),
            "disputes_open": ruled.get(AdjustmentStatus.disputed, 0),
            "your_connections_who_worked_for_them": len(worked[client_id] & mine) if mine is not None else None,
            "your_connections_reviews": said[client_id] if mine is not None else None,
        }
        records[client_id] = record
    return records


def client_record(session: Session, client_id: int, viewer: User | None) -> dict:
    record = client_records(session, [client_id], viewer).get(client_id)
    if record is None:
        raise NotFound(f"No client {client_id}.")
    return record
