"""Questions, answers and guides on the boards, on the web: everyone reads them; taskers ask, answer and
vote; the asker marks the answer that helped; operators hide a question or an answer with a
reason. Every form is a POST with its CSRF token that lands back on the question's page."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from api.limits import tips_limit
from api.platform import unit_of_work
from api.web.sign_in import signed_in, web_requires, web_user
from api.web.site import bp, render_page
from marketplace.community.guides import guide_page, mark_helpful
from marketplace.community.models import Answer
from marketplace.community.questions import (
    accept_answer,
    answer_question,
    ask_question,
    hide_answer,
    hide_question,
    question_page,
    vote_answer,
)
from marketplace.errors import DomainError, NotFound
from marketplace.floors.models import Category


class QuestionForm(FlaskForm):
    title = StringField("Your question, in a line", validators=[DataRequired(), Length(max=120)])
    body = TextAreaField("The details (Markdown)", validators=[DataRequired(), Length(max=5000)])


class AnswerForm(FlaskForm):
    body = TextAreaField("Your answer (Markdown)", validators=[DataRequired(), Length(max=5000)])


class VoteForm(FlaskForm):
    # Sent by the button pressed (name="helpful", value yes or no). Not a hidden field: hidden_tag()
    # would render it empty before the buttons, and that empty value is the one a view reads first.
    helpful = SelectField(
        choices=[SelectChoice("yes", "Helpful"), SelectChoice("no", "Not helpful")], validators=[DataRequired()]
    )


class AcceptForm(FlaskForm):
    pass


class HideForm(FlaskForm):
    reason = StringField("Why it is hidden (kept)", validators=[DataRequired(), Length(max=300)])


def _thread(question_id: int, answer_form: AnswerForm | None = None, status: int = 200):
    viewer = web_user()  # before the unit of work: SQLite takes one writer at a time
    try:
        with unit_of_work() as unit:
            thread = question_page(unit.session, question_id, viewer)
            category = unit.session.get(Category, thread["category"])
    except NotFound as exc:
        abort(404, description=exc.message)
    return render_page(
        "web/question.html",
        status,
        thread=thread,
        category=category,
        viewer=viewer,
        answer_form=answer_form or AnswerForm(),
        vote_form=VoteForm(),
        accept_form=AcceptForm(),
        hide_form=HideForm(),
    )


@bp.get("/questions/<int:question_id>")
def question(question_id: int):
    return _thread(question_id)


@bp.post("/boards/<category>/questions")
@web_requires("tasker")
@tips_limit
def ask(category: str):
    form = QuestionForm()
    if not form.validate_on_submit():
        flash("A question needs a title (at most 120 characters) and details (at most 5,000).")
        return redirect(url_for("web.board", category=category) + "#ask"), 303
    try:
        with unit_of_work() as unit:
            asked = ask_question(unit, signed_in(), category, form.title.data, form.body.data)
            unit.commit()
            question_id = asked.id
    except DomainError as exc:
        flash(exc.message)
        return redirect(url_for("web.boards")), 303
    flash("Your question is on the board.")
    return redirect(url_for("web.question", question_id=question_id)), 303


@bp.post("/questions/<int:question_id>/answers")
@web_requires("tasker")
@tips_limit
def answer(question_id: int):
    form = AnswerForm()
    if not form.validate_on_submit():
        return _thread(question_id, form, 422)
    user, body = signed_in(), form.body.data
    return _act(
        lambda unit: answer_question(unit, user, question_id, body),
        "Your answer is posted.",
        url_for("web.question", question_id=question_id),
    )


def _act(act, done: str, back: str):
    """Run `act(unit)` in a unit of work of its own and commit it; say what happened (or why it
    was refused), and go back to `back`. Something that does not exist is a 404."""
    try:
        with unit_of_work() as unit:
            act(unit)
            unit.commit()
    except NotFound as exc:
        abort(404, description=exc.message)
    except DomainError as exc:
        flash(exc.message)
    else:
        flash(done)
    return redirect(back), 303


def _answer_action(answer_id: int, act, done: str):
    """Run `act(unit)` on an answer and go back to its question's page."""
    with unit_of_work() as unit:
        found = unit.session.get(Answer, answer_id)
        question_id = found.question_id if found is not None else None
    if question_id is None:
        abort(404, description=f"No answer {answer_id}.")
    return _act(act, done, url_for("web.question", question_id=question_id) + f"#answer-{answer_id}")


@bp.post("/answers/<int:answer_id>/vote")
@web_requires("tasker")
def vote(answer_id: int):
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400, description="Vote with the Helpful or Not helpful button (reload the page if the form expired).")
    helpful = form.helpful.data == "yes"
    user = signed_in()
    return _answer_action(answer_id, lambda unit: vote_answer(unit, user, answer_id, helpful), "Thanks for your vote.")


@bp.post("/answers/<int:answer_id>/accept")
@web_requires("tasker")
def accept(answer_id: int):
    if not AcceptForm().validate_on_submit():
        abort(400, description="The form expired: reload the page.")
    user = signed_in()
    return _answer_action(
        answer_id, lambda unit: accept_answer(unit, user, answer_id), "Marked as the answer that helped you."
    )


@bp.post("/console/answers/<int:answer_id>/hide")
@web_requires("operator")
def hide_an_answer(answer_id: int):
    form = HideForm()
    if not form.validate_on_submit():
        abort(400, description="Say why it is hidden.")
    user, reason = signed_in(), form.reason.data
    return _answer_action(answer_id, lambda unit: hide_answer(unit, user, answer_id, reason), "The answer is hidden.")


@bp.post("/console/questions/<int:question_id>/hide")
@web_requires("operator")
def hide_a_question(question_id: int):
    form = HideForm()
    if not form.validate_on_submit():
        abort(400, description="Say why it is hidden.")
    user, reason = signed_in(), form.reason.data
    return _act(
        lambda unit: hide_question(unit, user, question_id, reason),
        f"Question {question_id} is hidden from its board.",
        url_for("web.question", question_id=question_id),
    )


@bp.get("/guides/<int:guide_id>")
def guide(guide_id: int):
    viewer = web_user()
    try:
        with unit_of_work() as unit:
            view = guide_page(unit.session, guide_id)
            category = unit.session.get(Category, view["category"])
    except NotFound as exc:
        abort(404, description=exc.message)
    return render_page("web/guide.html", guide=view, category=category, viewer=viewer, form=AcceptForm())


@bp.post("/guides/<int:guide_id>/helpful")
@web_requires("tasker")
def guide_helpful(guide_id: int):
    if not AcceptForm().validate_on_submit():
        abort(400, description="The form expired: reload the page.")
    user = signed_in()
    return _act(
        lambda unit: mark_helpful(unit, user, guide_id),
        "Marked helpful. Thank you.",
        url_for("web.guide", guide_id=guide_id),
    )
