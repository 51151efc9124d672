"""Taskers' webhook endpoints: register (the signing secret is shown once), list, rotate the
secret, enable again after a disable, delete; each endpoint's delivery log and a manual redelivery.
Deliveries follow the Standard Webhooks specification."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from marshmallow import fields, validate

from api.auth import SECURITY, requires
from api.input import ApiSchema, Blueprint
from api.platform import platform, unit_of_work
from marketplace.notifications import webhooks as hooks

blp = Blueprint(
    "tasker_webhooks", __name__, url_prefix="/api/v1/taskers/me/webhooks", description="Webhooks for taskers' apps"
)


class EndpointCreateSchema(ApiSchema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=500))
    kinds = fields.List(
        fields.String(validate=validate.OneOf(list(hooks.KINDS))),
        required=True,
        validate=validate.Length(min=1, max=len(hooks.KINDS)),
    )


def _kinds(endpoint) -> list[str]:
    return endpoint.kinds.split(",")


class EndpointSchema(ApiSchema):
    id = fields.Integer()
    url = fields.String()
    kinds = fields.Function(_kinds)
    status = fields.String(metadata={"description": "active or disabled"})
    disabled_reason = fields.String()
    failing_since = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "Shown once: keep it to verify signatures"})


class EndpointListSchema(ApiSchema):
    endpoints = fields.List(fields.Nested(EndpointSchema))
    kinds = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "What each kind is"})


class DeliverySchema(ApiSchema):
    id = fields.Integer()
    event_id = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": "pending, sending, sent or failed"})
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String()
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True)


class DeliveryListSchema(ApiSchema):
    deliveries = fields.List(fields.Nested(DeliverySchema))


def _loopback() -> bool:
    """Endpoints on loopback (plain http to 127.0.0.1 or localhost): only with the setting on, and
    only on the development server (`floorboard dev` sets DEV_SERVER) or under a test suite; a
    served app (`floorboard serve`) refuses them whatever the environment says. The web's
    webhooks page applies the same rule (api/web/tasker_account.py)."""
    app = current_app
    return platform().settings.webhooks_allow_loopback and bool(app.testing or app.config.get("DEV_SERVER"))


@blp.route("")
class Endpoints(MethodView):
    @requires("tasker")
    @blp.response(200, EndpointListSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your endpoints (their secrets are never listed)"""
        with unit_of_work() as unit:
            return {"endpoints": hooks.endpoints_of(unit.session, g.user.id), "kinds": hooks.KINDS}

    @requires("tasker")
    @blp.arguments(EndpointCreateSchema, example={"url": "https://example.com/hooks", "kinds": ["task.available"]})
    @blp.response(201, EndpointWithSecretSchema)
    @blp.alt_response(
        422,
        description="The URL does not parse (https, a port from 1 to 65535, IPv6 in brackets, a valid IDN host, "
        "no credentials or fragment), its host is not a public address, or a kind is unknown",
    )
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Register an HTTPS endpoint for some kinds of event; the answer carries its signing secret, once

        The answer's `url` is the URL as stored, normalized: an IDN host in its xn-- form, no default port.
        """
        url = hooks.check_url(data["url"], _loopback())  # resolves the host: no transaction is open yet
        with unit_of_work() as unit:
            endpoint = hooks.register(unit, g.user, url, data["kinds"], _loopback(), resolved=True)
            unit.commit()
            return endpoint


@blp.route("/<int:endpoint_id>")
class Endpoint(MethodView):
    @requires("tasker")
    @blp.response(204)
    @blp.doc(security=SECURITY)
    def delete(self, endpoint_id: int):
        """Delete an endpoint and its delivery log"""
        with unit_of_work() as unit:
            hooks.remove(unit, g.user, endpoint_id)
            unit.commit()


@blp.route("/<int:endpoint_id>/rotate")
class Rotate(MethodView):
    @requires("tasker")
    @blp.response(200, EndpointWithSecretSchema)
    @blp.doc(security=SECURITY)
    def post(self, endpoint_id: int):
        """A new signing secret (shown once); the old one stops at once"""
        with unit_of_work() as unit:
            endpoint = hooks.rotate(unit, g.user, endpoint_id)
            unit.commit()
            return endpoint


@blp.route("/<int:endpoint_id>/enable")
class Enable(MethodView):
    @requires("tasker")
    @blp.response(200, EndpointSchema)
    @blp.doc(security=SECURITY)
    def post(self, endpoint_id: int):
        """Enable an endpoint again after it was disabled"""
        with unit_of_work() as unit:
            endpoint = hooks.enable(unit, g.user, endpoint_id)
            unit.commit()
            return endpoint


@blp.route("/<int:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @requires("tasker")
    @blp.response(200, DeliveryListSchema)
    @blp.doc(security=SECURITY)
    def get(self, endpoint_id: int):
        """The endpoint's latest 100 deliveries, newest first"""
        with unit_of_work() as unit:
            return {"deliveries": hooks.deliveries(unit.session, g.user, endpoint_id)}


@blp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
class Redeliver(MethodView):
    @requires("tasker")
    @blp.response(200, DeliverySchema)
    @blp.doc(security=SECURITY)
    def post(self, endpoint_id: int, delivery_id: int):
        """Send a delivery again now (the same webhook-id)"""
        with unit_of_work() as unit:
            delivery = hooks.redeliver(unit, g.user, endpoint_id, delivery_id)
            unit.commit()
            return delivery
