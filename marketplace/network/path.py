"""A tasker's path to better-paid work: for each category they could move up to, what it pays in
their regions against what they earn now (their real rates: in each region, the best rate that
applies there among the skills they may work, a floor's lift included), what unlocks it (the
completed-work rule with their progress, or the mentored route with the endorsements they hold),
and the three most helpful tips and top guides on its board."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from marketplace.community.boards import ranked_board
from marketplace.community.guides import top_guides
from marketplace.community.scoring import SKILLED_MIN_COMPLETED, SKILLED_MIN_TIER, TIER_ORDER
from marketplace.floors.models import Category, Level
from marketplace.network.endorsements import endorsements_for
from marketplace.taskers.levels import standing
from marketplace.taskers.mentoring import MENTORS_NEEDED
from marketplace.taskers.models import TaskerRegion, TaskerRegionRate, TaskerSkill
from marketplace.taskers.skills import binding_floors

TIPS_SHOWN = 3
GUIDES_SHOWN = 3


def path_view(session: Session, tasker_id: int, now: datetime) -> dict:
    st = standing(session, tasker_id)
    regions = sorted(session.exec(select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == tasker_id)))
    skills = session.exec(select(TaskerSkill).where(col(TaskerSkill.tasker_id) == tasker_id)).all()
    workable = [s for s in skills if (c := session.get(Category, s.category)) is not None and st.may_work(c)]
    own = {
        (r.category, r.region): r.rate
        for r in session.exec(select(TaskerRegionRate).where(col(TaskerRegionRate.tasker_id) == tasker_id))
    }
    best_in = {  # region -> the best rate the tasker works at there now
        region: max(own.get((s.category, region), s.rate) for s in workable) for region in regions if workable
    }
    earns_now: int | None = max(best_in.values(), default=None)
    best_tier = max(st.tiers.values(), key=lambda t: TIER_ORDER[t], default="newcomer")
    held = endorsements_for(session, tasker_id)
    steps: list[dict] = []
    for category in session.exec(select(Category).order_by(col(Category.slug))):
        if category.level == Level.general or st.may_work(category):
            continue
        binding = binding_floors(session, category.slug, regions)
        floors = [
            {
                "region": r,
                "hourly_floor": f,
                "earns_now": best_in.get(r),
                "difference": None if best_in.get(r) is None else f - best_in[r],
            }
            for r, f in binding
        ]
        top: int | None = max((f for _, f in binding), default=None)
        routes: list[dict] = []
        if category.level == Level.skilled:
            routes.append(
                {
                    "route": "completed_work",
                    "met": st.skilled,
                    "progress": (
                        f"{st.completed} of {SKILLED_MIN_COMPLETED} tasks completed; best tier {best_tier} "
                        f"(needs {SKILLED_MIN_TIER})"
                    ),
                    "completed": st.completed,
                    "completed_needed": SKILLED_MIN_COMPLETED,
                    "tier": best_tier,
                    "tier_needed": SKILLED_MIN_TIER,
                }
            )
            mine = [e for e in held if e["category"] == category.slug]
            counting = sum(1 for e in mine if e["counts_for_mentoring"])
            routes.append(
                {
                    "route": "mentored",
                    "met": counting >= MENTORS_NEEDED,
                    "progress": (
                        f"{counting} of {MENTORS_NEEDED} endorsements from elite mentors "
                        f"({len(mine)} endorsement{'' if len(mine) == 1 else 's'} held)"
                    ),
                    "endorsements": [
                        {
                            "from": e["endorser_name"],
                            "endorser_id": e["endorser_id"],
                            "counts": e["counts_for_mentoring"],
                        }
                        for e in mine
                    ],
                    "endorsements_needed": MENTORS_NEEDED,
                }
            )
        else:
            routes.append(
                {
                    "route": "licence",
                    "met": False,
                    "progress": "An operator verifies your licence for this category.",
                }
            )
        ranked, _ = ranked_board(session, category.slug, now, TIPS_SHOWN)
        guides = top_guides(session, category.slug, GUIDES_SHOWN)
        steps.append(
            {
                "category": category.slug,
                "name": category.name,
                "level": category.level,
                "floors": floors,
                "highest_floor": top,
                "earns_now": earns_now,
                "difference": None if top is None or earns_now is None else top - earns_now,
                "routes": routes,
                "tips": [
                    {"tip_id": r.entry.tip_id, "title": r.entry.title, "helpful": r.entry.helpful} for r in ranked
                ],
                "guides": [
                    {"id": g["id"], "title": g["title"], "author": g["author"], "helpful": g["helpful"]} for g in guides
                ],
            }
        )
    steps.sort(key=lambda s: (-(s["highest_floor"] or 0), s["category"]))
    return {"earns_now": earns_now, "regions": regions, "categories": steps}
