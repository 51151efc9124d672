"""Access to the process's Platform (engine, outbox, transport) from inside a request."""

from __future__ import annotations

from flask import current_app

from marketplace.bootstrap import Platform
from marketplace.db import UnitOfWork


def platform() -> Platform:
    return current_app.extensions["floorboard"]


def unit_of_work() -> UnitOfWork:
    """A fresh unit of work (`with unit_of_work() as unit:`). Passed uncalled, it is the factory
    that the use cases which ask Stripe between two units of work open themselves."""
    return platform().uow()
