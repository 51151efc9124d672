"""What can be posted and what it costs: categories, current floors, and quote previews."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import select

from api.platform import uow
from api.schemas import CategorySchema, QuoteRequestSchema, QuoteSchema
from marketplace.floors import current_rule
from marketplace.models import Category
from marketplace.tasks import DomainError
from pricing import QuoteError, quote

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Categories and quote previews")


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategorySchema(many=True))
    def get(self):
        """List the categories tasks can be posted in"""
        with uow() as unit:
            return list(unit.session.exec(select(Category).order_by(Category.slug)))


@blp.route("/quotes")
class Quotes(MethodView):
    @blp.arguments(QuoteRequestSchema)
    @blp.response(200, QuoteSchema)
    def post(self, data):
        """Preview a price now, computed by the same engine that prices postings"""
        with uow() as unit:
            rule = current_rule(unit.session, data["category"], data["region"])
        if rule is None:
            raise DomainError("No floor applies.", {"category": [
                f"No fee floor is set for {data['category']!r} in {data['region']!r}."]})
        try:
            return quote(rule, data["estimated_minutes"], data["offered_rate"])
        except QuoteError as exc:
            raise DomainError("The quote was refused.", {exc.field: [exc.message]}) from None
