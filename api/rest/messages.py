"""A task's conversation: its client and the tasker holding it write to each other once it is
accepted; each side's unread counts; operators read a thread only on a task with a claim or a
dispute, with a reason that is recorded."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import fields, validate

from api.auth import SECURITY, requires
from api.input import ApiSchema, Blueprint
from api.limits import messages_limit
from api.platform import platform, unit_of_work
from marketplace.conversations.messages import MAX_BODY, send_message, thread, unread

blp = Blueprint("messages", __name__, url_prefix="/api/v1", description="Conversations between a client and a tasker")


class MessageCreateSchema(ApiSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))


class ThreadArgsSchema(ApiSchema):
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=300),
        metadata={"description": "Operators: why you read this conversation (recorded)"},
    )


class MessageSchema(ApiSchema):
    id = fields.Integer()
    sender_id = fields.Integer()
    sender_name = fields.String()
    mine = fields.Boolean()
    body = fields.String(metadata={"description": "Plain text; show it escaped"})
    masked = fields.Boolean(metadata={"description": "A phone number or an email address was hidden"})
    sent_at = fields.AwareDateTime()


class ThreadSchema(ApiSchema):
    task_id = fields.Integer()
    open = fields.Boolean(metadata={"description": "Whether you can write to it now"})
    masking = fields.Boolean(metadata={"description": "Contact details are hidden until the task starts"})
    messages = fields.List(fields.Nested(MessageSchema))


class SentSchema(ApiSchema):
    id = fields.Integer()
    task_id = fields.Integer()
    sender_id = fields.Integer()
    recipient_id = fields.Integer()
    body = fields.String()
    masked = fields.Boolean()
    sent_at = fields.AwareDateTime()


class UnreadTaskSchema(ApiSchema):
    task_id = fields.Integer()
    unread = fields.Integer()


class UnreadSchema(ApiSchema):
    total = fields.Integer()
    by_task = fields.List(fields.Nested(UnreadTaskSchema))


@blp.route("/tasks/<int:task_id>/messages")
class TaskMessages(MethodView):
    @requires()
    @blp.arguments(ThreadArgsSchema, location="query")
    @blp.response(200, ThreadSchema)
    @blp.doc(security=SECURITY)
    def get(self, args, task_id: int):
        """The task's conversation, oldest first (and marked read). Its client and the tasker
        holding it; an operator only on a task with a claim or a dispute, giving a `reason`"""
        with unit_of_work() as unit:
            view = thread(unit.session, g.user, task_id, args["reason"])
            unit.commit()
            return view

    @requires("client", "tasker")
    @blp.arguments(MessageCreateSchema, example={"body": "I'll bring my own ladder."})
    @blp.response(201, SentSchema)
    @blp.alt_response(409, description="The conversation is closed (the task was cancelled)")
    @blp.doc(security=SECURITY)
    @messages_limit
    def post(self, data, task_id: int):
        """Write to the other party of a task you take part in (plain text, at most 2,000
        characters). Before the task starts, phone numbers and email addresses are hidden"""
        mask = platform().policy.mask_contact_details
        with unit_of_work() as unit:
            message = send_message(unit, g.user, task_id, data["body"], mask)
            unit.commit()
            return message


@blp.route("/messages/unread")
class Unread(MethodView):
    @requires("client", "tasker")
    @blp.response(200, UnreadSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """How many messages wait for you, in all and per task"""
        with unit_of_work() as unit:
            return unread(unit.session, g.user)
