"""Tips boards: read a category's board (anyone), post and vote (taskers), hide (operators)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort

from api.auth import SECURITY, bearer_user, requires
from api.input import Blueprint
from api.limits import tips_limit
from api.platform import unit_of_work
from api.rest.boards_schemas import (
    EXAMPLES,
    AnswerCreateSchema,
    AnswerSchema,
    AnswerVoteSchema,
    BoardArgsSchema,
    BoardQuestionsSchema,
    BoardSchema,
    GuideCreateSchema,
    GuideSchema,
    GuideSummarySchema,
    GuideVoteSchema,
    HideSchema,
    QuestionCreateSchema,
    QuestionSchema,
    QuestionThreadSchema,
    TipCreateSchema,
    TipSchema,
    VoteCreateSchema,
    VoteSchema,
)
from marketplace.community.boards import board_page
from marketplace.community.guides import create_guide, guide_page, mark_helpful, top_guides
from marketplace.community.questions import (
    accept_answer,
    answer_question,
    ask_question,
    board_questions,
    hide_answer,
    hide_question,
    question_page,
    vote_answer,
)
from marketplace.community.tips import hide_tip, post_tip, vote_tip
from marketplace.floors.models import Category

blp = Blueprint(
    "boards", __name__, url_prefix="/api/v1", description="Tips boards and their questions, one per category"
)


@blp.route("/boards/<category>")
class Board(MethodView):
    @blp.arguments(BoardArgsSchema, location="query")
    @blp.response(200, BoardSchema)
    def get(self, args, category: str):
        """A category's board, best first: the Wilson lower bound of the helpful share, decayed with age"""
        with unit_of_work() as unit:
            return board_page(unit.session, category, args["page"], args["page_size"])


@blp.route("/boards/<category>/tips")
class BoardTips(MethodView):
    @requires("tasker")
    @blp.arguments(TipCreateSchema, example=EXAMPLES[TipCreateSchema])
    @blp.response(201, TipSchema)
    @blp.doc(security=SECURITY)
    @tips_limit
    def post(self, data, category: str):
        """Post a tip: a title (at most 120 characters) and a Markdown body (at most 5,000)"""
        with unit_of_work() as unit:
            tip = post_tip(unit, g.user, category, data["title"], data["body"])
            unit.commit()
            return tip


@blp.route("/tips/<int:tip_id>/votes")
class TipVotes(MethodView):
    @requires("tasker")
    @blp.arguments(VoteCreateSchema, example=EXAMPLES[VoteCreateSchema])
    @blp.response(201, VoteSchema)
    @blp.alt_response(409, description="You have already voted on this tip")
    @blp.doc(security=SECURITY)
    def post(self, data, tip_id: int):
        """Vote a tip helpful or not: once per tip, never on your own"""
        with unit_of_work() as unit:
            vote = vote_tip(unit, g.user, tip_id, data["helpful"])
            unit.commit()
            return vote


@blp.route("/tips/<int:tip_id>/hide")
class HideTip(MethodView):
    @requires("operator")
    @blp.arguments(HideSchema, example=EXAMPLES[HideSchema])
    @blp.response(200, TipSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, tip_id: int):
        """Operators: hide a tip from its board, with a reason"""
        with unit_of_work() as unit:
            tip = hide_tip(unit, g.user, tip_id, data["reason"])
            unit.commit()
            return tip


@blp.route("/boards/<category>/questions")
class BoardQuestions(MethodView):
    @blp.arguments(BoardArgsSchema, location="query")
    @blp.response(200, BoardQuestionsSchema)
    def get(self, args, category: str):
        """A board's questions, newest first, each with its asker's tier and its answer count (anyone reads them)"""
        with unit_of_work() as unit:
            return board_questions(unit.session, category, args["page"], args["page_size"])

    @requires("tasker")
    @blp.arguments(QuestionCreateSchema, example=EXAMPLES[QuestionCreateSchema])
    @blp.response(201, QuestionSchema)
    @blp.doc(security=SECURITY)
    @tips_limit
    def post(self, data, category: str):
        """Ask the board a question: a title (at most 120 characters) and a Markdown body (at most 5,000)"""
        with unit_of_work() as unit:
            question = ask_question(unit, g.user, category, data["title"], data["body"])
            unit.commit()
            return question


@blp.route("/questions/<int:question_id>")
class QuestionItem(MethodView):
    @blp.response(200, QuestionThreadSchema)
    def get(self, question_id: int):
        """A question and its answers: the one that helped first, then by the Wilson lower bound of the helpful share"""
        user = bearer_user()  # before the unit of work: on SQLite it holds the write lock
        with unit_of_work() as unit:
            return question_page(unit.session, question_id, user)


@blp.route("/questions/<int:question_id>/answers")
class QuestionAnswers(MethodView):
    @requires("tasker")
    @blp.arguments(AnswerCreateSchema, example=EXAMPLES[AnswerCreateSchema])
    @blp.response(201, AnswerSchema)
    @blp.doc(security=SECURITY)
    @tips_limit
    def post(self, data, question_id: int):
        """Answer a question (Markdown, at most 5,000 characters)"""
        with unit_of_work() as unit:
            answer = answer_question(unit, g.user, question_id, data["body"])
            unit.commit()
            return answer


@blp.route("/answers/<int:answer_id>/votes")
class AnswerVotes(MethodView):
    @requires("tasker")
    @blp.arguments(VoteCreateSchema, example=EXAMPLES[VoteCreateSchema])
    @blp.response(201, AnswerVoteSchema)
    @blp.alt_response(409, description="You have already voted on this answer")
    @blp.doc(security=SECURITY)
    def post(self, data, answer_id: int):
        """Vote an answer helpful or not: once per answer, never on your own"""
        with unit_of_work() as unit:
            vote = vote_answer(unit, g.user, answer_id, data["helpful"])
            unit.commit()
            return vote


@blp.route("/answers/<int:answer_id>/accept")
class AcceptAnswer(MethodView):
    @requires("tasker")
    @blp.response(200, AnswerSchema)
    @blp.alt_response(409, description="You already marked an answer to this question")
    @blp.doc(security=SECURITY)
    def post(self, answer_id: int):
        """The asker marks the answer that helped (once per question; it adds to its author's karma)"""
        with unit_of_work() as unit:
            answer = accept_answer(unit, g.user, answer_id)
            unit.commit()
            return answer


@blp.route("/questions/<int:question_id>/hide")
class HideQuestion(MethodView):
    @requires("operator")
    @blp.arguments(HideSchema, example=EXAMPLES[HideSchema])
    @blp.response(200, QuestionSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, question_id: int):
        """Operators: hide a question (and so its answers) from its board, with a reason"""
        with unit_of_work() as unit:
            question = hide_question(unit, g.user, question_id, data["reason"])
            unit.commit()
            return question


@blp.route("/answers/<int:answer_id>/hide")
class HideAnswer(MethodView):
    @requires("operator")
    @blp.arguments(HideSchema, example=EXAMPLES[HideSchema])
    @blp.response(200, AnswerSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, answer_id: int):
        """Operators: hide an answer, with a reason"""
        with unit_of_work() as unit:
            answer = hide_answer(unit, g.user, answer_id, data["reason"])
            unit.commit()
            return answer


@blp.route("/boards/<category>/guides")
class BoardGuides(MethodView):
    @blp.response(200, GuideSummarySchema(many=True))
    def get(self, category: str):
        """A board's guides, most marked helpful first (anyone reads them)"""
        with unit_of_work() as unit:
            if unit.session.get(Category, category) is None:
                abort(404, message=f"No board {category!r}.")
            return top_guides(unit.session, category, 50)

    @requires("tasker")
    @blp.arguments(GuideCreateSchema, example=EXAMPLES[GuideCreateSchema])
    @blp.response(201, GuideSchema)
    @blp.doc(security=SECURITY)
    @tips_limit
    def post(self, data, category: str):
        """Assemble a guide (elite or trusted taskers in the category): a title, an introduction and,
        in order, tips on this board and accepted answers to its questions"""
        items = [(item["kind"], item["id"]) for item in data["items"]]
        with unit_of_work() as unit:
            guide = create_guide(unit, g.user, category, data["title"], data["intro"], items)
            unit.commit()
            return guide_page(unit.session, guide.id)


@blp.route("/guides/<int:guide_id>")
class GuideItemView(MethodView):
    @blp.response(200, GuideSchema)
    def get(self, guide_id: int):
        """A guide with its tips and answers in order, each credited to its author"""
        with unit_of_work() as unit:
            return guide_page(unit.session, guide_id)


@blp.route("/guides/<int:guide_id>/helpful")
class GuideHelpful(MethodView):
    @requires("tasker")
    @blp.response(201, GuideVoteSchema)
    @blp.alt_response(409, description="You have already marked it")
    @blp.doc(security=SECURITY)
    def post(self, guide_id: int):
        """Mark a guide helpful: once, never your own"""
        with unit_of_work() as unit:
            vote = mark_helpful(unit, g.user, guide_id)
            unit.commit()
            return vote
