"""Account mail that no event brings: written where the thing happens, and never switched off."""

from __future__ import annotations

from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Links

WEBHOOK_DISABLED = "webhook.disabled"


def webhook_disabled(links: Links, endpoint_id: int, url: str, reason: str) -> Draft:
    """To a tasker whose webhook endpoint the sender disabled (a 410, or 3 days failing)."""
    return Draft(
        "Your webhook endpoint was disabled",
        [
            f"We disabled your webhook endpoint {url}: {reason}",
            "Fix it, then enable it again on its page, where its deliveries are listed.",
        ],
        links.enable_webhook(endpoint_id),
        "Your endpoint",
        links.api_webhook(endpoint_id),
    )
