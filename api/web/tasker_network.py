"""A tasker's network on the web: hand-off offers in and out, connections (requests, accept,
block) and endorsements. The same use cases as the JSON API; every refusal is flashed in the
domain's words on the page the tasker came from, and an offer or endorsement that is not theirs is
a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from sqlmodel import col, select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from api.platform import platform, unit_of_work
from api.web.forms import one_line
from api.web.sign_in import safe_next, signed_in, web_requires
from api.web.site import bp, endpoint_exists, render_page
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import DomainError, Invalid, NotFound
from marketplace.floors.models import Category
from marketplace.network import blocking
from marketplace.network import connections as conn
from marketplace.network import endorsements as endo
from marketplace.network import handoffs as hand

__all__ = ["bp"]

TASKER = "tasker"
T = TypeVar("T")


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class DeclineOfferForm(FlaskForm):
    reason = StringField(
        "Why not (optional; the tasker who offered it reads it)",
        validators=[Optional(), Length(max=300), one_line],
    )


class EndorseForm(FlaskForm):
    category = SelectField("Category", validators=[DataRequired()])
    text = TextAreaField("What you vouch for (plain text)", validators=[DataRequired(), Length(max=endo.MAX_TEXT)])


def _window():
    return platform().policy.priority_window


def _names(session, ids) -> dict[int, str]:
    ids = sorted(set(ids))
    return dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all()) if ids else {}


def _button_pressed() -> None:
    """A button's form carries nothing but its CSRF token; without a valid one nothing is done."""
    if not ActionForm().validate_on_submit():
        abort(400, description="The form was incomplete or expired; reload the page and try again.")


def _work_url(task_id: int) -> str:
    """The page of a task the tasker holds (the work pages own it; the path is fixed either way)."""
    return url_for("web.work_page", task_id=task_id) if endpoint_exists("web.work_page") else f"/work/{task_id}"


def _run(action: Callable[[UnitOfWork], T]) -> T | DomainError:
    """Run a use case in its own unit of work and commit it; a refusal is returned, not raised."""
    try:
        with unit_of_work() as unit:
            result = action(unit)
            unit.commit()
    except DomainError as exc:
        return exc
    return result


# Hand-off offers.


@bp.get("/handoffs")
@web_requires(TASKER)
def handoffs():
    """Offers to me (open ones first, with their deadline) and from me (Withdraw for open ones)."""
    with unit_of_work() as unit:
        offers = hand.offers_view(unit.session, signed_in().id, utcnow())
    return render_page("web/handoffs.html", offers=offers, action_form=ActionForm())


def _offer_page(offer_id: int, status: int = 200, decline_form: DeclineOfferForm | None = None):
    with unit_of_work() as unit:
        try:
            view = hand.offer_view(unit.session, signed_in(), offer_id, _window(), utcnow())
        except NotFound as exc:
            abort(404, description=exc.message)
    return render_page(
        "web/handoff.html",
        status,
        view=view,
        action_form=ActionForm(),
        decline_form=decline_form or DeclineOfferForm(),
        work_url=_work_url(view["task"]["id"]),
    )


@bp.get("/handoffs/<int:offer_id>")
@web_requires(TASKER)
def handoff_page(offer_id: int):
    """One offer, for the tasker it is made to (Accept, Decline) or the one who made it (Withdraw)."""
    return _offer_page(offer_id)


def _after_offer_action(offer_id: int, outcome: object | DomainError, done: str, to: str | None = None):
    if isinstance(outcome, NotFound):
        abort(404, description=outcome.message)
    if isinstance(outcome, DomainError):
        flash(outcome.message)
        return redirect(url_for("web.handoff_page", offer_id=offer_id)), 303
    flash(done)
    return redirect(to or url_for("web.handoff_page", offer_id=offer_id)), 303


@bp.post("/handoffs/<int:offer_id>/accept")
@web_requires(TASKER)
def accept_offer(offer_id: int):
    _button_pressed()
    peer, window = signed_in(), _window()
    outcome = _run(lambda unit: hand.accept_handoff(unit, peer, offer_id, window).id)
    to = _work_url(outcome) if isinstance(outcome, int) else None
    return _after_offer_action(offer_id, outcome, "The task is yours now, at the same price.", to)


@bp.post("/handoffs/<int:offer_id>/decline")
@web_requires(TASKER)
def decline_offer(offer_id: int):
    form = DeclineOfferForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400, description="The form was incomplete or expired; reload the page and try again.")
        return _offer_page(offer_id, 422, form)
    peer, reason = signed_in(), form.reason.data or ""
    outcome = _run(lambda unit: hand.decline_handoff(unit, peer, offer_id, reason))
    if isinstance(outcome, Invalid):
        form.reason.errors = [m for ms in outcome.errors.values() for m in ms] or [outcome.message]
        return _offer_page(offer_id, 422, form)
    return _after_offer_action(offer_id, outcome, "Declined. The tasker who offered it is told.")


@bp.post("/handoffs/<int:offer_id>/withdraw")
@web_requires(TASKER)
def withdraw_offer(offer_id: int):
    _button_pressed()
    tasker = signed_in()
    outcome = _run(lambda unit: hand.withdraw_handoff(unit, tasker, offer_id))
    return _after_offer_action(offer_id, outcome, "Withdrawn: the offer is closed.")


# Connections and blocks.


@bp.get("/network")
@web_requires(TASKER)
def network():
    """Connections, requests in and out, blocks, and endorsements received and given."""
    me = signed_in().id
    with unit_of_work() as unit:
        view = conn.connections_view(unit.session, me)
        blocked = _names(unit.session, view["blocked"])
        received = endo.endorsements_for(unit.session, me)
        given = endo.endorsements_given(unit.session, me)
    return render_page(
        "web/network.html",
        view=view,
        blocked=[{"id": i, "display_name": blocked.get(i, "")} for i in view["blocked"]],
        received=received,
        given=given,
        action_form=ActionForm(),
    )


def _back(fallback: str) -> str:
    """Back to the page the button was on (a profile, or the network page)."""
    return safe_next(request.form.get("next"), fallback)


def _connection_action(
    tasker_id: int, action: Callable[[UnitOfWork, User, int], T], done: Callable[[T, str], str], anchor: str = ""
):
    _button_pressed()
    me = signed_in()
    outcome = _run(lambda unit: action(unit, me, tasker_id))
    if isinstance(outcome, DomainError):
        flash(outcome.message)
    else:
        with unit_of_work() as unit:
            name = _names(unit.session, [tasker_id]).get(tasker_id) or f"tasker {tasker_id}"
        flash(done(outcome, name))
    return redirect(_back(url_for("web.network") + anchor)), 303


@bp.post("/network/<int:tasker_id>/connect")
@web_requires(TASKER)
def connect(tasker_id: int):
    return _connection_action(
        tasker_id,
        conn.request_connection,
        lambda row, name: f"You are now connected with {name}."
        if row.is_accepted  # they had asked first: asking back accepts
        else f"Request sent: {name} can accept it from their network page.",
    )


@bp.post("/network/<int:tasker_id>/accept")
@web_requires(TASKER)
def accept_connection(tasker_id: int):
    return _connection_action(
        tasker_id, conn.accept_connection, lambda _, name: f"You are now connected with {name}.", "#requests"
    )


@bp.post("/network/<int:tasker_id>/decline")
@web_requires(TASKER)
def decline_connection(tasker_id: int):
    return _connection_action(
        tasker_id, conn.decline_connection, lambda _, name: f"Declined {name}'s request.", "#requests"
    )


@bp.post("/network/<int:tasker_id>/remove")
@web_requires(TASKER)
def remove_connection(tasker_id: int):
    return _connection_action(
        tasker_id, conn.remove_connection, lambda _, name: f"You and {name} are no longer connected (or asking)."
    )


@bp.post("/network/<int:tasker_id>/block")
@web_requires(TASKER)
def block(tasker_id: int):
    return _connection_action(
        tasker_id,
        blocking.block,
        lambda _, name: f"Blocked {name}: no requests, hand-off offers or endorsements between you.",
    )


@bp.post("/network/<int:tasker_id>/unblock")
@web_requires(TASKER)
def unblock(tasker_id: int):
    return _connection_action(tasker_id, conn.unblock, lambda _, name: f"Unblocked {name}.")


# Endorsements, given from the other tasker's public profile.


def profile_panel(session, viewer: User | None, tasker_id: int, endorse_form: EndorseForm | None = None) -> dict:
    """What a signed-in tasker sees on another tasker's profile: where the two stand (Connect,
    Request sent, Accept, Connected, Block), and the Endorse form when `endorse` would take it."""
    if viewer is None or viewer.role != TASKER or viewer.id == tasker_id:
        return {"standing": None}
    categories = endo.endorsable_categories(session, viewer.id, tasker_id)
    form = endorse_form or EndorseForm()
    names = {c.slug: c.name for c in session.exec(select(Category))}
    form.category.choices = [SelectChoice(c, names.get(c, c)) for c in categories]
    return {
        "standing": conn.relationship(session, viewer.id, tasker_id),
        "endorsable": categories,
        "endorse_form": form,
        "action_form": ActionForm(),
        "min_to_endorse": endo.MIN_COMPLETED_TO_ENDORSE,
    }


@bp.post("/taskers/<int:tasker_id>/endorse")
@web_requires(TASKER)
def endorse(tasker_id: int):
    from api.web.community import profile_page  # community imports this module's profile_panel

    form = EndorseForm()
    with unit_of_work() as unit:  # any category is taken here; `endorse` says why one is refused
        form.category.choices = [SelectChoice(slug, slug) for slug in unit.session.exec(select(Category.slug))]
    if not form.validate_on_submit():
        return profile_page(tasker_id, 422, form)
    me, cap = signed_in(), platform().policy.mentor_monthly_cap
    category, text = form.category.data, form.text.data
    outcome = _run(lambda unit: endo.endorse(unit, me, tasker_id, category, text, cap))
    if isinstance(outcome, Invalid) and {"category", "text"} & set(outcome.errors):
        form.category.errors = list(outcome.errors.get("category", []))
        form.text.errors = list(outcome.errors.get("text", []))
        return profile_page(tasker_id, 422, form)
    if isinstance(outcome, NotFound):
        abort(404, description=outcome.message)
    back = url_for("web.tasker_profile", tasker_id=tasker_id) + "#endorsements"
    flash(outcome.message if isinstance(outcome, DomainError) else "Your endorsement is on their profile.")
    return redirect(back), 303


@bp.post("/endorsements/<int:endorsement_id>/withdraw")
@web_requires(TASKER)
def withdraw_endorsement(endorsement_id: int):
    _button_pressed()
    me = signed_in()
    outcome = _run(lambda unit: endo.withdraw(unit, me, endorsement_id))
    if isinstance(outcome, NotFound):
        abort(404, description=outcome.message)
    flash(outcome.message if isinstance(outcome, DomainError) else "Withdrawn: it no longer shows on their profile.")
    return redirect(_back(url_for("web.network") + "#endorsements")), 303
