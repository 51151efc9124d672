"""closed accounts, and the event log forgets the private words it carried

`closed_accounts` records when each account was closed (docs/privacy.md): what the law makes us
keep of it is kept for a period counted from then.

Events written before this revision carried private words: `message.sent` its message's body,
`endorsement.given` the endorser's text, a `review.submitted` from before double-blind reviews
its comment, and the reasons people give each other (a task given back or cancelled, a claim for
extra time, a declined hand-off, a withdrawn or revoked endorsement). Upgrading removes those
fields from every row of the embedded log (the outbox, on Kafka), and from the events kept inside
dead letters, so a replay can never bring them back. The words stay where they belong, in their
rows (messages, endorsements, reviews, task steps, claims, hand-off offers), which account closure
deletes or clears. What Kafka already holds is not rewritten here: see docs/privacy.md (the
`messages` topic now has a retention, applied to an existing topic when the workers start).
Downgrading drops the table; the words are not restored.

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-08 10:30:00
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

import events.sqltypes

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy, frozen with this revision, of events.contracts.FORGOTTEN as it was written.
FORGOTTEN = {
    "message.sent": ("body",),
    "endorsement.given": ("text",),
    "review.submitted": ("comment",),
    "task.cancelled": ("reason",),
    "task.adjustment_requested": ("reason",),
    "task.adjustment_decided": ("reason",),
    "task.handoff_declined": ("reason",),
    "task.handoff_withdrawn": ("reason",),
    "task.handoff_lapsed": ("reason",),
    "endorsement.withdrawn": ("reason",),
    "endorsement.revoked": ("reason",),
}
TOPICS = ("messages", "community.activity", "reviews.submitted", "tasks.lifecycle")
BATCH = 1000


def _forget(doc: dict) -> bool:
    """Drop the forgotten fields of an envelope in place; whether any was there."""
    data = doc.get("data")
    dropped = FORGOTTEN.get(doc.get("type", ""), ())
    if not isinstance(data, dict) or not any(k in data for k in dropped):
        return False
    for k in dropped:
        data.pop(k, None)
    return True


def _scrubbed(raw: bytes) -> bytes | None:
    """The row's new value, or None when it carries nothing to forget (or is not JSON at all)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    changed = _forget(doc)
    data = doc.get("data")
    if doc.get("type") == "deadletter" and isinstance(data, dict) and isinstance(data.get("original_value"), str):
        try:
            inner = orjson.loads(data["original_value"])
        except orjson.JSONDecodeError:
            inner = None
        if isinstance(inner, dict) and _forget(inner):
            data["original_value"] = orjson.dumps(inner, option=orjson.OPT_SORT_KEYS).decode()
            changed = True
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) if changed else None


def upgrade() -> None:
    op.create_table(
        "closed_accounts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("closed_at", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("keep_until", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    log = sa.table(
        "event_log",
        sa.column("seq", sa.BigInteger()),
        sa.column("topic", sa.String()),
        sa.column("value", sa.LargeBinary()),
    )
    topics = [*TOPICS, *(t + ".dlq" for t in TOPICS)]
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(log.c.seq, log.c.value)
            .where(log.c.topic.in_(topics), log.c.seq > last)
            .order_by(log.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for seq, value in rows:
            new = _scrubbed(bytes(value))
            if new is not None:
                bind.execute(sa.update(log).where(log.c.seq == seq).values(value=new))
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table("closed_accounts")
