"""Pages everyone reads: the tips boards and taskers' public profiles."""

from __future__ import annotations

from flask import abort, request
from sqlmodel import col, select

from api.input import whole_number
from api.platform import unit_of_work
from api.web.questions import QuestionForm
from api.web.sign_in import safe_next, web_user
from api.web.site import bp, render_page
from api.web.tasker_network import EndorseForm, profile_panel
from marketplace.community.boards import board_page
from marketplace.community.guides import top_guides
from marketplace.community.questions import board_questions
from marketplace.community.tips import tips_by
from marketplace.floors.models import Category
from marketplace.network.connections import network_summary
from marketplace.network.endorsements import endorsements_for
from marketplace.taskers.profile import public_reputation
from marketplace.tasks.rebooking import worked_together
from marketplace.tasks.reviews import reviews_of


@bp.get("/boards")
def boards():
    with unit_of_work() as unit:
        categories = unit.session.exec(select(Category).order_by(col(Category.name))).all()
    return render_page("web/boards.html", categories=categories)


@bp.get("/boards/<category>")
def board(category: str):
    page = whole_number(request.args.get("page"), 99_999) or 1
    with unit_of_work() as unit:
        cat = unit.session.get(Category, category)
        if cat is None:
            abort(404, description=f"No board {category!r}.")
        view = board_page(unit.session, category, page, 20)
        questions = board_questions(unit.session, category, 1, 20)
        guides = top_guides(unit.session, category, 5)
    return render_page(
        "web/board.html", category=cat, board=view, questions=questions, guides=guides, ask_form=QuestionForm()
    )


@bp.get("/taskers/<int:tasker_id>")
def tasker_profile(tasker_id: int):
    """A tasker's public profile: tier, rating, reliability and categories, the tips they wrote,
    the endorsements they hold, how many connections they have, and (to a signed-in tasker) the
    connections you share, where you stand with them, and the Endorse form."""
    return profile_page(tasker_id, back=back_from(request.args.get("from")))


def back_from(target: str | None) -> dict | None:
    """The way back to the page a profile was opened from (`?from=`, a same-site path only), and
    what to call it: a task, the offers, or the page before."""
    path = safe_next(target, "")
    if not path or path.startswith(("/taskers/", "/login")):
        return None
    if path.startswith(("/work/", "/tasks/")):
        said = "Back to the task"
    elif path.startswith("/handoffs"):
        said = "Back to the offers" if path.rstrip("/") == "/handoffs" else "Back to the offer"
    else:
        said = "Back"
    return {"path": path, "said": said}


def profile_page(tasker_id: int, status: int = 200, endorse_form: EndorseForm | None = None, back: dict | None = None):
    """The profile page; `endorse_form` is a refused endorsement, shown again with its errors."""
    viewer = web_user()  # looked up before the unit of work: SQLite takes one writer at a time
    with unit_of_work() as unit:
        reputation = public_reputation(unit.session, tasker_id)
        tips = tips_by(unit.session, tasker_id)
        reviews = reviews_of(unit.session, tasker_id)
        network = network_summary(unit.session, tasker_id, viewer)
        endorsements = endorsements_for(unit.session, tasker_id)
        # A client this tasker worked for may book them again from here.
        rebook = viewer is not None and viewer.role == "client" and worked_together(unit.session, viewer.id, tasker_id)
        panel = profile_panel(unit.session, viewer, tasker_id, endorse_form)
    return render_page(
        "web/tasker.html",
        status,
        reputation=reputation,
        tips=tips,
        reviews=reviews,
        network=network,
        endorsements=endorsements,
        rebook=rebook,
        viewer=viewer,
        back=back,
        **panel,
    )
