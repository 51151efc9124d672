"""The operators' console, second half: the pipeline (every consumer group's lag, the dead letters
with their reasons, and a replay per topic) and the tips to moderate (newest first, with their
votes, each hidden with a reason that the audit keeps)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlmodel import col, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from api.console import bp
from api.platform import platform, unit_of_work
from api.web.sign_in import signed_in, web_requires
from events.dlq import list_dead_letters, replay_dead_letters
from events.outages import describe
from events.tables import ProcessedEvent
from events.topics import CONSUMER_GROUPS, TOPICS
from marketplace.accounts.models import User
from marketplace.community.models import BoardEntry, Tip
from marketplace.community.tips import hide_tip
from marketplace.errors import DomainError


class ReplayForm(FlaskForm):
    """Only the CSRF token: the topic is in the URL."""


class HideForm(FlaskForm):
    reason = StringField("Why it is hidden (kept in the audit)", validators=[DataRequired(), Length(max=300)])


def _pipeline_view() -> dict:
    transport = platform().transport
    problem = None
    groups, letters = [], {}
    try:
        for group, topics in CONSUMER_GROUPS.items():
            lag = transport.lag(group, list(topics))
            groups.append({"group": group, "topics": [(t, lag.get(t, 0)) for t in topics], "total": sum(lag.values())})
        letters = {topic: list_dead_letters(transport, topic) for topic in TOPICS}
    except Exception as exc:  # noqa: BLE001 - the page says what it could not read instead of failing
        problem = describe(exc)
    replayed: set[tuple[str, str]] = set()
    ids = [letter.dlq_event_id for found in letters.values() for letter in found]
    if ids:
        with unit_of_work() as unit:
            rows = unit.session.exec(
                select(ProcessedEvent.consumer, ProcessedEvent.event_id).where(col(ProcessedEvent.event_id).in_(ids))
            )
            replayed = {(consumer, event_id) for consumer, event_id in rows}
    dead = [
        {
            "topic": topic,
            "letters": found,
            "waiting": [x for x in found if (f"dlq-replay:{topic}", x.dlq_event_id) not in replayed],
        }
        for topic, found in letters.items()
        if found
    ]
    return {"groups": groups, "dead": dead, "replayed": replayed, "problem": problem, "transport": transport.name}


@bp.get("/pipeline")
@web_requires("operator")
def pipeline():
    return render_template("console/pipeline.html", form=ReplayForm(), user=signed_in(), **_pipeline_view())


@bp.post("/pipeline/<topic>/replay")
@web_requires("operator")
def replay(topic: str):
    if topic not in TOPICS:
        flash(f"No topic {topic[:64]!r}.")
        return redirect(url_for("console.pipeline")), 303
    if not ReplayForm().validate_on_submit():
        flash("The form was incomplete or expired; reload the page and try again.")
        return redirect(url_for("console.pipeline")), 303
    result = replay_dead_letters(platform().transport, unit_of_work, topic)
    flash(
        f"{topic}: {result.replayed} dead letter(s) put back on the topic, {result.already_replayed} already "
        f"replayed, {result.undecodable} undecodable (left in the DLQ)."
    )
    return redirect(url_for("console.pipeline")), 303


def _tips(limit: int = 100) -> list[dict]:
    with unit_of_work() as unit:
        rows = unit.session.exec(
            select(Tip, User.display_name, BoardEntry.helpful, BoardEntry.unhelpful)
            .join(User, col(User.id) == Tip.author_id)
            .outerjoin(BoardEntry, col(BoardEntry.tip_id) == Tip.id)
            .order_by(col(Tip.created_at).desc(), col(Tip.id).desc())
            .limit(limit)
        ).all()
    return [
        {"tip": tip, "author": name, "helpful": helpful or 0, "unhelpful": unhelpful or 0}
        for tip, name, helpful, unhelpful in rows
    ]


@bp.get("/tips")
@web_requires("operator")
def tips():
    return render_template("console/tips.html", rows=_tips(), form=HideForm(), user=signed_in())


@bp.post("/tips/<int:tip_id>/hide")
@web_requires("operator")
def hide(tip_id: int):
    form = HideForm()
    if not form.validate_on_submit():
        return render_template("console/tips.html", rows=_tips(), form=form, user=signed_in(), failed=tip_id), 422
    try:
        with unit_of_work() as unit:
            hide_tip(unit, signed_in(), tip_id, form.reason.data)
            unit.commit()
    except DomainError as exc:
        flash(exc.message)
    else:
        flash(f"Tip {tip_id} is hidden from its board.")
    return redirect(url_for("console.tips")), 303
