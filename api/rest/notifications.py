"""Your email preferences: per kind of event, instant, a daily digest, or off (account and money
mail cannot be switched off). Each kind your role may get is listed with its default; "a task in
your feed" is off until you turn it on, and comes at most `feed_emails_per_day` a day."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import fields, validate

from api.auth import SECURITY, requires
from api.input import ApiSchema, Blueprint
from api.platform import platform, unit_of_work
from marketplace.notifications.prefs import KINDS, preferences, set_preferences

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/me", description="Your email preferences")

MODES = ["instant", "digest", "off"]


class PreferenceSchema(ApiSchema):
    kind = fields.String()
    label = fields.String()
    mode = fields.String(metadata={"description": "instant, digest or off"})
    default = fields.String(metadata={"description": "The mode of someone who chose nothing: instant, digest or off"})
    locked = fields.Boolean(metadata={"description": "Account and money mail: cannot be switched off"})
    note = fields.String(metadata={"description": "What to know of this kind beside its label (often empty)"})


class PreferencesSchema(ApiSchema):
    preferences = fields.List(fields.Nested(PreferenceSchema))
    feed_emails_per_day = fields.Integer(
        metadata={
            "description": "At most this many `task.available` emails a day (UTC); the last one says so, "
            "and the tasks that open after it wait in your feed"
        }
    )


def _view(session, user) -> dict:
    per_day = platform().policy.feed_emails_per_day
    return {"preferences": preferences(session, user.id, user.role, per_day), "feed_emails_per_day": per_day}


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
        """How you hear of each kind of event by email (each kind your role may get, with its default)"""
        with unit_of_work() as unit:
            return _view(unit.session, g.user)

    @requires()
    @blp.arguments(PreferencesUpdateSchema, example={"preferences": {"message.sent": "digest", "task.started": "off"}})
    @blp.response(200, PreferencesSchema)
    @blp.alt_response(422, description="An unknown kind, or switching off account and money mail")
    @blp.doc(security=SECURITY)
    def put(self, data):
        """Change some kinds: instant, a daily digest, or off"""
        with unit_of_work() as unit:
            set_preferences(unit, g.user.id, data["preferences"])
            unit.commit()
            return _view(unit.session, g.user)
