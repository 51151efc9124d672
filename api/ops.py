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
            found.append(overdue)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the database is down
            log.warning("could not count overdue postings: %s", describe(exc))
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
