"""The doorbell on its own: a ring is kept until a wait sees it, reaches the waiters of its channel
and of the table it is part of, and a wait ends when rung, stopped or timed out."""

from __future__ import annotations

import threading
import time

from events.wakeup import Doorbell


def test_a_ring_before_the_wait_is_kept_for_it_and_seen_once():
    doorbell = Doorbell()
    waiter = doorbell.waiter(["payment_calls"])
    doorbell.ring(["payment_calls"])
    assert waiter.wait(0) is True
    assert waiter.wait(0) is False  # seen once: the next wait sleeps again


def test_a_ring_reaches_its_channel_and_its_table_only():
    doorbell = Doorbell()
    topic = doorbell.waiter(["event_log/tasks.posted"])
    table = doorbell.waiter(["event_log"])
    other_topic = doorbell.waiter(["event_log/tasks.priced"])
    other_table = doorbell.waiter(["payment_calls"])
    doorbell.ring(["event_log/tasks.posted"])
    assert [w.wait(0) for w in (topic, table, other_topic, other_table)] == [True, True, False, False]


def test_a_waiter_of_several_channels_wakes_for_any_of_them():
    doorbell = Doorbell()
    waiter = doorbell.waiter(["event_log/messages", "event_log/tasks.lifecycle"])
    doorbell.ring(["event_log/tasks.lifecycle"])
    assert waiter.wait(0)


def test_a_ring_from_another_thread_ends_a_long_wait():
    doorbell = Doorbell()
    waiter = doorbell.waiter(["email"])
    threading.Timer(0.2, doorbell.ring, args=(["email"],)).start()
    started = time.monotonic()
    assert waiter.wait(30) is True
    assert time.monotonic() - started < 5


def test_a_wait_ends_soon_after_stop_and_at_its_timeout():
    doorbell = Doorbell()
    waiter = doorbell.waiter(["email"])
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert waiter.wait(30, stop) is False
    assert time.monotonic() - started < 5
    started = time.monotonic()
    assert waiter.wait(0.05) is False
    assert time.monotonic() - started >= 0.05


def test_a_closed_waiter_is_not_rung_and_ringing_everything_reaches_the_rest():
    doorbell = Doorbell()
    closed, kept = doorbell.waiter(["email"]), doorbell.waiter(["webhooks"])
    closed.close()
    doorbell.ring_everything()
    assert (closed.wait(0), kept.wait(0)) == (False, True)
