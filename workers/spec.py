"""What a worker module declares about itself (its SPEC): the name `floorboard worker NAME` takes,
how to build it, and whether it is a consumer group. Kept apart from the registry in
workers/__init__.py, so that a worker module never imports the package that lists it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerSpec:
    name: str
    build: Callable  # (platform) -> an object with run(stop) and close()
    kafka_only: bool = False
    description: str = ""
    consumer_group: bool = True  # False: the relay and the retention worker, which consume nothing
