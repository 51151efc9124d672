"""The senders sleep until the rows they send are committed: queueing a Stripe call, an email
or a webhook delivery wakes its loop at commit (a rollback wakes none), so an idle sender costs
nothing and a new row is not left waiting for a timer."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.outgoing import SendLoop
from marketplace.payments.calls import queue
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import seeded, wait_until
from workers import registry


def _loop_counting(platform, channel: str) -> tuple[SendLoop, list[float]]:
    from events.wakeup import waiter

    rounds: list[float] = []

    def one_round() -> int:
        rounds.append(time.monotonic())
        return 0

    return SendLoop("test", one_round, idle_s=60.0, bell=waiter(channel, engine=platform.engine)), rounds


def test_a_queued_stripe_call_wakes_the_sleeping_sender_at_commit_and_a_rollback_does_not(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url))
    with platform.uow() as uow:
        client = create_user(uow.session, "c@example.test", "correct horse battery", "client")
        task = post_task(
            uow, client.id, TaskDraft("yard-work", "springfield", "t", "", 60, utcnow() + timedelta(days=2))
        )
        uow.commit()
    loop, rounds = _loop_counting(platform, "payment_calls")
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(rounds) == 1, 10, message="the first round")
        with platform.uow() as uow:  # rolled back: nothing to wake for
            queue(uow, task.id, "release", "cancellation", "k-rolled-back", intent_id="pi_1")
        time.sleep(1.0)
        assert len(rounds) == 1
        with platform.uow() as uow:
            queue(uow, task.id, "release", "cancellation", "k-1", intent_id="pi_1")
            uow.commit()
        wait_until(lambda: len(rounds) == 2, 10, message="the sender woken by the commit (its slow poll is 60 s)")
    finally:
        stop.set()
        thread.join(10)
        loop.close()


def test_every_sender_worker_sleeps_on_a_bell(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, smtp_url="smtp://127.0.0.1:9"))
    for name in ("payment-calls", "mailer", "webhooks"):
        worker = registry()[name].build(platform)
        try:
            assert worker.bell is not None and worker.idle_s >= 5.0, name
        finally:
            worker.close()
