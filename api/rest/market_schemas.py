"""Request and response shapes of the market-health API (operators only)."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from api.input import ApiSchema
from events.fields import slug

DATES = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31), error="Between 2000-01-01 and 2100-12-31.")


class MarketArgsSchema(ApiSchema):
    category = slug(required=True)
    region = slug(required=True)
    # "from" is a Python keyword: the attribute is `first`, the parameter `from`.
    first = fields.Date(
        data_key="from",
        load_default=None,
        validate=DATES,
        metadata={"description": "The first local day (default: 89 days before `to`)"},
    )
    to = fields.Date(load_default=None, validate=DATES, metadata={"description": "The last local day (default: today)"})


class MarketDaySchema(ApiSchema):
    day = fields.String(metadata={"description": "The region's local day, YYYY-MM-DD"})
    priced = fields.Integer(metadata={"description": "Tasks first priced this day (the fill rate's cohort)"})
    rejected = fields.Integer()
    at_floor = fields.Integer(metadata={"description": "Of `priced`: at the category's hourly floor"})
    above_floor = fields.Integer(metadata={"description": "Of `priced`: the client offered more"})
    accepted = fields.Integer(metadata={"description": "Of `priced`: accepted at least once"})
    accept_seconds = fields.Integer(
        metadata={"description": "Of `accepted`: seconds from pricing to acceptance, summed"}
    )
    fill_rate = fields.Float(allow_none=True, metadata={"description": "accepted / priced"})
    accept_p50_s = fields.Integer(
        allow_none=True,
        metadata={"description": "Median time to accept: the upper bound of its histogram bucket (null: over a week)"},
    )
    accept_p90_s = fields.Integer(allow_none=True)
    cancelled_by_client = fields.Integer()
    cancelled_by_tasker = fields.Integer()
    handoffs = fields.Integer()
    adjustments_claimed = fields.Integer()
    adjustments_approved = fields.Integer()
    adjustments_disputed = fields.Integer()
    completed = fields.Integer()
    minutes_worked = fields.Integer()
    completed_hours = fields.Float()
    payout = fields.Integer(metadata={"description": "Cents paid to taskers for the tasks completed this day"})
    paid_out = fields.Integer(metadata={"description": "Cents transferred to taskers for the tasks priced this day"})
    effective_pay_per_hour = fields.Integer(
        allow_none=True, metadata={"description": "payout / hours worked, cents (null: no minute worked)"}
    )
    share_at_floor = fields.Float(allow_none=True)
    tips = fields.Integer(metadata={"description": "Tips posted on the category's board (UTC day)"})
    tip_votes = fields.Integer()
    questions = fields.Integer(metadata={"description": "Questions asked on the category's board (UTC day)"})
    answers = fields.Integer()
    endorsements = fields.Integer()
    hourly_floor = fields.Integer(allow_none=True, metadata={"description": "The floor in force at the day's end"})
    legal_minimum_per_hour = fields.Integer(allow_none=True)
    legal_minimum_per_task = fields.Integer(allow_none=True)


class MarketSeriesSchema(ApiSchema):
    category = fields.String()
    region = fields.String()
    timezone = fields.String()
    days = fields.List(fields.Nested(MarketDaySchema))


class ChangeFigureSchema(ApiSchema):
    change = fields.Float(allow_none=True, metadata={"description": "after - before (null when too few tasks)"})
    basis = fields.String(metadata={"description": "The count the figure rests on"})
    too_few_tasks = fields.Boolean()


class SideSchema(ApiSchema):
    days = fields.Integer()
    priced = fields.Integer()
    accepted = fields.Integer()
    fill_rate = fields.Float(allow_none=True)
    accept_p50_s = fields.Integer(allow_none=True)
    accept_p90_s = fields.Integer(allow_none=True)
    completed = fields.Integer()
    minutes_worked = fields.Integer()
    payout = fields.Integer()
    effective_pay_per_hour = fields.Integer(allow_none=True)


class ComparisonSchema(ApiSchema):
    before = fields.Nested(SideSchema)
    after = fields.Nested(SideSchema)
    threshold = fields.Integer(metadata={"description": "Fewer tasks than this on a side: too few tasks"})
    fill_rate = fields.Nested(ChangeFigureSchema)
    accept_p50_s = fields.Nested(ChangeFigureSchema)
    effective_pay_per_hour = fields.Nested(ChangeFigureSchema)


class FloorEffectSchema(ApiSchema):
    version = fields.Integer()
    effective_from = fields.AwareDateTime()
    day = fields.String(metadata={"description": "The local day it took effect"})
    hourly_floor = fields.Integer()
    previous_hourly_floor = fields.Integer(allow_none=True)
    summary = fields.String()
    comparison = fields.Nested(ComparisonSchema)
