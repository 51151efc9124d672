"""What every client page shares: the blueprint, the names of places, rendering, and the checks a
client's own task goes through."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, g, render_template
from markupsafe import Markup
from sqlmodel import select

from api.platform import unit_of_work
from api.web.sign_in import signed_in, web_user
from marketplace.community.tips import sanitize_html
from marketplace.errors import DomainError
from marketplace.floors.models import Category, Region
from marketplace.floors.zones import UTC, label, zones_of
from marketplace.tasks.models import Task
from marketplace.tasks.parties import is_client
from pricing.money import format_cents

bp = Blueprint("web", __name__)


@bp.app_template_global()
def named(kind: str, slug: str) -> str:
    """A category's or region's name for a page, in place of its slug (looked up once per request)."""
    if "place_names" not in g:
        with unit_of_work() as unit:
            g.place_names = {
                "category": {c.slug: c.name for c in unit.session.exec(select(Category))},
                "region": {r.slug: r.name for r in unit.session.exec(select(Region))},
            }
    return g.place_names[kind].get(slug, slug)


def render_page(template: str, status: int = 200, **context):
    return render_template(template, user=web_user(), money=format_cents, **context), status


@bp.app_template_global()
def endpoint_exists(endpoint: str) -> bool:
    """Whether the app serves this endpoint (the header lists the tasker's pages that exist)."""
    return endpoint in current_app.view_functions


@bp.app_template_global()
def local_time(at: datetime | None, region: str) -> Markup:
    """A moment as the region's people read it: a <time> with its local clock time and the zone's
    abbreviation that day (PST or PDT), the exact instant in its datetime attribute."""
    if at is None:
        return Markup("")
    if "place_zones" not in g:
        with unit_of_work() as unit:
            g.place_zones = zones_of(unit.session)
    return Markup('<time datetime="{}">{}</time>').format(at.isoformat(), label(at, g.place_zones.get(region, UTC)))


@bp.app_template_filter("sanitized")
def sanitized(html: str) -> Markup:
    """Tip bodies were sanitized when written; cleaning again on the way out costs little."""
    return Markup(sanitize_html(html))


def attempt(unit, action, done) -> None:
    """Run a client's action and commit it; flash what happened, or why it was refused."""
    try:
        result = action()
        unit.commit()
    except DomainError as exc:
        flash(exc.message)
    else:
        flash(done(result) if callable(done) else done)


def own_task(s, task_id: int) -> Task:
    task = s.get(Task, task_id)
    if task is None or not is_client(signed_in(), task):
        abort(404, description=f"No task {task_id} of yours.")
    return task


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it on every page (base.html names no other): the
    SVG in api/static, cached for a day."""
    with current_app.open_resource("static/favicon.svg") as svg:
        icon = svg.read()
    return icon, 200, {"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"}
