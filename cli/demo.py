"""`floorboard seed`, and the demo data `floorboard dev` starts with: regions (two with real legal minimums),
categories at each level, a floor for every pair, and one demo login per role."""

from __future__ import annotations

import click
from sqlmodel import col, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.users import create_user
from marketplace.bootstrap import bootstrap
from marketplace.floors.models import Category, Level, Region
from marketplace.floors.versions import FloorChange, set_floor, versions_of

REGIONS = [
    # Seattle's PayUp ordinance (2025): $0.45 a minute and $5.20 an offer.
    Region(
        slug="seattle",
        name="Seattle, WA",
        legal_min_per_minute=45,
        legal_min_per_task=520,
        legal_source="Seattle PayUp ordinance, 2025",
    ),
    # New York City's delivery-worker minimum (2026): $22.13 an hour.
    Region(
        slug="nyc",
        name="New York City, NY",
        legal_min_per_hour=2213,
        legal_source="NYC delivery-worker minimum pay, 2026",
    ),
    Region(slug="springfield", name="Springfield"),
    Region(slug="riverside", name="Riverside"),
]

CATEGORIES = [
    Category(slug="furniture-assembly", name="Furniture assembly", level=Level.general),
    Category(slug="moving-help", name="Moving help", level=Level.general),
    Category(slug="yard-work", name="Yard work", level=Level.general),
    Category(slug="mounting", name="Mounting and lighting installation", level=Level.skilled),
    Category(slug="electrical", name="Electrical repair", level=Level.licensed),
]

# Hourly floors by category level, in cents; raised to a region's legal minimum where it has one.
LEVEL_FLOORS = {Level.general: 2400, Level.skilled: 3800, Level.licensed: 6500}

DEMO_USERS = [
    ("client@demo.floorboard.test", "demo-client-password", Role.client, "Casey Client"),
    ("tasker@demo.floorboard.test", "demo-tasker-password", Role.tasker, "Taylor Tasker"),
    ("operator@demo.floorboard.test", "demo-operator-password", Role.operator, "Olivia Operator"),
]


def seed_demo(uow, demo_users: bool = True) -> list[tuple[str, str, str]]:
    """Idempotent: adds only what is missing. Returns the demo logins (email, password, role).

    The demo logins have published passwords, so they are for `floorboard dev` only; without
    them the floors' author is the system.
    """
    session = uow.session
    for region in REGIONS:
        if session.get(Region, region.slug) is None:
            session.add(Region(**region.model_dump()))
    for category in CATEGORIES:
        if session.get(Category, category.slug) is None:
            session.add(Category(**category.model_dump()))
    session.flush()
    if demo_users:
        for email, password, role, name in DEMO_USERS:
            if session.exec(select(User).where(col(User.email) == email)).first() is None:
                create_user(session, email, password, role, name)
    operator = session.exec(select(User).where(col(User.email) == DEMO_USERS[2][0])).first()
    author_id, author = (operator.id, operator.email) if operator else (None, "system (seed)")

    for category in CATEGORIES:
        for region in REGIONS:
            if versions_of(session, category.slug, region.slug):
                continue
            hourly = max(
                LEVEL_FLOORS[Level(category.level)],
                region.legal_min_per_hour or 0,
                (region.legal_min_per_minute or 0) * 60,
            )
            set_floor(
                uow,
                FloorChange(
                    category.slug,
                    region.slug,
                    "Initial floor (demo seed)",
                    {
                        "hourly_floor": hourly,
                        "per_task_floor": max(1500, region.legal_min_per_task or 0),
                        "service_fee_bps": 1500,
                        "trust_fee_bps": 500,
                        "tasker_commission_bps": 0,
                    },
                ),
                author_id,
                author,
            )
    return [(email, password, role) for email, password, role, _ in DEMO_USERS] if demo_users else []


def seed_platform(platform, demo: bool) -> list[tuple[str, str, str]]:
    with platform.uow() as uow:
        logins = seed_demo(uow, demo_users=demo)
        uow.commit()
    return logins


@click.command()
@click.option("--demo", is_flag=True, help="Also create the demo client, tasker and operator logins.")
def seed(demo):
    """Seed regions, categories and floors (idempotent)."""
    logins = seed_platform(bootstrap(), demo)
    click.echo("seeded regions, categories and floors" + (" and the demo logins" if logins else ""))
