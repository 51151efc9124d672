"""Market health for operators: a category's daily series in a region (its local days), and what
each floor change did (14 days before against 14 after, with the counts behind every figure)."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import SECURITY, requires
from api.input import Blueprint
from api.platform import platform, unit_of_work
from api.rest.market_schemas import FloorEffectSchema, MarketArgsSchema, MarketSeriesSchema
from marketplace.clock import utcnow
from marketplace.market import health

blp = Blueprint("market", __name__, url_prefix="/api/v1/market", description="Market health (operators)")


@blp.route("/series")
class Series(MethodView):
    @requires("operator")
    @blp.arguments(MarketArgsSchema, location="query")
    @blp.response(200, MarketSeriesSchema)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """A category's figures per local day in a region (default: the last 90 days), days without
        activity included, with the floor and the legal minimum in force each day. The console's
        market page exports the same series as CSV."""
        with unit_of_work() as unit:
            session = unit.session
            place = health.check_place(session, args["category"], args["region"])
            first, last = health.span(session, place.slug, args["first"], args["to"], utcnow())
            days = health.series(session, args["category"], place.slug, first, last)
        return {
            "category": args["category"],
            "region": place.slug,
            "timezone": place.timezone,
            "days": [d.figures() for d in days],
        }


@blp.route("/floor-changes")
class FloorChanges(MethodView):
    @requires("operator")
    @blp.arguments(MarketArgsSchema, location="query")
    @blp.response(200, FloorEffectSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The floor changes that took effect in the span (default: the last 90 local days), each
        with fill rate, time to accept and effective pay over the 14 local days before it and the
        14 from it. A difference over fewer tasks than FLOORBOARD_MARKET_TOO_FEW_TASKS on either
        side is marked too_few_tasks and not computed."""
        threshold = platform().policy.market_too_few_tasks
        with unit_of_work() as unit:
            session = unit.session
            place = health.check_place(session, args["category"], args["region"])
            first, last = health.span(session, place.slug, args["first"], args["to"], utcnow())
            changes = health.floor_changes(session, args["category"], place.slug, first, last, threshold)
        return [health.change_dict(c) for c in changes]
