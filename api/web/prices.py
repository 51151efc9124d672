"""The public "How prices work" pages: for each region, every category's floor in names, the minimum
billable time and increment, the fees, the legal minimum the floor respects, the next scheduled change,
and a server-drawn SVG chart of the hourly floors over time. Open to everyone, no JavaScript."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, render_template
from sqlmodel import col, select

from api.platform import uow
from api.web.sign_in import web_user
from marketplace.clock import utcnow
from marketplace.floors.models import Region
from marketplace.floors.published import floor_timeline, published_floors
from pricing.money import format_cents

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
bp = Blueprint("prices", __name__, url_prefix="/prices")

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 640, 240, 64, 28, 12, 12
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0969da", "#57606a")


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    points: str  # SVG polyline points
    label_y: float


@dataclass(frozen=True)
class Chart:
    lines: list[Line]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    now_x: float


def draw(timeline: dict[str, list[tuple[datetime, int]]], names: dict[str, str], currency: str) -> Chart | None:
    """Step lines of each category's hourly floor, from its first version to past the last change."""
    if not timeline:
        return None
    now = utcnow()
    start = min(steps[0][0] for steps in timeline.values())
    end = max(max(s[0] for s in steps) for steps in timeline.values())
    end = max(end, now) + max((max(end, now) - start) * 0.1, timedelta(days=7))
    top = max(v for steps in timeline.values() for _, v in steps) * 1.15 or 1
    span = (end - start).total_seconds() or 1.0

    def x(when: datetime) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (when - start).total_seconds() / span, 1)

    def y(cents: int) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * cents / top, 1)

    lines = []
    for i, (category, steps) in enumerate(timeline.items()):
        points = []
        for n, (when, cents) in enumerate(steps):
            until = steps[n + 1][0] if n + 1 < len(steps) else end
            points += [f"{x(when)},{y(cents)}", f"{x(until)},{y(cents)}"]
        lines.append(Line(names.get(category, category), COLOURS[i % len(COLOURS)], " ".join(points), y(steps[-1][1])))
    y_ticks = [(y(round(top * k / 4)), format_cents(round(top * k / 4), currency)) for k in range(5)]
    x_ticks = [(x(start + (end - start) * k / 4), f"{start + (end - start) * k / 4:%Y-%m-%d}") for k in range(5)]
    return Chart(lines, y_ticks, x_ticks, x(now))


@bp.get("")
def regions():
    with uow() as unit:
        places = list(unit.session.exec(select(Region).order_by(col(Region.name))))
    return render_template("web/prices_index.html", regions=places, user=web_user())


@bp.get("/<region>")
def region_page(region: str):
    if not SLUG.fullmatch(region):  # not a region id (and PostgreSQL refuses NUL in a lookup)
        abort(404, description=f"No region {region[:64]!r}.")
    with uow() as unit:
        place = unit.session.get(Region, region)
        if place is None:
            abort(404, description=f"No region {region!r}.")
        floors = published_floors(unit.session, region)
        timeline = floor_timeline(unit.session, region)
    names = {f["category"]: f["category_name"] for f in floors}
    chart = draw(timeline, names, place.currency)
    return render_template(
        "web/prices.html",
        region=place,
        floors=floors,
        chart=chart,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        bottom=BOTTOM,
        money=lambda cents: format_cents(cents, place.currency),
        percent=lambda bps: f"{bps / 100:g}%",
        user=web_user(),
    )
