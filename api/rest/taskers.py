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
    SkillsChangedSchema,
    SkillsUpdateSchema,
    SkillsViewSchema,
    SkillUpdateSchema,
)
from api.rest.tasks import waiting_view
from marketplace.clock import utcnow
from marketplace.network.connections import network_summary
from marketplace.taskers.levels import verify_license
from marketplace.taskers.profile import public_reputation
from marketplace.taskers.skills import Changes, SkillSpec, put_skill, remove_skill, set_skills, skills_view

blp = Blueprint("taskers", __name__, url_prefix="/api/v1/taskers", description="Taskers' skills and reputation")


def _view(unit, changes: Changes | None = None) -> dict:
    view = {**skills_view(unit.session, g.user.id), "waiting": waiting_view(unit.session, g.user.id, utcnow())}
    return view if changes is None else {**view, "changed": changes.as_dict()}


def _spec(category: str, data: dict) -> SkillSpec:
    return SkillSpec(category, data["rate"], {r["region"]: r["rate"] for r in data["region_rates"]})


@blp.route("/me/skills")
class MySkills(MethodView):
    @requires("tasker")
    @blp.response(200, SkillsViewSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your regions and skills: each skill's rate, and per region the rate that applies there, its
        floor, whether you set it, and any raise a floor increase made to it; and `waiting`: what
        matches you but is not in your feed yet, and when your tier's window opens it"""
        with unit_of_work() as unit:
            return _view(unit)

    @requires("tasker")
    @blp.arguments(SkillsUpdateSchema, example=EXAMPLES[SkillsUpdateSchema])
    @blp.response(200, SkillsChangedSchema)
    @blp.alt_response(422, description="A rate is below the floor of a region it applies in (the error names it)")
    @blp.doc(security=SECURITY)
    def put(self, data):
        """Replace all your regions and skills; `changed` says what that replaced

        A skill's `rate` applies in each of your regions without a rate of its own (`region_rates`);
        each region's rate must be at least that region's floor. A skill or region left out is
        removed, and a region's own rate left out goes back to the skill's rate: `changed` lists
        them. To add, change or remove one skill, use `PUT` or `DELETE /taskers/me/skills/{category}`."""
        with unit_of_work() as unit:
            changes = set_skills(unit, g.user.id, data["regions"], [_spec(s["category"], s) for s in data["skills"]])
            unit.commit()
            return _view(unit, changes)


@blp.route("/me/skills/<string:category>")
class MySkill(MethodView):
    @requires("tasker")
    @blp.arguments(SkillUpdateSchema, example=EXAMPLES[SkillUpdateSchema])
    @blp.response(200, SkillsChangedSchema)
    @blp.alt_response(422, description="A rate is below a region's floor, or the category is unknown")
    @blp.doc(security=SECURITY)
    def put(self, data, category: str):
        """Add one skill, or change its rates, leaving your other skills and your regions as they are

        A region left out of `region_rates` takes `rate`. `changed` says what changed."""
        with unit_of_work() as unit:
            changes = put_skill(unit, g.user.id, _spec(category, data))
            unit.commit()
            return _view(unit, changes)

    @requires("tasker")
    @blp.response(200, SkillsChangedSchema)
    @blp.alt_response(404, description="Not one of your skills")
    @blp.doc(security=SECURITY)
    def delete(self, category: str):
        """Remove one skill (and its regions' own rates); `changed` says so"""
        with unit_of_work() as unit:
            changes = remove_skill(unit, g.user.id, category)
            unit.commit()
            return _view(unit, changes)


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
