"""Operators' floors API: read the rules in force, change one (a new version, audited and
published on pricing.floors), read the history, and simulate a change on past postings."""

from __future__ import annotations

from flask import g, url_for
from flask.views import MethodView
from flask_smorest import abort

from api.auth import SECURITY, bearer_user, requires
from api.input import Blueprint
from api.platform import unit_of_work
from api.rest.floors_schemas import (
    EXAMPLES,
    FloorChangeSchema,
    FloorHistorySchema,
    FloorSchema,
    HistoryArgsSchema,
    PublishedFloorSchema,
    RegionArgsSchema,
    SimulateSchema,
    SimulationSchema,
)
from marketplace.floors.history import floor_history
from marketplace.floors.models import FloorRuleVersion, Region
from marketplace.floors.published import floor_versions, published_floors
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.market.simulation import ProposedFloor, simulate_proposals


def floor_reference(row: FloorRuleVersion | None) -> dict | None:
    """What a quote says of its floor: "version N, in force since ...", and the public page it is on."""
    if row is None:
        return None
    page = url_for("prices.region_page", region=row.region, _anchor=row.category)
    return {"version": row.version, "in_force_since": row.effective_from, "summary": row.summary, "page": page}


blp = Blueprint("floors", __name__, url_prefix="/api/v1/floors", description="Fee floors (operators)")


def _is_operator() -> bool:
    user = bearer_user()
    return user is not None and user.role == "operator"


@blp.route("")
class Floors(MethodView):
    @blp.arguments(RegionArgsSchema, location="query")
    @blp.response(200, PublishedFloorSchema(many=True))
    def get(self, args):
        """The published floors: the rule in force for every category (in one region, or all), with
        its public summary and the changes scheduled after it. Open to everyone; an operator's
        token adds each version's author and internal reason."""
        operator = _is_operator()  # before the unit of work: on SQLite it holds the write lock
        with unit_of_work() as unit:
            session = unit.session
            region = args.get("region")
            if region and session.get(Region, region) is None:
                abort(404, message=f"Unknown region {region!r}.")
            floors = published_floors(session, region)
            if operator:
                shown = [*floors, *(s for f in floors for s in f["scheduled"])]
                internal = floor_versions(session, {(f["category"], f["region"], f["version"]) for f in shown})
                for floor in shown:
                    row = internal[floor["category"], floor["region"], floor["version"]]
                    floor.update(author=row.author, reason=row.reason)
        return floors


@blp.route("/<string:category>/<string:region>")
class FloorItem(MethodView):
    @requires("operator")
    @blp.arguments(FloorChangeSchema, example=EXAMPLES[FloorChangeSchema])
    @blp.response(201, FloorSchema)
    @blp.doc(security=SECURITY)
    def put(self, data, category: str, region: str):
        """Set a floor: creates a new version, now or at `effective_from`. A reason is required."""
        reason, effective_from, confirm = data.pop("reason"), data.pop("effective_from"), data.pop("confirm")
        summary = data.pop("summary")
        change = FloorChange(category, region, reason, data, effective_from, confirm, summary)
        with unit_of_work() as unit:
            row = set_floor(unit, change, g.user.id, g.user.email)
            unit.commit()
        return row


@blp.route("/history")
class FloorHistory(MethodView):
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, FloorHistorySchema(many=True))
    def get(self, args):
        """Every floor change, newest first (scheduled ones included): when it takes effect, its public
        summary, and each field's old and new value. Open to everyone; an operator's token adds who
        made each change and why."""
        operator = _is_operator()
        with unit_of_work() as unit:
            entries = floor_history(unit.session, args.get("category"), args.get("region"), args["limit"])
        if not operator:
            for entry in entries:
                del entry["author"], entry["reason"]
        return entries


@blp.route("/simulate")
class FloorSimulation(MethodView):
    @requires("operator")
    @blp.arguments(SimulateSchema, example=EXAMPLES[SimulateSchema])
    @blp.response(200, SimulationSchema)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """What-if: replay the last `days` of postings under the proposed floors, old against new"""
        proposals = [
            ProposedFloor(category=c.pop("category"), region=c.pop("region"), values=c) for c in data["changes"]
        ]
        with unit_of_work() as unit:
            result = simulate_proposals(unit.session, proposals, data["days"])
        return {"days": data["days"], "postings": result.postings, "categories": result.rows()}
