"""Download my data over the API: ask for an archive, follow its progress, and download it once.
The same use cases as /account/data (marketplace/data_export); the email's link is for the web."""

from __future__ import annotations

from flask import g, make_response
from flask.views import MethodView
from marshmallow import fields

from api.auth import SECURITY, requires
from api.errors import refuse
from api.input import ApiSchema, Blueprint
from api.platform import unit_of_work
from marketplace.data_export.jobs import LinkUsed, export_of, exports_of, request_export, take

blp = Blueprint(
    "data_export", __name__, url_prefix="/api/v1/me/data-exports", description="Download my data: archives of it"
)


class DataExportSchema(ApiSchema):
    id = fields.Integer()
    status = fields.String(
        metadata={"description": "queued, building, ready, downloaded (it works once), expired or failed"}
    )
    progress = fields.Integer(metadata={"description": "Kinds written so far, of `steps`"})
    steps = fields.Integer(metadata={"description": "Kinds in the archive (one JSON file each)"})
    step = fields.String(metadata={"description": "The kind being written now (while building)"})
    requested_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "Ready until then, UTC"})
    downloaded_at = fields.DateTime(allow_none=True)
    size_bytes = fields.Integer()
    error = fields.String(metadata={"description": "Why it could not be built (when failed)"})
    download = fields.String(
        allow_none=True, metadata={"description": "The call that downloads it, while it is ready (it works once)"}
    )


class DataExportListSchema(ApiSchema):
    exports = fields.List(fields.Nested(DataExportSchema), metadata={"description": "Newest first, the last 20"})


def _view(export) -> dict:
    ready = export.is_ready
    return {
        **export.model_dump(exclude={"archive", "token_hash", "user_id", "lease_until"}),
        "download": f"POST /api/v1/me/data-exports/{export.id}/download" if ready else None,
    }


@blp.route("")
class DataExports(MethodView):
    @requires()
    @blp.response(200, DataExportListSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your data archives and how far each has got"""
        with unit_of_work() as unit:
            return {"exports": [_view(e) for e in exports_of(unit.session, g.user.id)]}

    @requires()
    @blp.response(202, DataExportSchema)
    @blp.alt_response(409, description="An archive of yours is being built already")
    @blp.doc(security=SECURITY)
    def post(self):
        """Ask for an archive of your data: built in the background; an email brings a one-time link

        Every row about you, one JSON file per kind (profile, tasks, messages you sent, reviews given
        and received, payments, payouts, notifications, endorsements, questions and answers, tips,
        network); others appear as ids or a role label, never with their words."""
        with unit_of_work() as unit:
            export = request_export(unit, g.user)
            unit.commit()
            return _view(export)


@blp.route("/<int:export_id>")
class DataExportOne(MethodView):
    @requires()
    @blp.response(200, DataExportSchema)
    @blp.doc(security=SECURITY)
    def get(self, export_id: int):
        """One of your data archives: its status and progress"""
        with unit_of_work() as unit:
            return _view(export_of(unit.session, g.user.id, export_id))


@blp.route("/<int:export_id>/download")
class DataExportDownload(MethodView):
    @requires()
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/zip",
        description="The archive (a zip of JSON files); it is deleted from Floorboard as it is sent",
    )
    @blp.alt_response(409, description="Not ready yet")
    @blp.alt_response(410, description="Downloaded already (it works once), or expired")
    @blp.doc(security=SECURITY)
    def post(self, export_id: int):
        """Download a ready archive, once"""
        try:
            with unit_of_work() as unit:
                archive = take(unit, export_id, g.user.id)
                unit.commit()
        except LinkUsed as exc:
            refuse(410, str(exc))
        response = make_response(archive)
        response.headers["Content-Type"] = "application/zip"
        response.headers["Content-Disposition"] = f'attachment; filename="floorboard-data-{export_id}.zip"'
        response.headers["Cache-Control"] = "no-store"
        return response
