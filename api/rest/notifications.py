"""Your email preferences: per kind of event, instant, a daily digest, or off (account and money
mail cannot be switched off)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import fields, validate

from api.auth import SECURITY, requires
from api.input import ApiSchema, Blueprint
from api.platform import unit_of_work
from marketplace.notifications.prefs import KINDS, preferences, set_preferences

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/me", description="Your email preferences")

MODES = ["instant", "digest", "off"]


class PreferenceSchema(ApiSchema):
    kind = fields.String()
    label = fields.String()
    mode = fields.String(metadata={"description": "instant, digest or off"})
    locked = fields.Boolean(metadata={"description": "Account and money mail: cannot be switched off"})


class PreferencesSchema(ApiSchema):
    preferences = fields.List(fields.Nested(PreferenceSchema))


class PreferencesUpdateSchema(ApiSchema):
    preferences = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(KINDS))),
        values=fields.String(validate=validate.OneOf(MODES)),
        required=True,
        validate=validate.Length(min=1, max=len(KINDS)),
        metadata={"description": "kind -> instant, digest or off"},
    )


@blp.route("/notifications")
class MyNotifications(MethodView):
    @requires()
    @blp.response(200, PreferencesSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """How you hear of each kind of event by email"""
        with unit_of_work() as unit:
            return {"preferences": preferences(unit.session, g.user.id)}

    @requires()
    @blp.arguments(PreferencesUpdateSchema, example={"preferences": {"message.sent": "digest", "task.started": "off"}})
    @blp.response(200, PreferencesSchema)
    @blp.alt_response(422, description="An unknown kind, or switching off account and money mail")
    @blp.doc(security=SECURITY)
    def put(self, data):
        """Change some kinds: instant, a daily digest, or off"""
        with unit_of_work() as unit:
            view = set_preferences(unit, g.user.id, data["preferences"])
            unit.commit()
            return {"preferences": view}
