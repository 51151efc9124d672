"""The PostgreSQL pool hands out no connection the server has dropped, and pings only a connection
that sat idle (marketplace/db.check_on_checkout): a busy request path pays no round trip for it."""

from __future__ import annotations

import time

from sqlalchemy import text

from marketplace import db
from marketplace.db import make_engine
from tests.support import wait_until


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _count_pings(engine, monkeypatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_conn):
        pings.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_in_use_is_handed_out_again_without_a_ping(postgres_url, monkeypatch):
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = _pid(engine)
        pings = _count_pings(engine, monkeypatch)
        assert [_pid(engine) for _ in range(20)] == [first] * 20  # the same pooled connection each time
        assert pings == []
    finally:
        engine.dispose()


def test_a_connection_the_server_ended_is_replaced_at_checkout(postgres_url, monkeypatch):
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    other = make_engine(postgres_url)
    try:
        pings = _count_pings(engine, monkeypatch)
        gone = _pid(engine)
        with other.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": gone}).scalar_one()
        wait_until(
            lambda: db._hung_up(engine.pool._pool.queue[0].dbapi_connection),  # type: ignore[attr-defined]
            timeout=10,
            message="the terminated session's socket to close",
        )
        with engine.connect() as conn:  # no error: the dropped connection is replaced in the checkout
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != gone
        assert pings == [], "it was seen from the socket, without a round trip"
    finally:
        engine.dispose()
        other.dispose()


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(postgres_url, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.05)
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        pings = _count_pings(engine, monkeypatch)
        first = _pid(engine)
        time.sleep(0.1)
        assert _pid(engine) == first and pings == [1]  # idle, so pinged; alive, so kept
        # A peer gone without a word: the socket shows nothing, only the ping finds it.
        monkeypatch.setattr(db, "_hung_up", lambda _conn: False)
        engine.pool._pool.queue[0].dbapi_connection.close()  # type: ignore[attr-defined]
        time.sleep(0.1)
        assert _pid(engine) != first and len(pings) == 2
    finally:
        engine.dispose()
