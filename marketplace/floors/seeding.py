"""The regions, categories and legal minimums a fresh database starts with, added where missing:
the command line's demo seed (cli/demo.py) says which, and floors writes them, as it writes every
row of its tables."""

from __future__ import annotations

from sqlmodel import Session

from marketplace.floors.legal import history
from marketplace.floors.models import Category, LegalMinimumVersion, Region


def add_missing(
    session: Session, regions: list[Region], categories: list[Category], minimums: list[LegalMinimumVersion]
) -> None:
    """Add each region and category whose slug is not there yet, then each legal minimum whose
    region has none from the same date (`author` is the seed)."""
    for region in regions:
        if session.get(Region, region.slug) is None:
            session.add(Region(**region.model_dump()))
    for category in categories:
        if session.get(Category, category.slug) is None:
            session.add(Category(**category.model_dump()))
    session.flush()
    for legal in minimums:
        if not any(r.effective_from == legal.effective_from for r in history(session, legal.region)):
            session.add(
                LegalMinimumVersion(**legal.model_dump(exclude={"id", "author", "created_at"}), author="system (seed)")
            )
    session.flush()
