"""The operators' console, market health: pick a category and a region (opened with none, the
busiest), and see its daily series as SVG line charts drawn on the server (readable without
JavaScript): by default over the days that have data, each local day's value at its middle, the
floor and the legal minimum as steps at the exact moment each version took effect, every floor
change a marked line. The charts keep their text at its size at any width (the lines stretch, the
text does not), and series with equal values stay visible (wider lines under narrower ones, each
with its own dash and mark, named in a legend). A before/after panel per change compares the tasks
priced under the version before it with those priced under it (split at the change itself, the
counts behind each figure, "too few tasks" under the threshold); the series as CSV.

Over 400 lines on purpose: the SVG charts are drawn for this one page: their scales, steps and
legend are read with the view that lays them out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from flask import Response, render_template, request
from flask_wtf import FlaskForm
from sqlmodel import col, select
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from api.console import bp
from api.platform import platform, unit_of_work
from api.web.prices import nice_step
from api.web.sign_in import signed_in, web_requires
from marketplace.clock import utcnow
from marketplace.errors import DomainError, NotFound
from marketplace.floors.models import Category, Region
from marketplace.floors.zones import day_start, label, local_day, zone_of
from marketplace.market import health
from pricing.money import format_cents

HEIGHT, TOP, BOTTOM = 210, 34, 24  # px: the chart's height, room for change labels above, day labels below
X_UNITS = 1000  # the lines' horizontal units, stretched to the chart's width (its text is never scaled)
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df")
DASHES = ("", "7 4", "2 3", "10 3 2 3", "4 2")
MARKS = ("circle", "square", "triangle", "diamond", "circle")


class MarketForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    category = SelectField("Category")
    region = SelectField("Region")
    first = DateField("From (local day)", validators=[Optional()])
    to = DateField("To (local day)", validators=[Optional()])


@dataclass(frozen=True)
class Point:
    x: float  # percent of the chart's width
    y: float  # px
    text: str  # the value, for its tooltip
    dx: float = 0.0  # px aside, so equal values of different series stand side by side


@dataclass(frozen=True)
class Plot:
    """One series. Series drawn first are drawn wider, so a later one with the same values runs
    inside it instead of hiding it; each also has its own dash pattern and mark, named in the legend."""

    name: str
    colour: str
    dash: str
    width: float
    mark: str
    runs: list[str]  # polyline points (X_UNITS wide, px high), one per run of values
    points: list[Point]  # a mark on each value shown (every lone value, and every non-zero one)

    @property
    def swatch(self) -> str:
        """The legend's sample of the line: its colour and dash pattern, as a CSS background."""
        if not self.dash:
            return f"background:{self.colour}"
        stops, at = [], 0.0
        for j, length in enumerate(float(part) for part in self.dash.split()):
            stops.append(f"{self.colour if j % 2 == 0 else 'transparent'} {at:g}px {at + length:g}px")
            at += length
        return f"background:repeating-linear-gradient(90deg,{','.join(stops)})"


@dataclass(frozen=True)
class Marker:
    x: float  # percent
    label: str  # "v2"
    summary: str
    when: str  # the moment it took effect, on the region's clock
    anchor: str  # the label runs right of the line ("start") or left of it ("end"), inside the chart
    row: int  # 0 or 1: close changes take turns, so their labels do not overlap


@dataclass(frozen=True)
class LineChart:
    key: str
    title: str
    plots: list[Plot]
    y_ticks: list[tuple[float, str]]  # (px, label)
    x_ticks: list[tuple[float, str, str]]  # (percent, label, text-anchor)
    markers: list[Marker]
    label_width: int  # characters of the longest y label (the label column's width)
    height: int = HEIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    x_units: int = X_UNITS


class Timeline:
    """Local days on a continuous axis: from the first day's start to the last day's end, a day's
    value at its middle, a step (a floor version) at its exact moment; nothing after `now`."""

    def __init__(self, days: list[date], tz, now: datetime):
        self.days, self.now = days, now
        self.start = day_start(days[0], tz)
        self.end = day_start(days[-1] + timedelta(days=1), tz)
        self.today = local_day(now, tz)
        self.bounds = [day_start(d, tz) for d in days] + [self.end]

    def at(self, moment: datetime) -> float:
        """Percent of the width at `moment` (to the second, even over a year)."""
        span = (self.end - self.start).total_seconds()
        return round(100 * min(max((moment - self.start).total_seconds(), 0), span) / span, 5)

    def day(self, i: int) -> float:
        return round((self.at(self.bounds[i]) + self.at(self.bounds[i + 1])) / 2, 5)


def _ticks(line: Timeline) -> list[tuple[float, str, str]]:
    """At most about six day labels, whatever the span: every day, each Monday, each month's first,
    or every second or third month's; the first and last keep inside the chart."""
    days, n = line.days, len(line.days)
    if n <= 6:
        chosen = [(i, f"{d:%m-%d}") for i, d in enumerate(days)]
    elif n <= 45:
        chosen = [(i, f"{d:%m-%d}") for i, d in enumerate(days) if d.weekday() == 0]
    else:
        months = tuple(range(1, 13)) if n <= 180 else (1, 4, 7, 10) if n > 270 else (1, 3, 5, 7, 9, 11)
        chosen = [(i, f"{d:%Y-%m}") for i, d in enumerate(days) if d.day == 1 and d.month in months]
    ticks = []
    for i, text in chosen:
        x = line.day(i)
        ticks.append((x, text, "start" if x < 8 else "end" if x > 92 else "middle"))
    return ticks


def _step_runs(line: Timeline, steps: list[health.Step], y, units, fmt) -> tuple[list[str], list[Point]]:
    """A step series' polylines (a value from its moment to the next one's, never past now) and a
    mark where each version that starts in view starts."""
    runs: list[str] = []
    points: list[Point] = []
    current: list[str] = []
    for s, following in zip(steps, [*steps[1:], None], strict=False):
        begin = max(s.at, line.start)
        finish = min(following.at if following else line.end, line.end, line.now)
        if s.value is None or finish <= begin:
            if s.value is None and current:
                runs.append(" ".join(current))
                current = []
            continue
        current += [f"{units(line.at(begin))},{y(s.value)}", f"{units(line.at(finish))},{y(s.value)}"]
        if s.at >= line.start:
            points.append(Point(line.at(s.at), y(s.value), fmt(s.value)))
    if current:
        runs.append(" ".join(current))
    return runs, points


def _aside(x: float, k: int, count: int, gap: float = 9) -> float:
    """Series k's marks sit this many px aside (centred on the moment, or all to one side near an
    edge, so none is cut off)."""
    if x > 94:
        return (k - (count - 1)) * gap
    if x < 6:
        return k * gap
    return (k - (count - 1) / 2) * gap


def line_chart(
    key,
    title,
    line: Timeline,
    daily: dict[str, list],
    fmt,
    changes,
    tz,
    scale: float = 1.0,
    at_least: int = 1,
    steps: dict[str, list[health.Step]] | None = None,
) -> LineChart:
    """Daily series (None leaves a gap; days after today are never drawn) and step series (a value
    from a moment on), y from 0 to a round top, and a marked line at each floor change's moment."""
    steps = steps or {}
    shown = [i for i, d in enumerate(line.days) if d <= line.today]
    values = [series[i] for series in daily.values() for i in shown if series[i] is not None]
    for series in steps.values():
        for s, following in zip(series, [*series[1:], None], strict=False):
            if (
                s.value is not None
                and s.at < min(line.end, line.now)
                and (following is None or following.at > line.start)
            ):
                values.append(s.value)
    top_value = max(max(values, default=0) * scale, at_least)
    step = nice_step(max(int(top_value) + 1, 1))
    top = step * max(1, -(-int(top_value) // step))
    plot_h = HEIGHT - TOP - BOTTOM

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - v * scale / top), 1)

    def units(x: float) -> float:
        return round(x * X_UNITS / 100, 4)

    names = [*daily, *steps]
    plots = []
    for k, name in enumerate(names):
        runs: list[str] = []
        points: list[Point] = []
        if name in daily:
            current: list[tuple[float, float, float]] = []
            for i in [*shown, None]:
                v = daily[name][i] if i is not None else None
                if v is not None and i is not None:
                    current.append((line.day(i), y(v), v))
                    continue
                if len(current) > 1:
                    runs.append(" ".join(f"{units(px)},{py}" for px, py, _ in current))
                points += [Point(px, py, fmt(value)) for px, py, value in current if value or len(current) == 1]
                current = []
        else:
            runs, points = _step_runs(line, steps[name], y, units, fmt)
        width = round(2 + 1.25 * (len(names) - 1 - k), 2)
        points = [replace(p, dx=_aside(p.x, k, len(names))) for p in points]
        plots.append(Plot(name, COLOURS[k % 5], DASHES[k % 5], width, MARKS[k % 5], runs, points))
    y_ticks = [(y(v / scale), fmt(v / scale)) for v in range(0, top + 1, step)]
    markers: list[Marker] = []
    for c in changes:
        if not line.start <= c.effective_from < line.end:
            continue
        x = line.at(c.effective_from)
        row = 1 - markers[-1].row if markers and x - markers[-1].x < 12 else 0
        summary = c.summary or f"hourly floor {format_cents(c.hourly_floor)}"
        when = label(c.effective_from, tz)
        markers.append(Marker(x, f"v{c.version}", summary, when, "end" if x > 55 else "start", row))
    return LineChart(key, title, plots, y_ticks, _ticks(line), markers, max(len(t) for _, t in y_ticks))


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds / 60:g} min" if seconds < 7200 else f"{seconds / 3600:g} h"


def charts(
    days: list[health.Day],
    changes: list[health.FloorChange],
    currency: str,
    tz,
    now: datetime,
    floors: list[health.Step],
    minimums: list[health.Step],
) -> list[LineChart]:
    line = Timeline([d.day for d in days], tz, now)
    rows = [d.figures() for d in days]

    def column(name: str) -> list:
        return [r[name] for r in rows]

    def money(cents: float) -> str:
        return format_cents(int(cents), currency).rsplit(" ", 1)[0]  # the currency is in the title

    def count(v: float) -> str:
        return f"{v:g}"

    return [
        line_chart(
            "postings", "Tasks priced and filled (accepted, not given back), per day", line,
            {"priced": column("priced"), "filled": column("accepted")}, count, changes, tz,
        ),
        line_chart(
            "fill-rate", "Fill rate (filled / priced)", line,
            {"fill rate": column("fill_rate")}, lambda v: f"{v * 100:.0f}%", changes, tz, scale=100, at_least=100,
        ),
        line_chart(
            "time-to-accept", "Time to accept (bucket upper bounds)", line,
            {"p50": column("accept_p50_s"), "p90": column("accept_p90_s")}, _minutes, changes, tz, scale=1 / 60,
        ),
        line_chart(
            "pay", f"Effective pay per hour worked, the floor and the legal minimum ({currency} an hour)", line,
            {"effective pay": column("effective_pay_per_hour")}, money, changes, tz, scale=1 / 100,
            steps={"hourly floor": floors, "legal minimum": minimums},
        ),
        line_chart(
            "trouble", "Cancellations, hand-offs and disputed adjustments", line,
            {
                "cancelled by client": column("cancelled_by_client"),
                "cancelled by tasker": column("cancelled_by_tasker"),
                "hand-offs": column("handoffs"),
                "adjustments disputed": column("adjustments_disputed"),
            },
            count, changes, tz,
        ),
        line_chart(
            "community", "Community: tips, questions, answers and endorsements (UTC days)", line,
            {
                "tips": column("tips"),
                "questions": column("questions"),
                "answers": column("answers"),
                "endorsements": column("endorsements"),
            },
            count, changes, tz,
        ),
    ]  # fmt: skip


def _choices(form: MarketForm, session) -> None:
    form.category.choices = [(c.slug, c.name) for c in session.exec(select(Category).order_by(col(Category.name)))]
    form.region.choices = [(r.slug, r.name) for r in session.exec(select(Region).order_by(col(Region.name)))]
    # Opened with no choice (the header's link): the busiest category and region, else the first.
    if not form.category.data or not form.region.data:
        firsts = [choices[0][0] if choices else "" for choices in (form.category.choices, form.region.choices)]
        busiest = health.busiest(session, form.category.data or None, form.region.data or None) or firsts
        form.category.data = form.category.data or busiest[0]
        form.region.data = form.region.data or busiest[1]


def _read(form: MarketForm, session):
    """The chosen place and span, its days and floor changes; DomainError for a bad choice."""
    category, region = form.category.data, form.region.data
    place = health.check_place(session, category, region)
    now = utcnow()
    if form.first.data or form.to.data:
        first, last = health.span(session, place.slug, form.first.data, form.to.data, now)
    else:  # by default the days with data, so they are not squeezed against the right edge
        first, last = health.data_span(session, category, place.slug, now)
    days = health.series(session, category, place.slug, first, last)
    threshold = platform().policy.market_too_few_tasks
    changes = health.floor_changes(session, category, place.slug, first, last, threshold)
    form.first.data, form.to.data = first, last
    form.first.raw_data = form.to.raw_data = []  # show the span used, not the empty fields sent
    return place, days, changes, threshold


@bp.get("/market")
@web_requires("operator")
def market():
    form = MarketForm(request.args)
    status, problem, drawn, when = 200, None, [], {}
    with unit_of_work() as unit:
        session = unit.session
        _choices(form, session)
        place = days = changes = threshold = None
        if form.validate():
            try:
                place, days, changes, threshold = _read(form, session)
            except DomainError as exc:
                problem = " ".join(m for ms in exc.errors.values() for m in ms) or exc.message
                status = 404 if isinstance(exc, NotFound) else 422
            else:
                tz = zone_of(session, place.slug)
                floors = health.floor_steps(session, form.category.data, place.slug)
                minimums = health.legal_steps(session, place.slug)
                drawn = charts(days, changes, place.currency, tz, utcnow(), floors, minimums) if days else []
                when = {c.version: label(c.effective_from, tz) for c in changes}
        else:
            status = 422
    return render_template(
        "console/market.html",
        form=form,
        place=place,
        days=days,
        changes=changes,
        when=when,
        threshold=threshold,
        charts=drawn,
        problem=problem,
        money=format_cents,
        minutes=_minutes,
        user=signed_in(),
    ), status


@bp.get("/market.csv")
@web_requires("operator")
def market_csv():
    form = MarketForm(request.args)
    with unit_of_work() as unit:
        _choices(form, unit.session)
        if not form.validate():
            text = "Check the category, the region and the dates (YYYY-MM-DD).\n"
            return Response(text, status=422, mimetype="text/plain")
        try:
            place, days, _, _ = _read(form, unit.session)
        except DomainError as exc:
            text = " ".join(m for ms in exc.errors.values() for m in ms) or exc.message
            return Response(text + "\n", status=422, mimetype="text/plain")
    name = f"market-{form.category.data}-{place.slug}-{form.first.data}-{form.to.data}.csv"
    return Response(
        health.to_csv(days),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
