"""Network context for a tasker's feed: for each client on a page, which of the tasker's
connections completed a task for them, so the tasker knows whom to ask about that client. Only
connections are named (people who chose to connect), and only the fact of completed work: never
a task, an address or a message."""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.network.connections import connected_ids
from marketplace.tasks.models import Task, TaskStatus

NAMED = 5  # connections named per client; the count says how many in all


def client_context(session: Session, tasker_id: int, client_ids: list[int]) -> dict[int, dict]:
    """{client id: {"connections_worked_for_client": n, "connections": [{id, display_name}, ...]}}
    for the clients some connection worked for; one query for a whole page (none without connections)."""
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
    named = sorted({p for peers in worked.values() for p in sorted(peers)[:NAMED]})
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(named))).all()) if named else {}
    return {
        client_id: {
            "connections_worked_for_client": len(peers),
            "connections": [{"id": p, "display_name": names.get(p, "")} for p in sorted(peers)[:NAMED]],
        }
        for client_id, peers in worked.items()
    }
