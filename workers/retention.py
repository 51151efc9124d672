"""The retention worker: prunes processed_events, the published outbox (Kafka) or the embedded
log by topic, and compacts pricing.floors, every FLOORBOARD_RETENTION_EVERY_S (events/retention.py)."""

from __future__ import annotations

import logging
import threading

from events.outages import Outage
from events.retention import Pruned, RetentionPolicy, policy_from, prune
from workers.spec import WorkerSpec

log = logging.getLogger(__name__)


def policy_for(settings) -> RetentionPolicy:
    return policy_from(settings)


class RetentionWorker:
    def __init__(self, platform):
        self.platform = platform
        self.policy = policy_for(platform.settings)
        self.every_s = platform.settings.retention_every_s
        self.outage = Outage(log, "retention: the database")

    def run_once(self) -> Pruned:
        pruned = prune(self.platform.engine, self.platform.transport.name, self.policy)
        if pruned.total:
            log.info(
                "retention: removed %d processed marks, %d published outbox rows, %d log rows, %d compacted",
                pruned.processed,
                pruned.published,
                pruned.log,
                pruned.compacted,
            )
        return pruned

    def run(self, stop: threading.Event) -> None:
        log.info("retention: pruning every %.0f s", self.every_s)
        while not stop.is_set():
            try:
                self.run_once()
                self.outage.recovered()
            except Exception as exc:  # noqa: BLE001 - tried again at the next interval
                self.outage.failed(exc)
            stop.wait(self.every_s)


SPEC = WorkerSpec(
    "retention",
    RetentionWorker,
    description="prunes processed events and the log past their windows",
    consumer_group=False,
)
