"""What can be posted and what it costs: categories, current floors, and quote previews."""

from __future__ import annotations

from flask.views import MethodView
from sqlmodel import col, select

from api.input import Blueprint
from api.platform import unit_of_work
from api.rest.catalog_schemas import EXAMPLES, CategoryArgsSchema, CategorySchema, QuoteRequestSchema
from api.rest.floors import floor_reference
from api.rest.tasks_schemas import QuoteSchema
from marketplace.floors.models import Category
from marketplace.floors.published import floor_version
from marketplace.tasks.pricing_stage import offer_notes, preview_quote

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Categories and quote previews")


@blp.route("/categories")
class Categories(MethodView):
    @blp.arguments(CategoryArgsSchema, location="query")
    @blp.response(200, CategorySchema(many=True))
    def get(self, args):
        """List the categories tasks can be posted in (optionally one level: general, skilled, licensed)"""
        query = select(Category).order_by(col(Category.slug))
        if args.get("level"):
            query = query.where(col(Category.level) == args["level"])
        with unit_of_work() as unit:
            return list(unit.session.exec(query))


@blp.route("/quotes")
class Quotes(MethodView):
    @blp.arguments(QuoteRequestSchema, example=EXAMPLES[QuoteRequestSchema])
    @blp.response(200, QuoteSchema)
    def post(self, data):
        """Preview a price now, computed by the same engine that prices postings"""
        with unit_of_work() as unit:
            session = unit.session
            result = preview_quote(
                session, data["category"], data["region"], data["estimated_minutes"], data["offered_rate"]
            )
            row = floor_version(session, data["category"], data["region"], result.rule_version)
            notes = offer_notes(data["offered_rate"], result)
            return {**result.as_dict(), "floor": floor_reference(row), "notes": notes}
