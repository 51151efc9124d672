"""Taskers: their skills and own rates, their public reputation, and operators' licence checks."""

from __future__ import annotations

from flask import g
from flask.views import MethodView

from api.auth import SECURITY, requires
from api.input import Blueprint
from api.platform import unit_of_work
from api.rest.taskers_schemas import (
    EXAMPLES,
    LicenseCreateSchema,
    LicenseSchema,
    ReputationSchema,
    SkillsUpdateSchema,
    SkillsViewSchema,
)
from api.rest.tasks import waiting_view
from marketplace.clock import utcnow
from marketplace.community.reputation import public_reputation
from marketplace.network.connections import network_summary
from marketplace.taskers.levels import verify_license
from marketplace.taskers.skills import SkillSpec, set_skills, skills_view

blp = Blueprint("taskers", __name__, url_prefix="/api/v1/taskers", description="Taskers' skills and reputation")


@blp.route("/me/skills")
class MySkills(MethodView):
    @requires("tasker")
    @blp.response(200, SkillsViewSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your regions and skills, each with its floor, whether its level is unlocked, and any
        raise a floor increase made to your rate; and `waiting`: what matches you but is not in your
        feed yet, and when your tier's window opens it"""
        with unit_of_work() as unit:
            return {**skills_view(unit.session, g.user.id), "waiting": waiting_view(unit.session, g.user.id, utcnow())}

    @requires("tasker")
    @blp.arguments(SkillsUpdateSchema, example=EXAMPLES[SkillsUpdateSchema])
    @blp.response(200, SkillsViewSchema)
    @blp.alt_response(422, description="A rate is below its floor (the error names the floor)")
    @blp.doc(security=SECURITY)
    def put(self, data):
        """Replace your regions and skills. A rate below the floor of any of your regions is refused"""
        with unit_of_work() as unit:
            set_skills(unit, g.user.id, data["regions"], [SkillSpec(**s) for s in data["skills"]])
            unit.commit()
            return {**skills_view(unit.session, g.user.id), "waiting": waiting_view(unit.session, g.user.id, utcnow())}


@blp.route("/<int:tasker_id>")
class TaskerReputation(MethodView):
    @blp.response(200, ReputationSchema)
    def get(self, tasker_id: int):
        """A tasker's public reputation: rating, reliability, tip karma, score and tier per
        category, the levels they have unlocked, and how many connections they have"""
        with unit_of_work() as unit:
            reputation = public_reputation(unit.session, tasker_id)
            return {**reputation, "connections": network_summary(unit.session, tasker_id, None)["connections"]}


@blp.route("/<int:tasker_id>/licenses")
class Licenses(MethodView):
    @requires("operator")
    @blp.arguments(LicenseCreateSchema, example=EXAMPLES[LicenseCreateSchema])
    @blp.response(201, LicenseSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, tasker_id: int):
        """Operators: record a tasker's verified licence for a licensed category, which opens it"""
        with unit_of_work() as unit:
            row = verify_license(unit, g.user.id, tasker_id, data["category"], data["note"])
            unit.commit()
            return row
