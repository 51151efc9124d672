"""Download my data on the web: /account/data asks for an archive and shows each export's progress
(app.js polls the status box and reloads when it changes; without JavaScript, the page says to
refresh it), and the email's link opens /account/data/download/<token>, a page whose button hands
the archive over once. A link scanner that fetches the link (a GET) takes nothing; the POST does.
The same use cases as /api/v1/me/data-exports."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from api.platform import unit_of_work
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, render_page
from marketplace.data_export.jobs import LinkUsed, exports_of, peek, request_export, take
from marketplace.data_export.models import ExportStatus
from marketplace.errors import Conflict, NotFound
from marketplace.floors.zones import zone_name
from marketplace.tasks.reader_clock import reader_clock

SAID = {
    ExportStatus.queued: "Waiting to start",
    ExportStatus.building: "Being built",
    ExportStatus.ready: "Ready: the link is in your email",
    ExportStatus.downloaded: "Downloaded (the link worked once)",
    ExportStatus.expired: "Expired before it was downloaded",
    ExportStatus.failed: "Could not be built",
}


class ExportForm(FlaskForm):
    """The CSRF token of 'Build an archive' and of the download button."""


def _clock():
    with unit_of_work() as unit:
        tz = reader_clock(unit.session, signed_in())

    def when(at: datetime | None) -> str:
        return f"{at.astimezone(tz):%Y-%m-%d %H:%M} {zone_name(tz, at)}" if at else ""

    return when


def _exports():
    with unit_of_work() as unit:
        rows = exports_of(unit.session, signed_in().id)
        unit.session.expunge_all()
    return rows


@bp.route("/account/data", methods=["GET", "POST"])
@web_requires()
def account_data():
    form, status = ExportForm(), 200
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("The form expired: send it again.")
            status = 400
        else:
            try:
                with unit_of_work() as unit:
                    request_export(unit, signed_in())
                    unit.commit()
            except Conflict as exc:
                flash(exc.message)
                status = 409
            else:
                flash("Building your archive: this page shows how far it has got, and an email brings the link.")
                return redirect(url_for("web.account_data")), 303
    rows = _exports()
    waiting = any(e.is_waiting for e in rows)
    return render_page(
        "web/account_data.html", status, form=form, exports=rows, waiting=waiting, said=SAID, when=_clock()
    )


@bp.get("/account/data/status")
@web_requires()
def account_data_status():
    """The status box alone, for app.js's poller (it reloads the page when a status changes)."""
    rows = _exports()
    waiting = any(e.is_waiting for e in rows)
    return render_template("web/_export_status.html", exports=rows, waiting=waiting, said=SAID)


def _export_for_link(token: str):
    """The signed-in person's export that the link names: 404 for anyone else's or none."""
    if len(token) > 100:
        abort(404, description="No such download link.")
    with unit_of_work() as unit:
        try:
            export = peek(unit.session, token)
        except NotFound:
            abort(404, description="No such download link.")
        if export.user_id != signed_in().id:
            abort(404, description="No such download link.")  # another person's: as if none
        unit.session.expunge(export)
    return export


@bp.route("/account/data/download/<token>", methods=["GET", "POST"])
@web_requires()
def account_data_download(token: str):
    export = _export_for_link(token)
    form = ExportForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            with unit_of_work() as unit:
                archive = take(unit, export.id, signed_in().id)
                unit.commit()
        except LinkUsed as exc:
            abort(410, description=str(exc))
        response = make_response(archive)
        response.headers["Content-Type"] = "application/zip"
        response.headers["Content-Disposition"] = f'attachment; filename="floorboard-data-{export.id}.zip"'
        response.headers["Cache-Control"] = "no-store"
        return response
    if request.method == "POST":
        flash("The form expired: send it again.")
    if not export.is_ready:
        abort(410, description=f"This link works no more: the archive was {export.status}. Ask for a new one.")
    return render_page(
        "web/account_data_download.html",
        400 if request.method == "POST" else 200,
        form=form,
        export=export,
        when=_clock(),
    )
