"""Request and response shapes of the taskers' network: connections, blocks, hand-offs,
endorsements and the path to better-paid work."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema
from api.rest.taskers_schemas import CategoryReputationSchema
from events.fields import slug, whole

ROW_ID = validate.Range(min=1, max=2**31 - 1)


def row_id(**kw) -> fields.Integer:
    return whole(validate=ROW_ID, **kw)


class TaskerRefSchema(ApiSchema):
    tasker_id = row_id(required=True)


class TaskerCardSchema(ApiSchema):
    id = fields.Integer()
    display_name = fields.String()
    tier = fields.String()
    score = fields.Integer()
    completed = fields.Integer()
    levels = fields.List(fields.String())
    reputation = fields.List(
        fields.Nested(CategoryReputationSchema), metadata={"description": "Their public reputation, per category"}
    )
    categories = fields.List(fields.String(), metadata={"description": "The categories they work"})
    regions = fields.List(fields.String())
    since = fields.AwareDateTime(allow_none=True, metadata={"description": "Connected (or asked) at"})


class ConnectionsSchema(ApiSchema):
    connections = fields.List(fields.Nested(TaskerCardSchema))
    incoming = fields.List(fields.Nested(TaskerCardSchema), metadata={"description": "Requests waiting for you"})
    outgoing = fields.List(fields.Nested(TaskerCardSchema), metadata={"description": "Requests you made"})
    blocked = fields.List(fields.Integer(), metadata={"description": "Taskers you blocked"})


class ConnectionSchema(ApiSchema):
    low_id = fields.Integer()
    high_id = fields.Integer()
    requested_by = fields.Integer()
    status = fields.String(metadata={"description": "pending or accepted"})
    requested_at = fields.AwareDateTime()
    accepted_at = fields.AwareDateTime(allow_none=True)


class BlockSchema(ApiSchema):
    blocker_id = fields.Integer()
    blocked_id = fields.Integer()
    created_at = fields.AwareDateTime()


class HandoffCreateSchema(ApiSchema):
    tasker_ids = fields.List(row_id(), required=True, validate=validate.Length(min=1, max=5))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class HandoffSchema(ApiSchema):
    id = fields.Integer()
    task_id = fields.Integer()
    from_tasker_id = fields.Integer()
    to_tasker_id = fields.Integer()
    note = fields.String()
    status = fields.String(metadata={"description": "open, accepted, declined, withdrawn or lapsed"})
    offered_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String()


class HandoffListSchema(ApiSchema):
    offers = fields.List(fields.Nested(HandoffSchema))


class MyHandoffsSchema(ApiSchema):
    incoming = fields.List(fields.Nested(HandoffSchema), metadata={"description": "Open offers made to you"})
    outgoing = fields.List(fields.Nested(HandoffSchema), metadata={"description": "Your open offers"})


class DeclineSchema(ApiSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class CandidateSchema(ApiSchema):
    id = fields.Integer()
    display_name = fields.String()
    connected = fields.Boolean()
    score = fields.Integer(metadata={"description": "Reputation score in the task's category"})
    offered = fields.Boolean(metadata={"description": "Already has an open offer for this task"})


class CandidatesSchema(ApiSchema):
    candidates = fields.List(fields.Nested(CandidateSchema))


class EndorsementCreateSchema(ApiSchema):
    category = slug(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class EndorsementSchema(ApiSchema):
    id = fields.Integer()
    endorser_id = fields.Integer()
    endorser_name = fields.String()
    endorsee_id = fields.Integer()
    endorsee_name = fields.String()
    category = fields.String()
    text = fields.String(metadata={"description": "Plain text"})
    given_at = fields.AwareDateTime()
    active = fields.Boolean()
    counts_for_mentoring = fields.Boolean(
        metadata={
            "description": "From an elite mentor within their monthly allowance: counts towards a mentored unlock"
        }
    )
    withdrawn_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    revoke_reason = fields.String(allow_none=True)


class EndorsementListSchema(ApiSchema):
    endorsements = fields.List(fields.Nested(EndorsementSchema))
    total = fields.Integer()


class EndorsementArgsSchema(ApiSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RevokeSchema(ApiSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class PathFloorSchema(ApiSchema):
    region = fields.String()
    hourly_floor = fields.Integer()
    earns_now = fields.Integer(
        allow_none=True, metadata={"description": "Your best rate in this region now, among the skills you may work"}
    )
    difference = fields.Integer(
        allow_none=True, metadata={"description": "This region's floor minus your best rate there now"}
    )


class PathEndorsementSchema(ApiSchema):
    endorser_id = fields.Integer()
    from_ = fields.String(data_key="from")
    counts = fields.Boolean()


class PathRouteSchema(ApiSchema):
    route = fields.String(metadata={"description": "completed_work, mentored or licence"})
    met = fields.Boolean()
    progress = fields.String()
    completed = fields.Integer()
    completed_needed = fields.Integer()
    tier = fields.String()
    tier_needed = fields.String()
    endorsements = fields.List(fields.Nested(PathEndorsementSchema))
    endorsements_needed = fields.Integer()


class PathTipSchema(ApiSchema):
    tip_id = fields.Integer()
    title = fields.String()
    helpful = fields.Integer()


class PathGuideSchema(ApiSchema):
    id = fields.Integer()
    title = fields.String()
    author = fields.String()
    helpful = fields.Integer()


class PathStepSchema(ApiSchema):
    category = fields.String()
    name = fields.String()
    level = fields.String()
    floors = fields.List(fields.Nested(PathFloorSchema))
    highest_floor = fields.Integer(allow_none=True)
    earns_now = fields.Integer(allow_none=True)
    difference = fields.Integer(allow_none=True, metadata={"description": "Highest floor minus your best rate now"})
    routes = fields.List(fields.Nested(PathRouteSchema))
    tips = fields.List(fields.Nested(PathTipSchema))
    guides = fields.List(
        fields.Nested(PathGuideSchema), metadata={"description": "The category's top guides (GET /api/v1/guides/{id})"}
    )


class PathSchema(ApiSchema):
    earns_now = fields.Integer(allow_none=True, metadata={"description": "Your best own rate you can work at now"})
    regions = fields.List(fields.String())
    categories = fields.List(fields.Nested(PathStepSchema))
