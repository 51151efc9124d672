"""Operations: /healthz (alive), /readyz (database and transport reachable), /metrics
(Prometheus, including consumer lag and dead letters), and the API docs' assets, served locally.

/metrics carries the market's figures (fill rates, effective pay per category and region), which
the API serves to operators only, so it is served only where an operator puts it (docs/metrics.md):
on the metrics port (`floorboard serve --metrics-port`, FLOORBOARD_METRICS_PORT: a second listener
that answers nothing but /metrics, /healthz and /readyz), or to a scraper that sends
`Authorization: Bearer` with FLOORBOARD_METRICS_TOKEN. Anywhere else it is a 404. /healthz and
/readyz stay open: they tell a load balancer only whether to send traffic.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from pathlib import Path

import swagger_ui
from flask import Response, abort, current_app, jsonify, request, send_from_directory
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from api.errors import error_response
from api.input import whole_number
from api.platform import platform
from events.dlq import count_dead_letters
from events.outages import describe
from events.topics import CONSUMER_GROUPS, TOPICS
from marketplace.clock import utcnow
from marketplace.market import health as market_health
from marketplace.tasks.sweeper import count_overdue_postings

log = logging.getLogger(__name__)
# Swagger UI 5 (it renders OpenAPI 3.1), as the swagger-ui-py package ships it.
SWAGGER_UI_ASSETS = Path(swagger_ui.__file__).parent / "static"
HTTP_REQUESTS = Counter("floorboard_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])


class PipelineCollector:
    """Consumer lag and DLQ depth, read from the transport when scraped (cached for 5 s)."""

    def __init__(self, app):
        self.app = app
        self._cache: tuple[float, list] | None = None

    def collect(self):
        if self._cache and time.monotonic() - self._cache[0] < 5:
            yield from self._cache[1]
            return
        lag = GaugeMetricFamily(
            "floorboard_consumer_lag", "Events not yet committed by a group", labels=["group", "topic"]
        )
        dead = GaugeMetricFamily("floorboard_dead_letters", "Events in a topic's DLQ", labels=["topic"])
        overdue = GaugeMetricFamily(
            "floorboard_postings_overdue",
            "Tasks still posted (not priced) longer than FLOORBOARD_SWEEP_POSTED_AFTER_S; the sweeper resends them",
        )
        found: list = [lag, dead]
        try:
            with self.app.app_context(), platform().uow() as unit:
                overdue.add_metric(
                    [], count_overdue_postings(unit.session, int(platform().policy.sweep_posted_after.total_seconds()))
                )
                market = market_gauges(unit.session, platform().settings, platform().policy.market_too_few_tasks)
            found.append(overdue)
            found.extend(market)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the database is down
            log.warning("could not count overdue postings or read the market: %s", describe(exc))
        try:
            with self.app.app_context():
                transport = platform().transport
                for group, topics in CONSUMER_GROUPS.items():
                    for topic, n in transport.lag(group, list(topics)).items():
                        lag.add_metric([group, topic], n)
                for topic, n in count_dead_letters(transport, list(TOPICS)).items():
                    dead.add_metric([topic], n)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the broker is down
            log.warning("could not read pipeline metrics: %s", describe(exc))
        self._cache = (time.monotonic(), found)
        yield from self._cache[1]


def market_gauges(session, settings, too_few: int) -> list[GaugeMetricFamily]:
    """Each category x region over the last FLOORBOARD_MARKET_ALERT_DAYS local days, and the
    thresholds from settings, so alert rules compare the two (deploy/prometheus-alerts.yml)."""
    labels = ["category", "region"]
    days = settings.market_alert_days
    fill = GaugeMetricFamily("floorboard_market_fill_rate", f"Accepted / priced, last {days} local days", labels=labels)
    priced = GaugeMetricFamily("floorboard_market_priced", f"Tasks priced, last {days} local days", labels=labels)
    pay = GaugeMetricFamily(
        "floorboard_market_effective_pay_cents_per_hour",
        f"Taskers' payout per hour worked on tasks completed in the last {days} local days",
        labels=labels,
    )
    legal = GaugeMetricFamily(
        "floorboard_market_legal_minimum_cents_per_hour", "The region's legal minimum in force, per hour", labels=labels
    )
    low_fill = GaugeMetricFamily(
        "floorboard_market_fill_rate_low",
        "1 when the fill rate is under FLOORBOARD_MARKET_FILL_RATE_ALERT over at least "
        "FLOORBOARD_MARKET_TOO_FEW_TASKS priced tasks",
        labels=labels,
    )
    under_legal = GaugeMetricFamily(
        "floorboard_market_pay_under_legal_minimum",
        "1 when taskers' effective pay per hour is under the legal minimum in force",
        labels=labels,
    )
    threshold = GaugeMetricFamily("floorboard_market_fill_rate_threshold", "FLOORBOARD_MARKET_FILL_RATE_ALERT")
    threshold.add_metric([], settings.market_fill_rate_alert)
    for g in market_health.gauges(session, utcnow(), days):
        key = [g.category, g.region]
        priced.add_metric(key, g.priced)
        if g.fill_rate is not None:
            fill.add_metric(key, g.fill_rate)
        if g.effective_pay_per_hour is not None:
            pay.add_metric(key, g.effective_pay_per_hour)
        if g.legal_minimum_per_hour is not None:
            legal.add_metric(key, g.legal_minimum_per_hour)
        enough = g.priced >= too_few
        low_fill.add_metric(
            key, int(enough and g.fill_rate is not None and g.fill_rate < settings.market_fill_rate_alert)
        )
        paid, minimum = g.effective_pay_per_hour, g.legal_minimum_per_hour
        under_legal.add_metric(key, int(paid is not None and minimum is not None and paid < minimum))
    return [fill, priced, pay, legal, low_fill, under_legal, threshold]


ON_THE_METRICS_PORT = ("/metrics", "/healthz", "/readyz")


def on_metrics_port() -> bool:
    """The request came in on the metrics listener. SERVER_PORT is the listening socket's port
    (gunicorn and werkzeug set it from the socket, not from the Host header a client sends)."""
    port = current_app.config.get("METRICS_PORT")
    return port is not None and request.environ.get("SERVER_PORT") == str(port)


def _bearer_is_the_metrics_token() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), str(token).encode())


def metrics_settings(environ=os.environ) -> dict:
    """FLOORBOARD_METRICS_PORT and FLOORBOARD_METRICS_TOKEN as app config (ValueError naming a bad one)."""
    port, token = environ.get("FLOORBOARD_METRICS_PORT") or None, environ.get("FLOORBOARD_METRICS_TOKEN") or None
    if port is not None and whole_number(port, 65535) is None:
        raise ValueError(f"FLOORBOARD_METRICS_PORT={port!r} is not a port number (1 to 65535)")
    if token is not None and len(token) < 16:
        raise ValueError("FLOORBOARD_METRICS_TOKEN must be a random secret of at least 16 characters")
    return {"METRICS_PORT": whole_number(port, 65535) if port else None, "METRICS_TOKEN": token}


def init_app(app) -> None:
    for key, value in metrics_settings().items():
        app.config.setdefault(key, value)
    pipeline_registry = CollectorRegistry()
    pipeline_registry.register(PipelineCollector(app))

    @app.before_request
    def _only_metrics_on_the_metrics_port():
        if on_metrics_port() and request.path not in ON_THE_METRICS_PORT:
            abort(404)

    @app.after_request
    def _count(response):
        HTTP_REQUESTS.labels(
            request.method, request.url_rule.rule if request.url_rule else "unmatched", str(response.status_code)
        ).inc()
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks = {}
        p = platform()
        try:
            with p.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
            checks["database"] = f"unavailable: {type(exc).__name__}"
        try:
            checks["transport"] = "ok" if p.transport.ready() else "unavailable"
        except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
            checks["transport"] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return jsonify(
            status="ready" if ready else "not ready", transport=p.transport.name, checks=checks
        ), 200 if ready else 503

    @app.get("/metrics")
    def metrics():
        if not (on_metrics_port() or _bearer_is_the_metrics_token()):
            if not app.config.get("METRICS_TOKEN"):
                return error_response(404, "No such page.")  # not served on this port: nothing to see
            response, status = error_response(401, "Send the metrics token: Authorization: Bearer <token>.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response, status
        body = generate_latest(REGISTRY) + generate_latest(pipeline_registry)
        return Response(body, mimetype="text/plain; version=0.0.4")

    @app.get("/api/docs/assets/<path:filename>")
    def docs_assets(filename):
        return send_from_directory(SWAGGER_UI_ASSETS, filename)
