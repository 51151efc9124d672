"""Is this category or region slug one we have? Asked on every posting, answered from a per-process
memory of the slugs seen to exist (a minute at most), so a posting costs no catalog query.

Only existence is remembered: a slug not (yet) known is always looked up, so a category an operator
has just added is accepted at once. Categories and regions are never deleted, so a remembered slug
cannot go stale."""

from __future__ import annotations

import threading

from cachetools import TTLCache
from sqlmodel import Session

from marketplace.floors.models import Category, Region

_seen: TTLCache[tuple[str, str, str], bool] = TTLCache(maxsize=10_000, ttl=60)
_lock = threading.Lock()


def _exists(session: Session, model: type[Category] | type[Region], slug: str) -> bool:
    key = (str(session.get_bind().engine.url), model.__name__, slug)
    with _lock:
        if key in _seen:
            return True
    if session.get(model, slug) is None:
        return False
    with _lock:
        _seen[key] = True
    return True


def is_category(session: Session, slug: str) -> bool:
    return _exists(session, Category, slug)


def is_region(session: Session, slug: str) -> bool:
    return _exists(session, Region, slug)
