"""Operations: /healthz (alive), /readyz (database and transport reachable), /metrics
(Prometheus, including consumer lag and dead letters), and the API docs' assets, served locally."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import swagger_ui
from flask import Response, jsonify, request, send_from_directory
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

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
                overdue.add_metric([], count_overdue_postings(unit.session, platform().settings.sweep_posted_after_s))
                market = market_gauges(unit.session, platform().settings)
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


def market_gauges(session, settings) -> list[GaugeMetricFamily]:
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
        enough = g.priced >= settings.market_too_few_tasks
        low_fill.add_metric(
            key, int(enough and g.fill_rate is not None and g.fill_rate < settings.market_fill_rate_alert)
        )
        paid, minimum = g.effective_pay_per_hour, g.legal_minimum_per_hour
        under_legal.add_metric(key, int(paid is not None and minimum is not None and paid < minimum))
    return [fill, priced, pay, legal, low_fill, under_legal, threshold]


def init_app(app) -> None:
    pipeline_registry = CollectorRegistry()
    pipeline_registry.register(PipelineCollector(app))

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
        body = generate_latest(REGISTRY) + generate_latest(pipeline_registry)
        return Response(body, mimetype="text/plain; version=0.0.4")

    @app.get("/api/docs/assets/<path:filename>")
    def docs_assets(filename):
        return send_from_directory(SWAGGER_UI_ASSETS, filename)
