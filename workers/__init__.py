"""One module per consumer group. Each is thin: decode the event, call the domain in a unit of
work, return. `WORKERS` maps the names `floorboard worker NAME` accepts to their builders."""

from __future__ import annotations

import logging
import threading

from workers.spec import WorkerSpec

log = logging.getLogger(__name__)
__all__ = ["WorkerSpec", "registry", "run_in_threads", "workers_for"]


def registry() -> dict[str, WorkerSpec]:
    from workers import (  # each declares its SPEC
        exports,
        market,
        network,
        notifications,
        payments,
        pricing,
        relay,
        reputation,
        retention,
        reviews,
        tasker_rates,
        tips,
    )

    specs = (
        relay.SPEC,
        pricing.SPEC,
        tasker_rates.SPEC,
        reputation.SPEC,
        tips.SPEC,
        payments.SPEC,
        payments.CALLS,
        network.SPEC,
        market.SPEC,
        reviews.SPEC,
        notifications.SPEC,
        notifications.MAILER,
        notifications.WEBHOOKS,
        retention.SPEC,
        exports.SPEC,
    )
    return {spec.name: spec for spec in specs}


def workers_for(platform) -> list[WorkerSpec]:
    """The workers this deployment runs: the relay only when there is a broker to relay to."""
    return [s for s in registry().values() if platform.transport.name == "kafka" or not s.kafka_only]


def run_in_threads(platform, specs: list[WorkerSpec], stop: threading.Event) -> list[threading.Thread]:
    threads = []
    for spec in specs:
        worker = spec.build(platform)
        thread = threading.Thread(target=worker.run, args=(stop,), name=f"worker-{spec.name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
