"""Tips boards: read a category's board (anyone), post and vote (taskers), hide (operators)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView

from api.auth import SECURITY, requires
from api.input import Blueprint
from api.limits import tips_limit
from api.platform import unit_of_work
from api.rest.boards_schemas import (
    EXAMPLES,
    BoardArgsSchema,
    BoardSchema,
    HideSchema,
    TipCreateSchema,
    TipSchema,
    VoteCreateSchema,
    VoteSchema,
)
from marketplace.community.boards import board_page
from marketplace.community.tips import hide_tip, post_tip, vote_tip

blp = Blueprint("boards", __name__, url_prefix="/api/v1", description="Tips boards, one per category")


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
