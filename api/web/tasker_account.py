"""A tasker's own account on the web: the overview (/me, with the path to better-paid work), skills
and rates per region (/me/skills), earnings and payouts with Stripe onboarding (/me/earnings), and
webhooks (/me/webhooks). The same use cases as the API's, called directly.

Over 400 lines on purpose: the pages of a tasker's own account share their forms and the skills
view."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, session, url_for
from sqlmodel import col, func, select

from api.platform import platform, unit_of_work
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, render_page
from api.web.tasker_account_forms import CsrfForm, WebhookForm, dollars, dollars_to_cents
from marketplace.clock import utcnow
from marketplace.errors import DomainError, Invalid
from marketplace.floors.models import Category, Region
from marketplace.floors.versions import rules_in_force
from marketplace.network.connections import connections_view
from marketplace.network.handoffs import my_offers
from marketplace.network.path import path_view
from marketplace.notifications import webhooks as hooks
from marketplace.payments.models import LedgerEntry, PaymentCall, PayoutAccount
from marketplace.payments.payouts import onboard_tasker
from marketplace.taskers.profile import public_reputation
from marketplace.taskers.skills import Changes, SkillSpec, put_skill, remove_skill, set_regions, skills_view
from marketplace.tasks.models import Task
from marketplace.tasks.quotes import quotes_for
from marketplace.tasks.reader_clock import reader_region
from marketplace.tasks.worklists import earning_tasks

__all__ = ["bp"]


@bp.get("/me")
@web_requires("tasker")
def me():
    """A tasker's own page: who they are, their rates as they are, the way to every other page of
    theirs, their network in brief, and the path to better-paid work."""
    me_id = signed_in().id
    with unit_of_work() as unit:
        reputation = public_reputation(unit.session, me_id)
        skills = skills_view(unit.session, me_id)
        path = path_view(unit.session, me_id, utcnow())
        network = connections_view(unit.session, me_id)
        offers = my_offers(unit.session, me_id)
    return render_page("web/me.html", reputation=reputation, skills=skills, path=path, network=network, offers=offers)


# Skills and rates per region ---------------------------------------------------------------------


@dataclass
class Problem:
    """Why a form on the skills page was refused: which form, its fields' errors, what was typed."""

    form: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    status: int = 422


class Refused(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.form)
        self.problem = problem


def _skill_spec(form_name: str, category: str, regions: list[str]) -> SkillSpec:
    """The skill the form asks for: its rate, and each region's own where one is typed."""
    problem = Problem(form_name, values={k: v for k, v in request.form.items() if k.startswith("rate")})
    rate = None
    try:
        rate = dollars_to_cents(request.form.get("rate", ""))
    except ValueError as exc:
        problem.errors["rate"] = [str(exc)]
    own = {}
    for region in regions:
        typed = request.form.get(f"rate-{region}", "").strip()
        if typed:
            try:
                own[region] = dollars_to_cents(typed)
            except ValueError as exc:
                problem.errors[f"rate-{region}"] = [str(exc)]
    if problem.errors or rate is None:
        raise Refused(problem)
    return SkillSpec(category, rate, own)


def _refused(form_name: str, exc: DomainError) -> Refused:
    """A use case's refusal, its field errors on the form's fields."""
    problem = Problem(form_name, values={k: v for k, v in request.form.items() if k != "csrf_token"})
    for name, messages in exc.errors.items():
        if name == "region_rates" and isinstance(messages, dict):
            for region, said in messages.items():
                problem.errors[f"rate-{region}"] = list(said)
        elif isinstance(messages, list):
            problem.errors[name] = list(messages)
    if not problem.errors:
        problem.errors["form"] = [exc.message]
    problem.status = 404 if not isinstance(exc, Invalid) else 422
    return Refused(problem)


def _change_skills(action: str) -> tuple[Changes, str]:
    """Do what the form asks; what changed, and the page's part to come back to."""
    me_id = signed_in().id
    with unit_of_work() as unit:
        if action == "regions":
            wanted = request.form.getlist("regions")
            try:
                changes = set_regions(unit, me_id, wanted)
            except DomainError as exc:
                raise _refused("regions", exc) from None
            unit.commit()
            return changes, "regions"
        regions = skills_view(unit.session, me_id)["regions"]
        category = request.form.get("category", "")
        known = {c.slug for c in unit.session.exec(select(Category))}
        if action in ("skill", "add"):
            form_name = "add" if action == "add" else f"skill:{category}"
            if category not in known:
                raise Refused(Problem(form_name, {"category": ["Choose a category."]}))
            spec = _skill_spec(form_name, category, regions)
            try:
                changes = put_skill(unit, me_id, spec)
            except DomainError as exc:
                raise _refused(form_name, exc) from None
            unit.commit()
            return changes, f"skill-{category}"
        if action == "remove":
            try:
                changes = remove_skill(unit, me_id, category)
            except DomainError as exc:
                raise _refused(f"skill:{category}", exc) from None
            unit.commit()
            return changes, "skills"
    raise Refused(Problem("form", {"form": ["Use one of the page's buttons."]}, status=400))


def _skills_context(me_id: int) -> dict:
    with unit_of_work() as unit:
        return {
            "view": skills_view(unit.session, me_id),
            "categories": list(unit.session.exec(select(Category).order_by(col(Category.name)))),
            "all_regions": list(unit.session.exec(select(Region).order_by(col(Region.name)))),
            "floors": {key: rule.hourly_floor for key, rule in rules_in_force(unit.session).items()},
        }


@bp.route("/me/skills", methods=["GET", "POST"])
@web_requires("tasker")
def my_skills():
    """Regions, skills and rates per region: each form changes one thing and says what it changed."""
    form = CsrfForm()
    problem = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            problem, status = Problem("form", {"form": ["The form expired: send it again."]}, status=400), 400
        else:
            try:
                changes, part = _change_skills(request.form.get("action", ""))
            except Refused as refused:
                problem, status = refused.problem, refused.problem.status
            else:
                # What changed is said beside the form that was sent (the page opens at that form, so
                # a confirmation at the top of the page would be off-screen on a phone).
                session["skills_said"] = {"part": part, "lines": list(changes.summary)}
                return redirect(url_for("web.my_skills") + f"#{part}", 303)
    said = session.pop("skills_said", None) if request.method == "GET" else None
    context = _skills_context(signed_in().id)
    return render_page(
        "web/skills.html", status, form=form, problem=problem, dollars=dollars, said=_said_at(said), **context
    )


def _said_at(said: object) -> dict[str, list[str]]:
    """The confirmation a redirect carried, by the page's part it belongs beside."""
    if not isinstance(said, dict) or not isinstance(said.get("part"), str):
        return {}
    lines = [str(line) for line in said.get("lines", []) if isinstance(line, str)]
    return {said["part"]: lines} if lines else {}


# Earnings and payouts ------------------------------------------------------------------------------


def _earnings(me_id: int) -> dict:
    """The tasks that earned this tasker money (or will, once completed work is charged), each
    with what it pays and where that money is: paid out to their account, or still to come."""
    with unit_of_work() as unit:
        s = unit.session
        held = earning_tasks(s, me_id)
        ids = [t.id for t in held]
        books: dict[int, dict[str, int]] = {}
        if ids:
            for task_id, kind, total in s.exec(
                select(LedgerEntry.task_id, LedgerEntry.account, func.sum(col(LedgerEntry.amount)))
                .where(
                    col(LedgerEntry.task_id).in_(ids),
                    col(LedgerEntry.account).in_(["tasker_payable", "tasker_paid_out"]),
                )
                .group_by(col(LedgerEntry.task_id), col(LedgerEntry.account))
            ):
                books.setdefault(task_id, {})[kind] = int(total)
        refused = {}
        in_flight = set()
        if ids:
            for call in s.exec(
                select(PaymentCall)
                .where(col(PaymentCall.task_id).in_(ids), col(PaymentCall.operation) == "transfer")
                .order_by(col(PaymentCall.id))
            ):
                if call.is_in_flight:
                    in_flight.add(call.task_id)
                elif call.is_failed:
                    refused[call.task_id] = call.last_error
                else:
                    refused.pop(call.task_id, None)
        quotes = quotes_for(s, ids) if ids else {}
        account = s.get(PayoutAccount, me_id)
    rows = []
    for task in held:
        owed = books.get(task.id, {}).get("tasker_payable", 0)
        paid = books.get(task.id, {}).get("tasker_paid_out", 0)
        if task.is_cancelled and not owed and not paid:
            continue  # cancelled before it paid anything
        final = quotes.get(task.id, {}).get("final")
        if paid and not owed:
            where = "paid out"
        elif owed and account is None:
            where = "waiting for your payout account"
        elif owed and task.id in refused:
            where = f"Stripe refused the transfer ({refused[task.id] or 'no reason given'}); tried again daily"
        elif owed:
            where = "on its way to your account" if task.id in in_flight or paid == 0 else "partly paid out"
        else:
            where = "not charged yet"
        rows.append(
            {
                "task": task,
                "earned": owed + paid if owed or paid else (final.payout if final else None),
                "paid": paid,
                "owed": owed,
                "where": where,
            }
        )
    return {
        "rows": rows,
        "account": account,
        "paid_total": sum(r["paid"] for r in rows),
        "owed_total": sum(r["owed"] for r in rows),
    }


@bp.get("/me/earnings")
@web_requires("tasker")
def earnings():
    onboarding = request.args.get("onboarding")
    return render_page(
        "web/earnings.html",
        form=CsrfForm(),
        onboarding=onboarding if onboarding in ("done", "expired") else None,
        test_mode=platform().gateway.name != "stripe",
        clock=_clock(),
        **_earnings(signed_in().id),
    )


@bp.post("/me/earnings/onboard")
@web_requires("tasker")
def earnings_onboard():
    """Stripe onboarding: the account once, a fresh link each time. Stripe sends the tasker back to
    this site's public address, never to the one the request named."""
    if not CsrfForm().validate_on_submit():
        abort(400, description="The form expired: reload the page and try again.")
    back = f"{platform().settings.public_url}{url_for('web.earnings')}?onboarding="
    _, link = onboard_tasker(unit_of_work, platform().gateway, signed_in(), back + "expired", back + "done")
    return redirect(link, 303)


# Webhooks ------------------------------------------------------------------------------------------


def loopback_allowed() -> bool:
    """As the API's rule (api/rest/webhooks.py): loopback endpoints only with the setting on, and
    only on the development server or under a test suite; a served app never."""
    app = current_app
    return platform().settings.webhooks_allow_loopback and bool(app.testing or app.config.get("DEV_SERVER"))


def _clock() -> str:
    """The region whose clock the signed-in tasker's own times (about their account, not a task) are
    shown on ("" if none: the times are then in UTC, and say so)."""
    with unit_of_work() as unit:
        return reader_region(unit.session, signed_in())


def _webhooks_page(form: WebhookForm, status: int = 200, created: dict | None = None):
    me_id = signed_in().id
    with unit_of_work() as unit:
        endpoints = hooks.endpoints_of(unit.session, me_id)
    return render_page(
        "web/webhooks.html",
        status,
        form=form,
        endpoints=endpoints,
        kinds=hooks.KINDS,
        created=created,
        loopback=loopback_allowed(),
        clock=_clock(),
        actions=CsrfForm(),
    )


@bp.route("/me/webhooks", methods=["GET", "POST"])
@web_requires("tasker")
def webhooks():
    """A tasker's webhook endpoints, and a form to add one (its signing secret is shown once)."""
    form = WebhookForm()
    if request.method == "GET":
        return _webhooks_page(form)
    if not form.validate_on_submit():
        return _webhooks_page(form, 400 if "csrf_token" in form.errors else 422)
    loopback = loopback_allowed()
    try:
        url = hooks.check_url(form.url.data, loopback)  # resolves the host: no transaction is open yet
        with unit_of_work() as unit:
            endpoint = hooks.register(unit, signed_in(), url, form.kinds.data, loopback, resolved=True)
            unit.commit()
            created = {"id": endpoint.id, "url": endpoint.url, "secret": endpoint.secret}
    except DomainError as exc:
        for name, messages in exc.errors.items():
            target = getattr(form, name, None)
            (target.errors if target is not None else form.form_errors).extend(messages)
        if not exc.errors:
            form.form_errors.append(exc.message)
        return _webhooks_page(form, 422)
    return _webhooks_page(WebhookForm(formdata=None), 201, created)


_HTTP_STATUS = re.compile(r"^HTTP (\d{3})$")


def plain_reason(last_error: str, status_code: int | None, timeout_s: float) -> str:
    """Why a delivery did not arrive, as its owner reads it: the stored error (an exception's name
    and text, or "HTTP 500") in plain words. "" when nothing went wrong."""
    error = (last_error or "").strip()
    if not error:
        return f"Your URL answered {status_code}" if status_code and not 200 <= status_code < 300 else ""
    name = error.split(":", 1)[0].strip()
    lowered = error.lower()
    if found := _HTTP_STATUS.match(error):
        return f"Your URL answered {found.group(1)}"
    if error.startswith("410 Gone"):
        return "Your URL answered 410 Gone, so the endpoint was disabled"
    if name == "ConnectionRefusedError" or "connection refused" in lowered:
        return "Your URL refused the connection"
    if name in ("TimeoutError", "timeout", "socket.timeout") or "timed out" in lowered:
        return f"It timed out after {timeout_s:g} s"
    if name in ("gaierror", "HostUnresolved") or "name or service not known" in lowered:
        return "Your URL's host name could not be found"
    if name in ("SSLError", "SSLCertVerificationError") or "certificate" in lowered:
        return "Your URL's HTTPS certificate was not accepted"
    if name in ("ConnectionResetError", "RemoteDisconnected", "BrokenPipeError", "IncompleteRead"):
        return "Your URL closed the connection before answering"
    if name == "BlockedAddress":
        return "Your URL's address is private or loopback, where deliveries never go"
    if name == "UnusableUrl":
        return "Your URL can not be used for deliveries"
    if error == "The endpoint is disabled.":
        return "Not sent: the endpoint is disabled"
    if error.startswith("Unreachable"):
        return "Not sent yet: Floorboard could not reach its own database; it tries again shortly"
    if isinstance(status_code, int):
        return f"Your URL answered {status_code}"
    return "It could not be delivered"


_STATES = {"pending": "waiting to be sent", "sending": "being sent", "sent": "delivered", "failed": "given up"}


def _delivery_rows(s, deliveries: list, clock: str, timeout_s: float) -> list[dict]:
    """Each delivery as its owner reads it: its kind in words, the task it is about (by title, with
    the clock of the task's region), its state and why it failed in plain words."""
    about: dict[int, int] = {}
    for d in deliveries:
        try:
            data = json.loads(d.payload).get("data") or {}
        except (ValueError, AttributeError):
            data = {}
        task_id = data.get("task_id") if isinstance(data, dict) else None
        if isinstance(task_id, int):
            about[d.id] = task_id
    tasks = {t.id: t for t in s.exec(select(Task).where(col(Task.id).in_(set(about.values()))))} if about else {}
    rows = []
    for d in deliveries:
        task = tasks.get(about.get(d.id, -1))
        rows.append(
            {
                "delivery": d,
                "kind": hooks.KINDS.get(d.kind, d.kind),
                "task": task,
                "clock": task.region if task is not None else clock,
                "state": _STATES.get(d.status, d.status),
                "reason": plain_reason(d.last_error, d.last_status_code, timeout_s),
            }
        )
    return rows


_SHOW_SECRET = "webhook_secret_once"
SHOW_SECRET_FOR = timedelta(minutes=10)


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _secret_to_show(endpoint) -> str | None:
    """The new secret, on the first view after rotating only. The browser's session holds no secret,
    only which endpoint was rotated, when, and a fingerprint of the secret then made: the secret
    itself is read from the endpoint, and shown once (the mark is gone after this read)."""
    mark = session.get(_SHOW_SECRET)
    if not isinstance(mark, dict) or mark.get("endpoint") != endpoint.id:
        return None
    session.pop(_SHOW_SECRET, None)
    at = mark.get("at")
    fresh = isinstance(at, (int, float)) and utcnow().timestamp() - at <= SHOW_SECRET_FOR.total_seconds()
    return endpoint.secret if fresh and mark.get("print") == _fingerprint(endpoint.secret) else None


def _webhook_page(endpoint_id: int, status: int = 200, confirm_rotate: bool = False):
    me = signed_in()
    clock = _clock()
    with unit_of_work() as unit:
        deliveries = hooks.deliveries(unit.session, me, endpoint_id)  # NotFound: not theirs
        endpoint = hooks.own_endpoint(unit.session, me, endpoint_id)
        rows = _delivery_rows(unit.session, deliveries, clock, platform().settings.webhook_timeout_s)
    return render_page(
        "web/webhook.html",
        status,
        endpoint=endpoint,
        rows=rows,
        kinds=hooks.KINDS,
        secret=None if confirm_rotate else _secret_to_show(endpoint),
        confirm_rotate=confirm_rotate,
        actions=CsrfForm(),
        clock=clock,
    )


@bp.get("/me/webhooks/<int:endpoint_id>")
@web_requires("tasker")
def webhook_page(endpoint_id: int):
    """One endpoint: what it hears about, its state, its latest deliveries (each may be sent again)."""
    return _webhook_page(endpoint_id)


def _checked() -> None:
    if not CsrfForm().validate_on_submit():
        abort(400, description="The form expired: reload the page and try again.")


@bp.post("/me/webhooks/<int:endpoint_id>/delete")
@web_requires("tasker")
def webhook_delete(endpoint_id: int):
    _checked()
    with unit_of_work() as unit:
        hooks.remove(unit, signed_in(), endpoint_id)
        unit.commit()
    flash("Deleted the endpoint and its delivery log.")
    return redirect(url_for("web.webhooks"), 303)


@bp.get("/me/webhooks/<int:endpoint_id>/rotate")
@web_requires("tasker")
def webhook_rotate_confirm(endpoint_id: int):
    """Asks first: a new signing secret stops the old one at once, so the app must be updated."""
    return _webhook_page(endpoint_id, confirm_rotate=True)


@bp.post("/me/webhooks/<int:endpoint_id>/rotate")
@web_requires("tasker")
def webhook_rotate(endpoint_id: int):
    """A new signing secret; the old one stops at once. The endpoint's page shows it on the next
    view only (a reload after that does not, and nothing is sent twice)."""
    _checked()
    with unit_of_work() as unit:
        secret = hooks.rotate(unit, signed_in(), endpoint_id).secret
        unit.commit()
    session[_SHOW_SECRET] = {"endpoint": endpoint_id, "print": _fingerprint(secret), "at": utcnow().timestamp()}
    return redirect(url_for("web.webhook_page", endpoint_id=endpoint_id), 303)


@bp.post("/me/webhooks/<int:endpoint_id>/enable")
@web_requires("tasker")
def webhook_enable(endpoint_id: int):
    _checked()
    with unit_of_work() as unit:
        hooks.enable(unit, signed_in(), endpoint_id)
        unit.commit()
    flash("Enabled: deliveries to this endpoint start again.")
    return redirect(url_for("web.webhook_page", endpoint_id=endpoint_id), 303)


@bp.post("/me/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@web_requires("tasker")
def webhook_redeliver(endpoint_id: int, delivery_id: int):
    _checked()
    with unit_of_work() as unit:
        hooks.redeliver(unit, signed_in(), endpoint_id, delivery_id)
        unit.commit()
    flash("The delivery goes again within a few seconds, with the same webhook-id.")
    return redirect(url_for("web.webhook_page", endpoint_id=endpoint_id), 303)
