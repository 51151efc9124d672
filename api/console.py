"""The operators' console: floors by category x region, change a floor (a reason is required,
scheduling optional), the audit history, and a what-if simulation drawn as a server-side SVG."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlmodel import col, select
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from api.errors import status_of
from api.platform import unit_of_work
from api.web.sign_in import signed_in, web_requires
from marketplace.clock import utcnow
from marketplace.errors import DomainError
from marketplace.floors.history import floor_history
from marketplace.floors.legal import all_histories, in_force
from marketplace.floors.models import Category, Region
from marketplace.floors.versions import (
    FIELD_LABELS,
    RULE_FIELDS,
    SANITY_FACTOR,
    FloorChange,
    change_sentence,
    current_rule,
    rules_in_force,
    scheduled_changes,
    set_floor,
    shown_value,
)
from marketplace.floors.zones import LocalTimeError, from_local, zone_name, zone_of
from marketplace.market.compliance import report as compliance_report
from marketplace.market.simulation import ProposedFloor, simulate_proposals
from marketplace.tasks.adjustments import disputes as open_disputes
from marketplace.tasks.adjustments import resolve_dispute
from pricing import FloorRuleError
from pricing.money import format_cents
from pricing.rules import MAX_BPS, MAX_FLOOR_CENTS, MAX_RULE_MINUTES

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.app_template_filter("zone_name")
def zone_name_filter(zone_key: str) -> str:
    """A region's zone as people name it, now: "Eastern time (EST)", never "America/New_York"."""
    try:
        return zone_name(zone_key, utcnow())
    except KeyError:
        return zone_key


LABELS = {
    "hourly_floor": "Hourly floor (cents)",
    "per_task_floor": "Per-task floor (cents)",
    "min_billable_minutes": "Minimum billable minutes",
    "billing_increment_minutes": "Billing increment (minutes)",
    "service_fee_bps": "Service fee (basis points)",
    "trust_fee_bps": "Trust fee (basis points)",
    "tasker_commission_bps": "Tasker commission (basis points)",
}


class FloorForm(FlaskForm):
    reason = StringField("Reason (kept in the audit history)", validators=[DataRequired(), Length(max=500)])
    summary = StringField(
        "Public summary (optional; written from the change if left empty)", validators=[Length(max=200)]
    )
    effective_from = DateTimeLocalField(
        "Takes effect (the region's clock; empty = now)", validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    confirm = BooleanField(f"Confirm a change beyond {SANITY_FACTOR}x (or under a third of) the current floor")


# The same bounds as the engine's, so a typo is a message on its field and never reaches the database.
MAXIMA = {
    "hourly_floor": MAX_FLOOR_CENTS,
    "per_task_floor": MAX_FLOOR_CENTS,
    "min_billable_minutes": MAX_RULE_MINUTES,
    "billing_increment_minutes": MAX_RULE_MINUTES,
    "service_fee_bps": MAX_BPS,
    "trust_fee_bps": MAX_BPS,
    "tasker_commission_bps": MAX_BPS,
}
for _name in RULE_FIELDS:
    setattr(
        FloorForm,
        _name,
        IntegerField(LABELS[_name], validators=[InputRequired(), NumberRange(min=0, max=MAXIMA[_name])]),
    )


class SimulationForm(FlaskForm):
    category = SelectField("Category", validators=[Optional()])
    region = SelectField("Region", validators=[Optional()])
    hourly_floor = IntegerField(
        "Proposed hourly floor (cents)", validators=[InputRequired(), NumberRange(min=0, max=MAX_FLOOR_CENTS)]
    )
    days = IntegerField("Replay the last N days", default=30, validators=[InputRequired(), NumberRange(1, 366)])


@bp.get("/")
@bp.get("/floors")
@web_requires("operator")
def floors():
    with unit_of_work() as unit:
        s = unit.session
        regions = list(s.exec(select(Region).order_by(col(Region.slug))))
        categories = list(s.exec(select(Category).order_by(col(Category.slug))))
        table = rules_in_force(s)
        scheduled = scheduled_changes(s)
        legal = {slug for slug, rows in all_histories(s).items() if in_force(rows, utcnow())}
    return render_template(
        "console/floors.html",
        regions=regions,
        legal=legal,
        categories=categories,
        table=table,
        scheduled=scheduled,
        money=format_cents,
        user=signed_in(),
    )


@bp.app_template_global()
def rule_field(name: str) -> str:
    """A floor rule field's name as operators read it (history, simulation)."""
    return FIELD_LABELS.get(name, name.replace("_", " "))


@bp.app_template_global()
def rule_value(name: str, value: int | None) -> str:
    return shown_value(name, value)


@bp.route("/floors/<category>/<region>", methods=["GET", "POST"])
@web_requires("operator")
def edit(category: str, region: str):
    with unit_of_work() as unit:
        rule = current_rule(unit.session, category, region)
    form = FloorForm(data={name: getattr(rule, name) for name in RULE_FIELDS} if rule else None)
    status = 200
    with unit_of_work() as unit:
        tz = zone_of(unit.session, region)
    form.effective_from.label.text = f"Takes effect (on this region's clock, {zone_name(tz, utcnow())}; empty = now)"
    valid, when = form.validate_on_submit(), None
    if valid and form.effective_from.data is not None:
        try:  # the operator enters the region's wall-clock time
            when = from_local(form.effective_from.data, tz)
        except LocalTimeError as exc:
            form.effective_from.errors = [str(exc)]
            valid = False
    if valid:
        change = FloorChange(
            category,
            region,
            form.reason.data,
            {name: getattr(form, name).data for name in RULE_FIELDS},
            when,
            bool(form.confirm.data),
            form.summary.data or "",
        )
        user = signed_in()
        try:
            with unit_of_work() as unit:
                row = set_floor(unit, change, user.id, user.email)
                unit.commit()
                said = change_sentence(unit.session, row)
        except FloorRuleError as exc:
            for name, messages in exc.errors.items():
                field = getattr(form, name, None)
                (field.errors if field is not None else form.form_errors).extend(messages)
            status = 422
        else:
            flash(said)
            return redirect(url_for("console.floors"))
    elif request.method == "POST":
        status = 422
    return render_template(
        "console/edit.html", form=form, category=category, region=region, rule=rule, user=signed_in()
    ), status


@bp.get("/history")
@web_requires("operator")
def history():
    with unit_of_work() as unit:
        entries = floor_history(
            unit.session, request.args.get("category") or None, request.args.get("region") or None, 300
        )
    return render_template("console/history.html", entries=entries, user=signed_in())


@bp.route("/simulate", methods=["GET", "POST"])
@web_requires("operator")
def simulate():
    form = SimulationForm()
    with unit_of_work() as unit:
        names = {c.slug: c.name for c in unit.session.exec(select(Category).order_by(col(Category.name)))}
        places = {r.slug: r.name for r in unit.session.exec(select(Region).order_by(col(Region.name)))}
        form.category.choices = [("", "every category (one floor for all)")] + list(names.items())
        form.region.choices = [("", "every region")] + list(places.items())
        result, status = None, 200
        if form.validate_on_submit():
            proposal = ProposedFloor(
                {"hourly_floor": form.hourly_floor.data}, form.category.data or None, form.region.data or None
            )
            try:
                result = simulate_proposals(unit.session, [proposal], form.days.data)
            except FloorRuleError as exc:
                for name, messages in exc.errors.items():
                    (getattr(form, name).errors if hasattr(form, name) else form.form_errors).extend(messages)
                status = 422
        elif request.method == "POST":
            status = 422
    return render_template(
        "console/simulate.html",
        form=form,
        result=result,
        chart=chart(result) if result else None,
        names=names,
        scope=_scope(names.get(form.category.data or ""), places.get(form.region.data or "")),
        every_category=result is not None and not form.category.data,
        money=format_cents,
        user=signed_in(),
    ), status


def _scope(category: str | None, region: str | None) -> str:
    """What a simulation replayed, in words: "Yard work in Springfield", "every category in Seattle, WA"."""
    return f"{category or 'every category'} in {region or 'every region'}"


def chart(result) -> dict:
    """Geometry for a bar chart of the average client price and payout change per category, drawn
    with no viewBox so its text keeps its size at any width: each category's name on a line of its
    own, its two bars under it from an axis at the middle (x in percent of the width), each value
    written past its bar's end, inside the chart."""
    rows = result.rows()
    biggest = max([abs(r.client_delta_avg) for r in rows] + [abs(r.payout_delta_avg) for r in rows] + [1])
    row_h, reach = 62, 25  # px a category takes; percent of the width the longest bar takes each side
    names, bars = [], []
    for i, r in enumerate(rows):
        y = 18 + i * row_h
        names.append({"category": r.category, "y": y})
        for j, (kind, value) in enumerate((("client", r.client_delta_avg), ("payout", r.payout_delta_avg))):
            length = round(abs(value) / biggest * reach, 3)
            end = 50 + length if value >= 0 else 50 - length
            bars.append(
                {
                    "x": 50 if value >= 0 else end,
                    "y": y + 8 + j * 18,
                    "w": max(length, 0.3),
                    "kind": kind,
                    "value": value,
                    "label_x": end,
                    "anchor": "start" if value >= 0 else "end",
                    "dx": 4 if value >= 0 else -4,
                }
            )
    return {"height": 12 + len(rows) * row_h, "names": names, "rows": rows, "bars": bars}


class RulingForm(FlaskForm):
    note = StringField(
        "The ruling's reason (the client and tasker see it)", validators=[DataRequired(), Length(max=500)]
    )
    decision = SelectField(
        "Decision",
        choices=[SelectChoice("tasker", "for the tasker"), SelectChoice("client", "for the client")],
        validators=[DataRequired()],
    )


def _disputes_page(form: RulingForm, refused: dict[int, str] | None = None, status: int = 200):
    with unit_of_work() as unit:
        rows = open_disputes(unit.session)
    return render_template(
        "console/disputes.html",
        rows=rows,
        form=form,
        refused=refused or {},
        money=format_cents,
        user=signed_in(),
    ), status


@bp.get("/disputes")
@web_requires("operator")
def disputes():
    return _disputes_page(RulingForm())


@bp.post("/disputes/<int:task_id>")
@web_requires("operator")
def rule(task_id: int):
    form = RulingForm()
    if not form.validate_on_submit():
        return _disputes_page(form, {task_id: "Check the ruling below."}, 422)
    try:
        with unit_of_work() as unit:
            resolve_dispute(unit, signed_in(), task_id, form.decision.data == "tasker", form.note.data)
            unit.commit()
    except DomainError as exc:  # e.g. a ruling for the client that would pay under the legal minimum
        return _disputes_page(form, {task_id: exc.message}, status_of(exc))
    flash(f"Task {task_id}: ruled for the {form.decision.data}.")
    return redirect(url_for("console.disputes"))


class ComplianceForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    region = SelectField("Region")
    month = StringField("Month (the region's local month, YYYY-MM)", validators=[Optional(), Length(max=7)])


@bp.get("/compliance")
@web_requires("operator")
def compliance():
    """`floorboard compliance report` in the console: the same report, from the same function."""
    form = ComplianceForm(request.args)
    found, problem, status = None, None, 200
    with unit_of_work() as unit:
        s = unit.session
        places = list(s.exec(select(Region).order_by(col(Region.name))))
        with_minimum = {slug for slug, rows in all_histories(s).items() if rows}
        form.region.choices = [(r.slug, r.name) for r in places]
        if not form.region.data and places:  # a fresh visit: the first region with a legal minimum, this month
            form.region.data = next((r.slug for r in places if r.slug in with_minimum), places[0].slug)
        if not form.month.data and form.region.data in {r.slug for r in places}:
            form.month.data = f"{utcnow().astimezone(zone_of(s, form.region.data)):%Y-%m}"
        if form.validate():
            try:
                found = compliance_report(s, form.region.data, form.month.data or "")
            except DomainError as exc:
                for name, messages in exc.errors.items():
                    getattr(form, name, form.month).errors = list(messages)
                problem, status = exc.message, 422
        else:
            status = 422
        names = {r.slug: r.name for r in places}
        currency = next((r.currency for r in places if r.slug == form.region.data), "USD")
    return render_template(
        "console/compliance.html",
        form=form,
        report=found,
        problem=problem,
        region_name=names.get(form.region.data or "", form.region.data),
        currency=currency,
        money=format_cents,
        user=signed_in(),
    ), status
