"""Operators' floors API: read the rules in force, change one (a new version, audited and
published on pricing.floors), read the history, and simulate a change on past postings."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from sqlmodel import col, select

from api.auth import SECURITY, requires
from api.input import Blueprint
from api.platform import uow
from api.rest.floors_schemas import (
    FloorChangeSchema,
    FloorHistorySchema,
    FloorSchema,
    HistoryArgsSchema,
    RegionArgsSchema,
    SimulateSchema,
    SimulationSchema,
)
from marketplace.floors.history import floor_history
from marketplace.floors.models import Region
from marketplace.floors.simulation import ProposedFloor, simulate_proposals
from marketplace.floors.versions import FloorChange, rules_in_force, set_floor

blp = Blueprint("floors", __name__, url_prefix="/api/v1/floors", description="Fee floors (operators)")


@blp.route("")
class Floors(MethodView):
    @requires("operator")
    @blp.arguments(RegionArgsSchema, location="query")
    @blp.response(200, FloorSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The floor rule in force now for every category (in one region, or all)"""
        with uow() as unit:
            session = unit.session
            regions = list(session.exec(select(Region.slug).order_by(col(Region.slug))))
            if args.get("region"):
                if args["region"] not in regions:
                    abort(404, message=f"Unknown region {args['region']!r}.")
                regions = [args["region"]]
            in_force = rules_in_force(session)
        return [
            rule
            for (_, region), rule in sorted(in_force.items(), key=lambda kv: (kv[0][1], kv[0][0]))
            if region in regions
        ]


@blp.route("/<string:category>/<string:region>")
class FloorItem(MethodView):
    @requires("operator")
    @blp.arguments(FloorChangeSchema)
    @blp.response(201, FloorSchema)
    @blp.doc(security=SECURITY)
    def put(self, data, category: str, region: str):
        """Set a floor: creates a new version, now or at `effective_from`. A reason is required."""
        reason, effective_from, confirm = data.pop("reason"), data.pop("effective_from"), data.pop("confirm")
        with uow() as unit:
            row = set_floor(
                unit, FloorChange(category, region, reason, data, effective_from, confirm), g.user.id, g.user.email
            )
            unit.commit()
        return row


@blp.route("/history")
class FloorHistory(MethodView):
    @requires("operator")
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, FloorHistorySchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Every floor change, newest first: who, when, why, and old value to new value"""
        with uow() as unit:
            return floor_history(unit.session, args.get("category"), args.get("region"), args["limit"])


@blp.route("/simulate")
class FloorSimulation(MethodView):
    @requires("operator")
    @blp.arguments(SimulateSchema)
    @blp.response(200, SimulationSchema)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """What-if: replay the last `days` of postings under the proposed floors, old against new"""
        proposals = [
            ProposedFloor(category=c.pop("category"), region=c.pop("region"), values=c) for c in data["changes"]
        ]
        with uow() as unit:
            result = simulate_proposals(unit.session, proposals, data["days"])
        return {"days": data["days"], "postings": result.postings, "categories": result.rows()}
