"""A tasker's own account on the web: profile, skills and rates per region, the path to
better-paid work, earnings and payouts (Stripe onboarding), and webhooks."""

from __future__ import annotations

from api.web.site import bp

__all__ = ["bp"]
