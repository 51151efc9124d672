"""Network context for a tasker's feed: for each client on a page, how many of the tasker's
connections completed a task for them, and by name those of them whose review of the client has
been revealed, so the tasker knows whom to ask about that client. A connection who worked for
the client but did not review them is counted, never named; and never a task, an address or a
message."""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.network.connections import connected_ids
from marketplace.tasks.models import ClientReview, Task, TaskStatus

NAMED = 5  # connections named per client; the count says how many in all


def client_context(session: Session, tasker_id: int, client_ids: list[int]) -> dict[int, dict]:
    """{client id: {"connections_worked_for_client": n, "connections": [{id, display_name}, ...]}}
    for the clients some connection worked for (`connections`: those who reviewed them, revealed);
    two queries for a whole page (none without connections)."""
    friends = connected_ids(session, tasker_id)
    clients = sorted(set(client_ids))
    if not friends or not clients:
        return {}
    rows = session.exec(
        select(Task.client_id, Task.tasker_id)
        .where(
            col(Task.client_id).in_(clients),
            col(Task.tasker_id).in_(friends),
            col(Task.status) == TaskStatus.completed,
        )
        .distinct()
    ).all()
    worked: dict[int, set[int]] = {}
    for client_id, peer_id in rows:
        if peer_id is not None:
            worked.setdefault(client_id, set()).add(peer_id)
    reviewed: dict[int, set[int]] = {}
    if worked:
        for client_id, peer_id in session.exec(
            select(ClientReview.client_id, ClientReview.tasker_id).where(
                col(ClientReview.client_id).in_(sorted(worked)),
                col(ClientReview.tasker_id).in_(friends),
                col(ClientReview.revealed_at).is_not(None),
            )
        ):
            reviewed.setdefault(client_id, set()).add(peer_id)
    shown = {c: sorted(peers & reviewed.get(c, set()))[:NAMED] for c, peers in worked.items()}
    named = sorted({p for peers in shown.values() for p in peers})
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(named))).all()) if named else {}
    return {
        client_id: {
            "connections_worked_for_client": len(peers),
            "connections": [{"id": p, "display_name": names.get(p, "")} for p in shown[client_id]],
        }
        for client_id, peers in worked.items()
    }
