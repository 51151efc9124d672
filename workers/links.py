"""The site's addresses for the notices the workers write (marketplace.notifications.links.Links),
under the public URL people reach the app at: web pages where a person acts, signed in, and (as
text for app builders) the API calls behind them. tests/e2e/test_links.py holds each one to a
route the app serves, since the workers may not import the app to ask it, and
tests/e2e/test_email_links.py follows every link of every letter as its reader."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.notifications.links import Reader


@dataclass(frozen=True)
class SiteLinks:
    public_url: str  # settings.public_url, without a trailing slash

    def _page(self, path: str) -> str:
        return f"{self.public_url}{path}"

    def task(self, task_id: int, reader: Reader) -> str:
        return self._page(f"/tasks/{task_id}" if reader == "client" else f"/work/{task_id}")

    def messages(self, task_id: int, reader: Reader) -> str:
        return f"{self.task(task_id, reader)}#conversation"  # the conversation is on the task's page

    def decline_rebooking(self, task_id: int) -> str:
        return self._page(f"/work/{task_id}")  # accept or decline, on the task's page

    def handoff_offers(self) -> str:
        return self._page("/handoffs")

    def accept_handoff(self, offer_id: int) -> str:
        return self._page(f"/handoffs/{offer_id}")

    def tasker_profile(self, tasker_id: int) -> str:
        return self._page(f"/taskers/{tasker_id}")

    def payouts(self) -> str:
        return self._page("/me/earnings")

    def enable_webhook(self, endpoint_id: int) -> str:
        return self._page(f"/me/webhooks/{endpoint_id}")

    def network(self) -> str:
        return self._page("/network")

    def connection_requests(self) -> str:
        return self._page("/network#requests")

    def endorsements(self) -> str:
        return self._page("/network#endorsements")

    def feed(self) -> str:
        return self._page("/feed")

    def question(self, question_id: int) -> str:
        return self._page(f"/questions/{question_id}")

    def notification_prefs(self) -> str:
        return self._page("/account/notifications")

    def unsubscribe(self, token: str) -> str:
        return self._page(f"/unsubscribe/{token}")

    def account_sessions(self) -> str:
        return self._page("/account/sessions")

    def sign_in_link(self, token: str) -> str:
        return self._page(f"/login/link/{token}")

    def data_download(self, token: str) -> str:
        return self._page(f"/account/data/download/{token}")

    # For apps: a method and a path of the API, shown as text (never a link).

    def api_task(self, task_id: int) -> str:
        return f"GET /api/v1/tasks/{task_id}"

    def api_messages(self, task_id: int) -> str:
        return f"GET /api/v1/tasks/{task_id}/messages"

    def api_handoffs(self) -> str:
        return "GET /api/v1/taskers/me/handoffs"

    def api_payouts(self) -> str:
        return "GET /api/v1/taskers/me/payouts"

    def api_webhook(self, endpoint_id: int) -> str:
        return f"GET /api/v1/taskers/me/webhooks/{endpoint_id}/deliveries"

    def api_connections(self) -> str:
        return "GET /api/v1/taskers/me/connections"

    def api_endorsements(self, tasker_id: int) -> str:
        return f"GET /api/v1/taskers/{tasker_id}/endorsements"

    def api_feed(self) -> str:
        return "GET /api/v1/tasks?open=true"

    def api_question(self, question_id: int) -> str:
        return f"GET /api/v1/questions/{question_id}"

    def api_sessions(self) -> str:
        return "GET /api/v1/me/sessions"
