"""Wake-ups: a loop that waits for rows sleeps until a commit rings for them, not on a timer.

A *channel* names what was written: a table (`payment_calls`), or a table and a part of it
(`event_log/tasks.posted`; ringing that also wakes whoever waits on the whole `event_log`).

Producer side: in the unit of work that inserts the rows, `ring_on_commit(session, channel)`
(or `uow.wake_on_commit(channel)`). The outbox does it for every event it appends. The bell rings
only once the transaction commits, and not at all if it rolls back:

- in this process, right after the commit, for every waiter on the channel;
- in other processes, on PostgreSQL: a `NOTIFY floorboard_wakeup` in the committing transaction
  itself, so it is delivered once the rows are visible and never for a rollback. Each process
  that waits keeps one listening connection (a thread), which rings its own waiters.

Consumer side: a `Waiter`, made once and kept, because it remembers a ring that came while its
owner was busy (a ring between a read that found nothing and the wait that follows is not lost):

    bell = waiter("payment_calls", engine=platform.engine)  # once, before the first read
    while not stop.is_set():
        if not do_a_round():  # found nothing to do
            bell.wait(FALLBACK_S, stop)  # until rung, stopped, or FALLBACK_S passes
    bell.close()

The fallback wait stays: it is how work is found that no commit announces (a row whose retry
comes due, a lease that runs out), how SQLite's other processes are seen (SQLite has no NOTIFY:
across processes it is the slow poll alone), and what carries on while the listening connection
is down (it reconnects with backoff, and rings every waiter when it is back, since it may have
missed something). A wait that the bell cuts short costs one read that may find nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

from events.outages import Outage, backoff_delay

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "floorboard_wakeup"  # PostgreSQL's channel: the payload names ours
STOP_CHECK_S = 0.25  # how often a wait given a stop event looks at it
KEEPALIVE_S = 30.0  # a listening connection proves itself alive this often
_PENDING = "floorboard_wakeup_channels"  # in session.info: what this transaction rings at commit
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def log_channel(topic: str) -> str:
    """The channel of one topic of the embedded log (the outbox table)."""
    return f"event_log/{topic}"


class Waiter:
    """Sleeps until one of its channels rings. A ring that comes while nobody waits is kept until
    the next `wait`, which then returns at once."""

    def __init__(self, doorbell: Doorbell, channels: frozenset[str]):
        self.channels = channels
        self._doorbell = doorbell
        self._rung = threading.Event()

    def wait(self, timeout_s: float, stop: threading.Event | None = None) -> bool:
        """Wait up to `timeout_s`; True if rung (a ring is consumed by the wait that sees it).
        With `stop`, return False soon after it is set."""
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            step = remaining if stop is None else min(remaining, STOP_CHECK_S)
            if self._rung.wait(max(step, 0.0)):
                # Cleared after waking: a ring that lands before the clear came from a commit
                # that the caller's next read, which starts after it, will see.
                self._rung.clear()
                return True
            if remaining <= step or (stop is not None and stop.is_set()):
                return False

    def ring(self) -> None:
        self._rung.set()

    def close(self) -> None:
        self._doorbell.forget(self)


class Doorbell:
    """The waiters of one process, by channel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, weakref.WeakSet[Waiter]] = {}

    def waiter(self, channels: Iterable[str]) -> Waiter:
        waiter = Waiter(self, frozenset(channels))
        with self._lock:
            for channel in waiter.channels:
                self._waiters.setdefault(channel, weakref.WeakSet()).add(waiter)
        return waiter

    def forget(self, waiter: Waiter) -> None:
        with self._lock:
            for channel in waiter.channels:
                self._waiters.get(channel, weakref.WeakSet()).discard(waiter)

    def ring(self, channels: Iterable[str]) -> None:
        """Wake the waiters on each channel, and on the table each one is part of."""
        with self._lock:
            woken = {
                waiter
                for channel in channels
                for name in {channel, channel.partition("/")[0]}
                for waiter in self._waiters.get(name, ())
            }
        for waiter in woken:
            waiter.ring()

    def ring_everything(self) -> None:
        with self._lock:
            woken = {waiter for waiters in self._waiters.values() for waiter in waiters}
        for waiter in woken:
            waiter.ring()


DOORBELL = Doorbell()
_listeners: dict[int, Listener] = {}  # by id(engine): one listening connection per database per process
_listeners_lock = threading.Lock()
_token = uuid.uuid4().hex  # this process, in its NOTIFY payloads: its own come back to it


def ring(*channels: str) -> None:
    """Ring now, in this process only (the commit hook does this after a commit)."""
    DOORBELL.ring(channels)


def waiter(*channels: str, engine: Engine | None = None) -> Waiter:
    """A waiter on `channels`. With a PostgreSQL `engine`, it also hears commits made by other
    processes on that database (this process starts listening, once per engine)."""
    if engine is not None and engine.dialect.name == "postgresql":
        listen(engine)
    return DOORBELL.waiter(channels)


def ring_on_commit(session: Session, *channels: str) -> None:
    """Ring `channels` once the session's current transaction commits (not if it rolls back)."""
    session.info.setdefault(_PENDING, set()).update(channels)


@sa_event.listens_for(Session, "before_commit")
def _notify_other_processes(session: Session) -> None:
    channels = session.info.get(_PENDING)
    if not channels or session.in_nested_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    payload = " ".join([_token, *sorted(channels)])
    session.connection().execute(_NOTIFY, {"channel": NOTIFY_CHANNEL, "payload": payload})


@sa_event.listens_for(Session, "after_commit")
def _ring_this_process(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the rows are not committed yet
    channels = session.info.pop(_PENDING, None)
    if channels:
        DOORBELL.ring(channels)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


class Listener:
    """One thread with one connection doing LISTEN, ringing this process's waiters for commits
    made elsewhere. Reconnects with capped backoff; stops when the engine is disposed."""

    def __init__(self, engine: Engine, doorbell: Doorbell):
        self.engine = engine
        self.doorbell = doorbell
        self.listening = threading.Event()  # set while the connection is up (for tests and the bench)
        self._stop = threading.Event()
        self._outage = Outage(log, "wake-ups: the database's LISTEN connection")
        self._thread = threading.Thread(target=self._run, name="wakeup-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            connection: Any = None
            try:
                raw = self.engine.raw_connection()  # made with the engine's own connect arguments
                connection = raw.driver_connection
                raw.detach()  # its own for good: the pool never hands it out, resets or closes it
                connection.rollback()
                connection.autocommit = True
                connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                self.listening.set()
                self._outage.recovered()
                failures = 0
                self.doorbell.ring_everything()  # whatever committed while nobody listened
                self._listen(connection)
            except Exception as exc:  # noqa: BLE001 - any failure: waiters fall back to their slow poll meanwhile
                if not self._stop.is_set():
                    self._outage.failed(exc)
                    failures += 1
            finally:
                self.listening.clear()
                if connection is not None:
                    connection.close()  # psycopg's close does not raise, even for a lost connection
            if failures:
                self._stop.wait(backoff_delay(failures - 1, 0.5, 30.0))

    def _listen(self, connection: Any) -> None:
        checked = time.monotonic()
        while not self._stop.is_set():
            # Notifications that arrive between two calls wait in the connection's backlog.
            for note in connection.notifies(timeout=1.0):
                self._deliver(note.payload)
            if time.monotonic() - checked >= KEEPALIVE_S:
                connection.execute("SELECT 1")  # a dead connection raises here, not in silence
                checked = time.monotonic()

    def _deliver(self, payload: str) -> None:
        sender, *channels = payload.split(" ")
        if sender != _token:  # this process rang its own waiters at commit
            self.doorbell.ring(channels)


def listen(engine: Engine) -> Listener:
    """The listener for `engine`'s database in this process, started on first use."""
    with _listeners_lock:
        listener = _listeners.get(id(engine))
        if listener is None:
            listener = _listeners[id(engine)] = Listener(engine, DOORBELL)
            sa_event.listen(engine, "engine_disposed", _stop_listening)
            listener.start()
        return listener


def _stop_listening(engine: Engine) -> None:
    with _listeners_lock:
        listener = _listeners.pop(id(engine), None)
    if listener is not None:
        listener.stop()


def _after_fork() -> None:
    """A forked child (a gunicorn worker) has no listener threads and is a process of its own."""
    global DOORBELL, _listeners, _listeners_lock, _token
    DOORBELL, _listeners, _listeners_lock, _token = Doorbell(), {}, threading.Lock(), uuid.uuid4().hex


os.register_at_fork(after_in_child=_after_fork)
