"""The demo data `floorboard seed` and `floorboard dev` start with: regions (two with real legal minimums),
categories at each level, a floor for every pair, and one demo login per role. The command is in
`cli/seed.py`, so that its `--help` does not load the tables this module builds."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import col, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.two_factor import enrol_with_secret, is_enrolled
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.floors.legal import binding_from
from marketplace.floors.models import Category, LegalMinimumVersion, Level, Region
from marketplace.floors.seeding import add_missing
from marketplace.floors.versions import FloorChange, set_floor, versions_of

REGIONS = [
    Region(slug="seattle", name="Seattle, WA", timezone="America/Los_Angeles"),
    Region(slug="nyc", name="New York City, NY", timezone="America/New_York"),
    Region(slug="springfield", name="Springfield", timezone="America/Chicago"),
    Region(slug="riverside", name="Riverside", timezone="America/Los_Angeles"),
]

# Legal minimums with their sources. Operators must keep these current: the laws change their
# figures every year (`floorboard legal-minimum set` records a new one from its date).
LEGAL_MINIMUMS = [
    LegalMinimumVersion(
        region="seattle",
        effective_from=datetime(2025, 1, 13, 8, 0, tzinfo=timezone.utc),  # 2025-01-13 00:00 in Seattle
        per_minute=45,
        per_task=520,
        source=(
            "Seattle App-Based Worker Minimum Payment Ordinance (PayUp), SMC 8.37; 2025 rates published by "
            "the Seattle Office of Labor Standards: $0.45 a minute of engaged time and $5.20 an offer"
        ),
    ),
    LegalMinimumVersion(
        region="nyc",
        effective_from=datetime(2025, 4, 1, 4, 0, tzinfo=timezone.utc),  # 2025-04-01 00:00 in New York
        per_hour=2144,
        source=(
            "NYC minimum pay rate for app-based restaurant delivery workers, NYC Department of Consumer "
            "and Worker Protection: $21.44 an hour from 2025-04-01"
        ),
    ),
    LegalMinimumVersion(
        region="nyc",
        effective_from=datetime(2026, 4, 1, 4, 0, tzinfo=timezone.utc),  # 2026-04-01 00:00 in New York
        per_hour=2213,
        source=(
            "NYC minimum pay rate for app-based restaurant delivery workers, NYC Department of Consumer "
            "and Worker Protection: $22.13 an hour from 2026-04-01"
        ),
    ),
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
# Operators must sign in with two-factor, so the demo operator comes enrolled, with this secret
# published like its password (`floorboard dev` prints it and how to make a code from it).
DEMO_OPERATOR_TOTP_SECRET = "FLOORBOARDDEMOOPERATORSECRETABCD"


def seed_demo(uow, demo_users: bool = True) -> list[tuple[str, str, str]]:
    """Idempotent: adds only what is missing. Returns the demo logins (email, password, role).

    The demo logins have published passwords, so they are for `floorboard dev` only; without
    them the floors' author is the system.
    """
    session = uow.session
    add_missing(session, REGIONS, CATEGORIES, LEGAL_MINIMUMS)
    if demo_users:
        for email, password, role, name in DEMO_USERS:
            if session.exec(select(User).where(col(User.email) == email)).first() is None:
                create_user(session, email, password, role, name)
    operator = session.exec(select(User).where(col(User.email) == DEMO_USERS[2][0])).first()
    if demo_users and operator is not None and not is_enrolled(session, operator.id):
        enrol_with_secret(session, operator, DEMO_OPERATOR_TOTP_SECRET)
    author_id, author = (operator.id, operator.email) if operator else (None, "system (seed)")

    for category in CATEGORIES:
        for region in REGIONS:
            if versions_of(session, category.slug, region.slug):
                continue
            binding = binding_from(session, region.slug, utcnow())
            hourly = max([LEVEL_FLOORS[Level(category.level)]] + [m.hourly_equivalent for m in binding])
            set_floor(
                uow,
                FloorChange(
                    category.slug,
                    region.slug,
                    "Initial floor (demo seed)",
                    {
                        "hourly_floor": hourly,
                        "per_task_floor": max([1500] + [m.per_task or 0 for m in binding]),
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
