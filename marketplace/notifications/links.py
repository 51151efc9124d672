"""Where a notice sends its reader. The domain names the place (a task, as its client sees it; the
offers waiting for a tasker) and never writes a URL: the entrypoint that knows the site's pages
builds a `Links` and hands it in (workers/links.py), so moving a page is a change in one place.

`reader` is the side reading the notice, "client" or "tasker": the same task has a web page for
its client and, for now, an API resource for its tasker.
"""

from __future__ import annotations

from typing import Literal, Protocol

Reader = Literal["client", "tasker"]


class Links(Protocol):
    def task(self, task_id: int, reader: Reader) -> str:
        """The task, where `reader` follows and acts on it."""
        ...

    def messages(self, task_id: int, reader: Reader) -> str:
        """The task's thread, where `reader` answers."""
        ...

    def decline_rebooking(self, task_id: int) -> str:
        """Where the tasker a rebooking is addressed to declines it."""
        ...

    def handoff_offers(self) -> str:
        """The hand-off offers waiting for the reading tasker."""
        ...

    def accept_handoff(self, offer_id: int) -> str:
        """Where a peer takes a hand-off offer."""
        ...

    def tasker_profile(self, tasker_id: int) -> str: ...

    def payouts(self) -> str:
        """The reading tasker's payouts."""
        ...

    def enable_webhook(self, endpoint_id: int) -> str:
        """Where a tasker enables a disabled webhook endpoint again."""
        ...

    def notification_prefs(self) -> str:
        """The reader's email preferences."""
        ...

    def unsubscribe(self, token: str) -> str:
        """The one-click unsubscribe link for a signed token (prefs.unsubscribe_token)."""
        ...
