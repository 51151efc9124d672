"""The operators' console, the network and conversations: every endorsement (newest first, with its
text, whether it counts towards a mentored unlock, withdrawals and revocations), each revocable with
a reason that the endorsement row and the event log keep; a task's conversation, read only on a
claim or a dispute with a recorded reason; and the audit of those reads."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlmodel import col, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from api.console import bp
from api.platform import unit_of_work
from api.web.sign_in import signed_in, web_requires
from marketplace.accounts.models import User
from marketplace.conversations.messages import operator_reads, thread
from marketplace.errors import DomainError
from marketplace.network.endorsements import all_endorsements, revoke
from marketplace.tasks.models import Task
from marketplace.tasks.reader_clock import reader_region


@bp.app_template_global()
def first_region(tasker_id: int) -> str:
    """The region on whose clock the console shows a tasker's doings (an endorsement they hold, a
    tip they wrote): their reader's region, or "" when they have none (then `local_time` says UTC).
    Looked up once per tasker a request."""
    known: dict[int, str] = g.setdefault("first_regions", {})
    if tasker_id not in known:
        with unit_of_work() as unit:
            tasker = unit.session.get(User, tasker_id)
            known[tasker_id] = reader_region(unit.session, tasker) if tasker is not None else ""
    return known[tasker_id]


class RevokeForm(FlaskForm):
    reason = StringField("Why it is revoked (kept in the audit)", validators=[DataRequired(), Length(max=300)])


def _page(form: RevokeForm, failed: int | None = None, status: int = 200):
    with unit_of_work() as unit:
        rows, total = all_endorsements(unit.session, 200)
    return (
        render_template(
            "console/endorsements.html", rows=rows, total=total, form=form, failed=failed, user=signed_in()
        ),
        status,
    )


@bp.get("/endorsements")
@web_requires("operator")
def endorsements():
    return _page(RevokeForm())


@bp.post("/endorsements/<int:endorsement_id>/revoke")
@web_requires("operator")
def revoke_endorsement(endorsement_id: int):
    form = RevokeForm()
    if not form.validate_on_submit():
        return _page(form, endorsement_id, 422)
    try:
        with unit_of_work() as unit:
            revoke(unit, signed_in(), endorsement_id, form.reason.data)
            unit.commit()
    except DomainError as exc:
        flash(exc.message)
    else:
        flash(f"Endorsement {endorsement_id} is revoked; a mentored unlock that rested on it closes.")
    return redirect(url_for("console.endorsements")), 303


class ReadForm(FlaskForm):
    reason = StringField("Why you read it (recorded)", validators=[DataRequired(), Length(max=300)])


@bp.post("/disputes/<int:task_id>/conversation")
@web_requires("operator")
def read_conversation(task_id: int):
    """An operator reads a task's conversation: only on a task with a claim or a dispute, with a
    reason; the read is recorded and listed under Conversation reads."""
    form = ReadForm()
    if not form.validate_on_submit():
        flash("Say why you read this conversation: it is recorded.")
        return redirect(url_for("console.disputes")), 303
    try:
        with unit_of_work() as unit:
            view = thread(unit.session, signed_in(), task_id, form.reason.data)
            unit.commit()
    except DomainError as exc:
        flash(exc.message)
        return redirect(url_for("console.disputes")), 303
    return render_template("console/conversation.html", thread=view, task_id=task_id, user=signed_in())


@bp.get("/conversation-reads")
@web_requires("operator")
def conversation_reads():
    with unit_of_work() as unit:
        rows = operator_reads(unit.session)
        ids = {r["task_id"] for r in rows}
        found = unit.session.exec(select(Task.id, Task.region).where(col(Task.id).in_(ids))).all() if ids else []
        regions = dict(found)
    for r in rows:  # each read on the clock of its task's region
        r["region"] = regions.get(r["task_id"], "")
    return render_template("console/conversation_reads.html", rows=rows, user=signed_in())
