"""The operators' console, market health: pick a category and a region, and see its daily series
over 90 local days as SVG line charts drawn on the server (readable without JavaScript), every
floor change drawn as a marked line with its public summary; a before/after panel per change (14
days against 14, the counts behind each figure, "too few tasks" under the threshold); the series as
CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
from marketplace.market import health
from pricing.money import format_cents

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 200, 70, 16, 22, 26
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df")


class MarketForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    category = SelectField("Category")
    region = SelectField("Region")
    first = DateField("From (local day)", validators=[Optional()])
    to = DateField("To (local day)", validators=[Optional()])


@dataclass(frozen=True)
class Plot:
    name: str
    colour: str
    runs: list[str]  # SVG polyline points, one per run of days with a value
    dots: list[tuple[float, float, str]]  # a lone day's point, with its value for the tooltip


@dataclass(frozen=True)
class Marker:
    x: float
    label: str
    summary: str


@dataclass(frozen=True)
class LineChart:
    key: str
    title: str
    plots: list[Plot]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    markers: list[Marker]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def line_chart(
    key, title, days: list[date], lines: dict[str, list], fmt, changes, scale: float = 1.0, at_least: int = 1
) -> LineChart:
    """Lines over the days (None leaves a gap), y from 0 to a round top, the first of each month
    (or each Monday, for short spans) ticked, and a marker on each floor change's day."""
    n = max(len(days) - 1, 1)
    values = [v for series in lines.values() for v in series if v is not None]
    top_value = max(max(values, default=0) * scale, at_least)
    step = nice_step(max(int(top_value) + 1, 1))
    top = step * max(1, -(-int(top_value) // step))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + plot_w * i / n, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - v * scale / top), 1)

    plots = []
    for k, (name, series) in enumerate(lines.items()):
        runs, dots, current = [], [], []
        for i, v in enumerate([*series, None]):
            if v is not None:
                current.append((x(i), y(v), v))
                continue
            if len(current) > 1:
                runs.append(" ".join(f"{px},{py}" for px, py, _ in current))
            elif current:
                dots.append((current[0][0], current[0][1], fmt(current[0][2])))
            current = []
        plots.append(Plot(name, COLOURS[k % len(COLOURS)], runs, dots))
    y_ticks = [(y(v / scale), fmt(v / scale)) for v in range(0, top + 1, step)]
    if len(days) <= 31:
        x_ticks = [(x(i), f"{d:%m-%d}") for i, d in enumerate(days) if d.weekday() == 0]
    else:
        x_ticks = [(x(i), f"{d:%Y-%m-%d}") for i, d in enumerate(days) if d.day == 1]
    index = {d: i for i, d in enumerate(days)}
    markers = [
        Marker(x(index[c.day]), f"v{c.version}", c.summary or f"hourly floor {format_cents(c.hourly_floor)}")
        for c in changes
        if c.day in index
    ]
    return LineChart(key, title, plots, y_ticks, x_ticks, markers)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds / 60:g} min" if seconds < 7200 else f"{seconds / 3600:g} h"


def charts(days: list[health.Day], changes: list[health.FloorChange], currency: str) -> list[LineChart]:
    dates = [d.day for d in days]
    rows = [d.figures() for d in days]

    def column(name: str) -> list:
        return [r[name] for r in rows]

    def money(cents: float) -> str:
        return format_cents(int(cents), currency)

    return [
        line_chart(
            "postings", "Tasks priced and accepted, per day", dates,
            {"priced": column("priced"), "accepted": column("accepted")}, lambda v: f"{v:g}", changes,
        ),
        line_chart(
            "fill-rate", "Fill rate (accepted / priced)", dates,
            {"fill rate": column("fill_rate")}, lambda v: f"{v * 100:.0f}%", changes, scale=100, at_least=100,
        ),
        line_chart(
            "time-to-accept", "Time to accept (bucket upper bounds)", dates,
            {"p50": column("accept_p50_s"), "p90": column("accept_p90_s")}, _minutes, changes, scale=1 / 60,
        ),
        line_chart(
            "pay", "Effective pay per hour worked, the floor and the legal minimum", dates,
            {
                "effective pay": column("effective_pay_per_hour"),
                "hourly floor": column("hourly_floor"),
                "legal minimum": column("legal_minimum_per_hour"),
            },
            money, changes, scale=1 / 100,
        ),
        line_chart(
            "trouble", "Cancellations, hand-offs and disputed adjustments", dates,
            {
                "cancelled by client": column("cancelled_by_client"),
                "cancelled by tasker": column("cancelled_by_tasker"),
                "hand-offs": column("handoffs"),
                "adjustments disputed": column("adjustments_disputed"),
            },
            lambda v: f"{v:g}", changes,
        ),
        line_chart(
            "community", "Community: tips, questions, answers and endorsements (UTC days)", dates,
            {
                "tips": column("tips"),
                "questions": column("questions"),
                "answers": column("answers"),
                "endorsements": column("endorsements"),
            },
            lambda v: f"{v:g}", changes,
        ),
    ]  # fmt: skip


def _choices(form: MarketForm, session) -> None:
    form.category.choices = [(c.slug, c.name) for c in session.exec(select(Category).order_by(col(Category.name)))]
    form.region.choices = [(r.slug, r.name) for r in session.exec(select(Region).order_by(col(Region.name)))]


def _read(form: MarketForm, session):
    """The chosen place and span, its days and floor changes; DomainError for a bad choice."""
    category = form.category.data or (form.category.choices[0][0] if form.category.choices else "")
    region = form.region.data or (form.region.choices[0][0] if form.region.choices else "")
    place = health.check_place(session, category, region)
    first, last = health.span(session, place.slug, form.first.data, form.to.data, utcnow())
    days = health.series(session, category, place.slug, first, last)
    threshold = platform().settings.market_too_few_tasks
    changes = health.floor_changes(session, category, place.slug, first, last, threshold)
    form.category.data, form.region.data, form.first.data, form.to.data = category, place.slug, first, last
    form.first.raw_data = form.to.raw_data = []  # show the span used, not the empty fields sent
    return place, days, changes, threshold


@bp.get("/market")
@web_requires("operator")
def market():
    form = MarketForm(request.args)
    status, problem = 200, None
    with unit_of_work() as unit:
        _choices(form, unit.session)
        place = days = changes = threshold = None
        if form.validate():
            try:
                place, days, changes, threshold = _read(form, unit.session)
            except DomainError as exc:
                problem = " ".join(m for ms in exc.errors.values() for m in ms) or exc.message
                status = 404 if isinstance(exc, NotFound) else 422
        else:
            status = 422
    return render_template(
        "console/market.html",
        form=form,
        place=place,
        days=days,
        changes=changes,
        threshold=threshold,
        charts=charts(days, changes or [], place.currency) if place and days else [],
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
            return Response("Check the dates: YYYY-MM-DD.\n", status=422, mimetype="text/plain")
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
