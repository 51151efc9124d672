"""Clients: their own list of the taskers they have worked with (to book again), and a client's
public record, which taskers read before they accept."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import fields

from api.auth import SECURITY, requires
from api.input import ApiSchema, Blueprint
from api.platform import unit_of_work
from api.rest.tasks_schemas import ClientRecordSchema
from marketplace.accounts.models import Role
from marketplace.network.client_record import client_record
from marketplace.tasks.rebooking import my_taskers

blp = Blueprint("clients", __name__, url_prefix="/api/v1/clients", description="Clients: rebooking, public records")


class MyTaskerSchema(ApiSchema):
    tasker_id = fields.Integer()
    display_name = fields.String()
    tasks_completed = fields.Integer(metadata={"description": "Tasks they completed for you"})
    last_completed_at = fields.AwareDateTime(allow_none=True)
    categories = fields.List(fields.String(), metadata={"description": "Categories they worked in for you"})
    rates = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "Their own rate per category, cents an hour, in each of their regions without a rate "
            "of its own (see region_rates): offer at least it when you rebook"
        },
    )
    region_rates = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={
            "description": "Per category, per region they work in: their own rate there, cents an hour; offer at "
            "least the one in your task's region when you rebook"
        },
    )
    tier = fields.String(metadata={"description": "Their best tier"})


@blp.route("/me/taskers")
class MyTaskers(MethodView):
    @requires("client")
    @blp.response(200, MyTaskerSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self):
        """The taskers who completed tasks for you, most recent first: post a task with
        `addressed_to` set to one of them to book them again"""
        with unit_of_work() as unit:
            return my_taskers(unit.session, g.user.id)


@blp.route("/<int:client_id>")
class ClientRecord(MethodView):
    @requires()
    @blp.response(200, ClientRecordSchema)
    @blp.doc(security=SECURITY)
    def get(self, client_id: int):
        """A client's public record: what taskers read before accepting (taskers, operators, and the
        client themselves; not other clients)"""
        if g.user.role == Role.client and g.user.id != client_id:
            abort(403, message="A client's record is for taskers, operators and the client.")
        with unit_of_work() as unit:
            return client_record(unit.session, client_id, g.user)
