"""The taskers' network: connections and blocks, handing a task to a peer, endorsements (and the
mentored unlock they open), and the path to better-paid work. Every route checks the caller's
role, and each use case checks ownership (the holder, the peer an offer was made to, the endorser)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView

from api.auth import SECURITY, requires
from api.errors import refuse
from api.input import Blueprint
from api.platform import platform, unit_of_work
from api.rest.network_schemas import (
    BlockSchema,
    CandidatesSchema,
    ConnectionSchema,
    ConnectionsSchema,
    DeclineSchema,
    EndorsementArgsSchema,
    EndorsementCreateSchema,
    EndorsementListSchema,
    EndorsementSchema,
    HandoffCreateSchema,
    HandoffListSchema,
    HandoffSchema,
    MyHandoffsSchema,
    PathSchema,
    RevokeSchema,
    TaskerRefSchema,
)
from api.rest.tasks import task_view, window
from api.rest.tasks_schemas import TaskSchema
from marketplace.clock import utcnow
from marketplace.network import blocking
from marketplace.network import connections as conn
from marketplace.network import endorsements as endo
from marketplace.network import handoffs as hand
from marketplace.network.path import path_view
from marketplace.tasks.models import Task
from marketplace.tasks.parties import holds

blp = Blueprint(
    "network",
    __name__,
    url_prefix="/api/v1",
    description="The taskers' network: connections, hand-offs, endorsements and the path to skilled work",
)

TASKER = ("tasker",)


@blp.route("/taskers/me/connections")
class MyConnections(MethodView):
    @requires(*TASKER)
    @blp.response(200, ConnectionsSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your connections, each with their public reputation, tier, categories and regions; the
        requests waiting for you and those you made; and whom you blocked"""
        with unit_of_work() as unit:
            return conn.connections_view(unit.session, g.user.id)

    @requires(*TASKER)
    @blp.arguments(TaskerRefSchema, example={"tasker_id": 7})
    @blp.response(201, ConnectionSchema)
    @blp.alt_response(409, description="Already connected, or already asked")
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Ask a tasker to connect (if they already asked you, this accepts their request)"""
        with unit_of_work() as unit:
            row = conn.request_connection(unit, g.user, data["tasker_id"])
            unit.commit()
            return row


@blp.route("/taskers/me/connections/<int:tasker_id>")
class MyConnection(MethodView):
    @requires(*TASKER)
    @blp.response(204)
    @blp.doc(security=SECURITY)
    def delete(self, tasker_id: int):
        """Remove a connection, or take back a request you made"""
        with unit_of_work() as unit:
            conn.remove_connection(unit, g.user, tasker_id)
            unit.commit()


@blp.route("/taskers/me/connections/<int:tasker_id>/accept")
class AcceptConnection(MethodView):
    @requires(*TASKER)
    @blp.response(200, ConnectionSchema)
    @blp.doc(security=SECURITY)
    def post(self, tasker_id: int):
        """Accept a tasker's request to connect"""
        with unit_of_work() as unit:
            row = conn.accept_connection(unit, g.user, tasker_id)
            unit.commit()
            return row


@blp.route("/taskers/me/connections/<int:tasker_id>/decline")
class DeclineConnection(MethodView):
    @requires(*TASKER)
    @blp.response(204)
    @blp.doc(security=SECURITY)
    def post(self, tasker_id: int):
        """Decline a tasker's request to connect"""
        with unit_of_work() as unit:
            conn.decline_connection(unit, g.user, tasker_id)
            unit.commit()


@blp.route("/taskers/me/blocks")
class MyBlocks(MethodView):
    @requires(*TASKER)
    @blp.arguments(TaskerRefSchema, example={"tasker_id": 7})
    @blp.response(201, BlockSchema)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Block a tasker: your connection or request ends, open hand-off offers between you are
        withdrawn, and neither of you can send the other a request, an offer or an endorsement"""
        with unit_of_work() as unit:
            row = blocking.block(unit, g.user, data["tasker_id"])
            unit.commit()
            return row


@blp.route("/taskers/me/blocks/<int:tasker_id>")
class MyBlock(MethodView):
    @requires(*TASKER)
    @blp.response(204)
    @blp.doc(security=SECURITY)
    def delete(self, tasker_id: int):
        """Unblock a tasker"""
        with unit_of_work() as unit:
            conn.unblock(unit, g.user, tasker_id)
            unit.commit()


@blp.route("/taskers/me/handoffs")
class MyHandoffs(MethodView):
    @requires(*TASKER)
    @blp.response(200, MyHandoffsSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Open hand-off offers made to you, and the open offers you made"""
        with unit_of_work() as unit:
            return hand.my_offers(unit.session, g.user.id)


def _task_for_handoff(session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        refuse(404, f"No task {task_id}.")
    return task


@blp.route("/tasks/<int:task_id>/handoff")
class TaskHandoff(MethodView):
    @requires(*TASKER)
    @blp.arguments(HandoffCreateSchema, example={"tasker_ids": [7, 9], "note": "I am ill that day."})
    @blp.response(201, HandoffListSchema)
    @blp.alt_response(422, description="A peer is not eligible (the error says why, per peer)")
    @blp.alt_response(409, description="The task has started, is not accepted, or forbids hand-offs")
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Offer a task you hold (accepted, not started) to 1 to 5 eligible peers. The first to
        accept takes it; an offer lapses after 6 h by default, and never after the start. The price
        does not change"""
        ttl = platform().policy.handoff_offer_ttl
        with unit_of_work() as unit:
            offers = hand.offer_handoff(unit, g.user, task_id, data["tasker_ids"], data["note"], window(), ttl)
            unit.commit()
            return {"offers": offers}

    @requires("tasker", "operator")
    @blp.response(200, HandoffListSchema)
    @blp.doc(security=SECURITY)
    def get(self, task_id: int):
        """Every hand-off offer of a task: its holder and operators"""
        with unit_of_work() as unit:
            task = _task_for_handoff(unit.session, task_id)
            if g.user.role != "operator" and not holds(g.user, task):
                refuse(404, f"No task {task_id} that you hold.")
            return {"offers": hand.offers_of_task(unit.session, task_id)}


@blp.route("/tasks/<int:task_id>/handoff/candidates")
class HandoffCandidates(MethodView):
    @requires(*TASKER)
    @blp.response(200, CandidatesSchema)
    @blp.doc(security=SECURITY)
    def get(self, task_id: int):
        """Peers who could take a task you hold: eligible exactly as their feed decides; your
        connections first, then others by reputation in the task's category"""
        with unit_of_work() as unit:
            task = _task_for_handoff(unit.session, task_id)
            if not holds(g.user, task):
                refuse(403, f"Task {task_id} is not held by you.")
            return {"candidates": hand.candidates(unit.session, g.user, task, window(), utcnow())}


@blp.route("/handoffs/<int:offer_id>/accept")
class AcceptHandoff(MethodView):
    @requires(*TASKER)
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="Another peer took the task first, or the offer closed")
    @blp.doc(security=SECURITY)
    def post(self, offer_id: int):
        """Take the task an offer to you is for. Atomic: exactly one peer wins, and every other open
        offer for the task is withdrawn"""
        with unit_of_work() as unit:
            task = hand.accept_handoff(unit, g.user, offer_id, window())
            unit.commit()
            return task_view(unit.session, task)


@blp.route("/handoffs/<int:offer_id>/decline")
class DeclineHandoff(MethodView):
    @requires(*TASKER)
    @blp.arguments(DeclineSchema, example={"reason": "Booked that morning."})
    @blp.response(200, HandoffSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, offer_id: int):
        """Decline an offer made to you"""
        with unit_of_work() as unit:
            offer = hand.decline_handoff(unit, g.user, offer_id, data["reason"])
            unit.commit()
            return offer


@blp.route("/handoffs/<int:offer_id>/withdraw")
class WithdrawHandoff(MethodView):
    @requires(*TASKER)
    @blp.response(200, HandoffSchema)
    @blp.doc(security=SECURITY)
    def post(self, offer_id: int):
        """Withdraw an open offer you made"""
        with unit_of_work() as unit:
            offer = hand.withdraw_handoff(unit, g.user, offer_id)
            unit.commit()
            return offer


@blp.route("/taskers/<int:tasker_id>/endorsements")
class TaskerEndorsements(MethodView):
    @blp.response(200, EndorsementListSchema)
    def get(self, tasker_id: int):
        """The endorsements a tasker holds now (public), each saying whether it counts towards a
        mentored unlock"""
        with unit_of_work() as unit:
            conn.tasker_or_404(unit.session, tasker_id)
            rows = endo.endorsements_for(unit.session, tasker_id)
            return {"endorsements": rows, "total": len(rows)}

    @requires(*TASKER)
    @blp.arguments(EndorsementCreateSchema, example={"category": "yard-work", "text": "Careful with roots."})
    @blp.response(201, EndorsementSchema)
    @blp.alt_response(409, description="You already endorse them for this category")
    @blp.doc(security=SECURITY)
    def post(self, data, tasker_id: int):
        """Endorse a connection for a category in which you have completed at least 3 tasks (plain
        text, at most 500 characters; one per tasker and category)"""
        cap = platform().policy.mentor_monthly_cap
        with unit_of_work() as unit:
            row = endo.endorse(unit, g.user, tasker_id, data["category"], data["text"], cap)
            unit.commit()
            return endo.endorsement_view(unit.session, row.id)


@blp.route("/endorsements")
class Endorsements(MethodView):
    @requires("operator")
    @blp.arguments(EndorsementArgsSchema, location="query")
    @blp.response(200, EndorsementListSchema)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Operators: every endorsement, newest first, with withdrawals and revocations"""
        with unit_of_work() as unit:
            rows, total = endo.all_endorsements(unit.session, args["page_size"], (args["page"] - 1) * args["page_size"])
            return {"endorsements": rows, "total": total}


@blp.route("/endorsements/<int:endorsement_id>")
class EndorsementItem(MethodView):
    @requires(*TASKER)
    @blp.response(204)
    @blp.doc(security=SECURITY)
    def delete(self, endorsement_id: int):
        """Withdraw an endorsement you gave"""
        with unit_of_work() as unit:
            endo.withdraw(unit, g.user, endorsement_id)
            unit.commit()


@blp.route("/endorsements/<int:endorsement_id>/revoke")
class RevokeEndorsement(MethodView):
    @requires("operator")
    @blp.arguments(RevokeSchema, example={"reason": "A ring of accounts endorsing each other."})
    @blp.response(200, EndorsementSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, endorsement_id: int):
        """Operators: revoke an endorsement, with a reason the audit keeps"""
        with unit_of_work() as unit:
            endo.revoke(unit, g.user, endorsement_id, data["reason"])
            unit.commit()
            return endo.endorsement_view(unit.session, endorsement_id)


@blp.route("/taskers/me/path")
class MyPath(MethodView):
    @requires(*TASKER)
    @blp.response(200, PathSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your path to better-paid work: each category you could move up to, what it pays in your
        regions against your best rate now, what unlocks it and your progress, and the three most
        helpful tips on its board"""
        with unit_of_work() as unit:
            return path_view(unit.session, g.user.id, utcnow())
