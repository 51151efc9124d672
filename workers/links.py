"""The site's addresses for the notices the workers write (marketplace.notifications.links.Links),
under the public URL people reach the app at. The paths are the web app's and the API's routes;
tests/unit/test_links.py holds each one to a route the app serves, since the workers may not import
the app to ask it."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.notifications.links import Reader


@dataclass(frozen=True)
class SiteLinks:
    public_url: str  # settings.public_url, without a trailing slash

    def task(self, task_id: int, reader: Reader) -> str:
        if reader == "client":
            return f"{self.public_url}/tasks/{task_id}"
        return f"{self.public_url}/api/v1/tasks/{task_id}"

    def messages(self, task_id: int, reader: Reader) -> str:
        if reader == "client":
            return f"{self.public_url}/tasks/{task_id}"  # the thread is on the task's page
        return f"{self.public_url}/api/v1/tasks/{task_id}/messages"

    def decline_rebooking(self, task_id: int) -> str:
        return f"{self.public_url}/api/v1/tasks/{task_id}/decline"

    def handoff_offers(self) -> str:
        return f"{self.public_url}/api/v1/taskers/me/handoffs"

    def accept_handoff(self, offer_id: int) -> str:
        return f"{self.public_url}/api/v1/handoffs/{offer_id}/accept"

    def tasker_profile(self, tasker_id: int) -> str:
        return f"{self.public_url}/taskers/{tasker_id}"

    def payouts(self) -> str:
        return f"{self.public_url}/api/v1/taskers/me/payouts"

    def enable_webhook(self, endpoint_id: int) -> str:
        return f"{self.public_url}/api/v1/taskers/me/webhooks/{endpoint_id}/enable"

    def notification_prefs(self) -> str:
        return f"{self.public_url}/account/notifications"

    def unsubscribe(self, token: str) -> str:
        return f"{self.public_url}/unsubscribe/{token}"
