"""The public "How prices work" pages: for each region, every category's floor in names, the minimum
billable time and increment, the fees, the legal minimum the floor respects, the next scheduled change,
and a server-drawn SVG chart of the hourly floors over time. Open to everyone, no JavaScript."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, render_template
from sqlmodel import col, select

from api.platform import unit_of_work
from api.web.sign_in import web_user
from marketplace.clock import utcnow
from marketplace.floors.legal import history, in_force
from marketplace.floors.models import FloorRuleVersion, Region
from marketplace.floors.published import floor_timeline, published_floors
from pricing.money import format_cents

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
bp = Blueprint("prices", __name__, url_prefix="/prices")

HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 240, 76, 28, 12, 16
WIDE, NARROW = 640, 360  # drawn once for each: a phone shows the narrow one at about its own size
LABEL_HALF = 34  # about half a date label's width at font size 11, in the chart's units
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0969da", "#57606a")


@dataclass(frozen=True)
class Line:
    names: list[str]  # categories whose floors are equal all along share one line
    colour: str
    points: str  # SVG polyline points
    dash: str  # an SVG dash pattern, so lines that meet stay told apart


@dataclass(frozen=True)
class Chart:
    lines: list[Line]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]  # x, label, text-anchor (a label near an edge leans inward)
    now_x: float
    now_anchor: str
    width: int


def nice_step(top: int, ticks: int = 4) -> int:
    """A round step in cents (1, 2, 2.5 or 5 times a power of ten) so that `ticks` steps cover `top`."""
    raw = max(top / ticks, 1)
    power = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return 10 * power


def _months_after(when: datetime, months: int) -> datetime:
    month = when.month - 1 + months
    return when.replace(year=when.year + month // 12, month=month % 12 + 1, day=1)


def date_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Evenly spaced calendar dates: Mondays for a short span, first days of months (every 1, 3,
    6 or 12) for longer ones, at most about six."""
    days = (end - start).days
    if days <= 56:
        step = timedelta(weeks=max(1, -(-days // 42)))
        first = (start + timedelta(days=(7 - start.weekday()) % 7)).replace(hour=0, minute=0, second=0, microsecond=0)
        return [first + step * k for k in range(12) if first + step * k <= end]
    months = next(m for m in (1, 3, 6, 12, 24, 60) if days / (30.4 * m) <= 6)
    first = _months_after(start.replace(hour=0, minute=0, second=0, microsecond=0), 1)
    while (first.month - 1) % months:
        first = _months_after(first, 1)
    out = []
    while first <= end:
        out.append(first)
        first = _months_after(first, months)
    return out


def anchor(x: float, width: int) -> str:
    """How a label centred on `x` stays inside a chart `width` wide."""
    if x - LABEL_HALF < 0:
        return "start"
    return "end" if x + LABEL_HALF > width else "middle"


def draw(
    timeline: dict[str, list[tuple[datetime, int]]], names: dict[str, str], currency: str, width: int = WIDE
) -> Chart | None:
    """Step lines of each category's hourly floor, from its first version to past the last change."""
    if not timeline:
        return None
    now = utcnow()
    start = min(steps[0][0] for steps in timeline.values())
    end = max(max(s[0] for s in steps) for steps in timeline.values())
    end = max(end, now) + max((max(end, now) - start) * 0.1, timedelta(days=7))
    highest = max(v for steps in timeline.values() for _, v in steps)
    step = nice_step(highest)
    top = step * (-(-highest // step) + (1 if highest % step == 0 else 0))  # headroom above the highest line
    span = (end - start).total_seconds() or 1.0

    def x(when: datetime) -> float:
        return round(LEFT + (width - LEFT - RIGHT) * (when - start).total_seconds() / span, 1)

    def y(cents: int) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * cents / top, 1)

    shared: dict[str, list[str]] = {}  # drawn points -> the categories drawn there
    for category, steps in timeline.items():
        points = []
        for n, (when, cents) in enumerate(steps):
            until = steps[n + 1][0] if n + 1 < len(steps) else end
            points += [f"{x(when)},{y(cents)}", f"{x(until)},{y(cents)}"]
        shared.setdefault(" ".join(points), []).append(names.get(category, category))
    lines = [
        Line(together, COLOURS[i % len(COLOURS)], points, ("", "6 3", "2 3", "8 3 2 3")[i // len(COLOURS) % 4])
        for i, (points, together) in enumerate(shared.items())
    ]
    y_ticks = [(y(v), format_cents(v, currency)) for v in range(0, top + 1, step)]
    dates = date_ticks(start, end)
    if width < WIDE:
        dates = dates[:: -(-len(dates) // 3)]  # at most three labels fit a phone's chart
    x_ticks = [(x(when), f"{when:%Y-%m-%d}", anchor(x(when), width)) for when in dates]
    now_anchor = "end" if x(now) + 4 + 2 * LABEL_HALF // 3 > width else "start"
    return Chart(lines, y_ticks, x_ticks, x(now), now_anchor, width)


def commissions(session, region: str, floors: list[dict]) -> dict[str, int]:
    """The tasker commission (bps) of each category's version in force, by category name, for the
    categories that take one: the published figures leave it out, but the page says who is paid what."""
    wanted = {(f["category"], f["version"]): f["category_name"] for f in floors}
    rows = session.exec(select(FloorRuleVersion).where(col(FloorRuleVersion.region) == region))
    return {
        wanted[(r.category, r.version)]: r.tasker_commission_bps
        for r in rows
        if (r.category, r.version) in wanted and r.tasker_commission_bps
    }


@bp.get("")
def regions():
    with unit_of_work() as unit:
        places = list(unit.session.exec(select(Region).order_by(col(Region.name))))
    return render_template("web/prices_index.html", regions=places, user=web_user())


@bp.get("/<region>")
def region_page(region: str):
    if not SLUG.fullmatch(region):  # not a region id (and PostgreSQL refuses NUL in a lookup)
        abort(404, description=f"No region {region[:64]!r}.")
    with unit_of_work() as unit:
        place = unit.session.get(Region, region)
        if place is None:
            abort(404, description=f"No region {region!r}.")
        floors = published_floors(unit.session, region)
        timeline = floor_timeline(unit.session, region)
        legal = in_force(history(unit.session, region), utcnow())
        commission = commissions(unit.session, region, floors)
    names = {f["category"]: f["category_name"] for f in floors}
    charts = [c for c in (draw(timeline, names, place.currency, w) for w in (WIDE, NARROW)) if c is not None]
    return render_template(
        "web/prices.html",
        region=place,
        legal=legal,
        floors=floors,
        charts=charts,
        commission=commission,
        height=HEIGHT,
        left=LEFT,
        bottom=BOTTOM,
        money=lambda cents: format_cents(cents, place.currency),
        percent=lambda bps: f"{bps / 100:g}%",
        user=web_user(),
    )
