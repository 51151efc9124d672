"""The rate limits' in-process store counts and expires as `limits`' memory store does, without
starting a thread per request (the stock store started one almost every time under load)."""

from __future__ import annotations

import threading
import time

from limits.storage import storage_from_string

import api.limits  # noqa: F401 - registers the floorboard-memory:// scheme


def test_it_counts_expires_and_starts_no_thread_per_hit(monkeypatch):
    store = storage_from_string("floorboard-memory://")
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self), real_start(self))[1])
    assert [store.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    for i in range(500):
        store.incr(f"k{i % 7}", 60)
    assert started == []
    store.incr("brief", 0.05)
    time.sleep(0.1)
    assert store.get("brief") == 0 and store.get("a") == 3
