"""The exports worker: builds the data archives people ask for (marketplace/data_export), one at a
time, each kind in a transaction of its own so the page shows the progress, then the archive and
the email with its link in one; and drops the archives nobody downloaded in time. Woken by the
commit of a new export; polls every `idle_s` otherwise (and to expire archives)."""

from __future__ import annotations

import logging

from events.outages import is_temporary
from events.wakeup import waiter
from marketplace.clock import utcnow
from marketplace.data_export import jobs
from marketplace.data_export.archive import KINDS
from marketplace.data_export.models import DataExport
from marketplace.outgoing import SendLoop
from workers.links import SiteLinks
from workers.spec import WorkerSpec

log = logging.getLogger(__name__)


class ExportBuilder(SendLoop):
    def __init__(self, platform, idle_s: float = 30.0):
        self.platform = platform
        self.links = SiteLinks(platform.settings.public_url)
        bell = waiter(DataExport.__tablename__, engine=platform.engine)  # rung by commits of new exports
        super().__init__("exports", self.run_once, idle_s, bell=bell)

    def run_once(self) -> int:
        """Expire what is due, then build the next export: how many exports were finished."""
        with self.platform.uow() as uow:
            expired = jobs.expire_due(uow, utcnow())
            export_id = jobs.claim_next(uow, utcnow())
            uow.commit()
        if expired:
            log.info("exports: %d archive(s) expired unread and were dropped", expired)
        if export_id is None:
            return 0
        try:
            parts = {}
            for index in range(len(KINDS)):
                with self.platform.uow() as uow:
                    name, part = jobs.write_part(uow, export_id, index)
                    uow.commit()
                parts[name] = part
            with self.platform.uow() as uow:
                ready = jobs.finish(uow, self.links, export_id, parts)
                uow.commit()
        except Exception as exc:
            if is_temporary(exc):
                raise  # the database is away: the lease lapses and the export is built again
            log.exception("exports: export %d could not be built", export_id)
            with self.platform.uow() as uow:
                jobs.fail(uow, export_id, f"{type(exc).__name__}: the archive could not be built")
                uow.commit()
            return 1
        log.info("exports: export %d is ready (%d bytes)", ready.export_id, ready.size_bytes)
        return 1


SPEC = WorkerSpec(
    "exports",
    ExportBuilder,
    description="builds the data archives people ask for, and drops those not downloaded in time",
    consumer_group=False,
)
