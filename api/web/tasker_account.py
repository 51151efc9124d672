"""A tasker's own account on the web: profile, skills and rates per region, the path to
better-paid work, earnings and payouts (Stripe onboarding), and webhooks."""

from __future__ import annotations

from api.platform import unit_of_work
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, render_page
from marketplace.clock import utcnow
from marketplace.community.reputation import public_reputation
from marketplace.network.connections import connections_view
from marketplace.network.endorsements import endorsements_for
from marketplace.network.handoffs import my_offers
from marketplace.network.path import path_view
from marketplace.taskers.skills import skills_view

__all__ = ["bp"]


@bp.get("/me")
@web_requires("tasker")
def me():
    """A tasker's own page: reputation, skills, network, and the path to better-paid work."""
    me_id = signed_in().id
    with unit_of_work() as unit:
        reputation = public_reputation(unit.session, me_id)
        skills = skills_view(unit.session, me_id)
        path = path_view(unit.session, me_id, utcnow())
        network = connections_view(unit.session, me_id)
        offers = my_offers(unit.session, me_id)
        endorsements = endorsements_for(unit.session, me_id)
    return render_page(
        "web/me.html",
        reputation=reputation,
        skills=skills,
        path=path,
        network=network,
        offers=offers,
        endorsements=endorsements,
    )
