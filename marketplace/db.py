"""The database engine and the unit of work.

A unit of work is a context manager that rolls back unless `commit()` is called, so a handler
that raises leaves nothing behind.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from events.envelope import CloudEvent
from events.outbox import Outbox
from events.wakeup import ring_on_commit


def make_engine(url: str, *, lock_timeout_ms: int = 0, statement_timeout_ms: int = 0, **kwargs) -> Engine:
    """An engine for `url`. On PostgreSQL, each connection gets the lock and statement timeouts
    (0 = none), and a connect attempt gives up after 5 s rather than hanging on a lost host."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @sa_event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            # pysqlite's own transaction handling is turned off so that "begin" below decides.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @sa_event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Take the write lock at BEGIN so two writers queue instead of failing on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    options = f"-c lock_timeout={int(lock_timeout_ms)} -c statement_timeout={int(statement_timeout_ms)}"
    connect_args = {"connect_timeout": 5, "options": options}
    pool = {"pool_size": 10, "max_overflow": 20, **kwargs}
    engine = create_engine(url, connect_args=connect_args, **pool)
    check_on_checkout(engine)
    return engine


PING_AFTER_IDLE_S = 5.0  # a pooled connection unused for longer is pinged before it is handed out
_LAST_USE = "floorboard_last_use"


def check_on_checkout(engine: Engine) -> None:
    """Hand out no connection the server has dropped, without a round trip per checkout.

    SQLAlchemy's pool_pre_ping sends a SELECT 1 at every checkout: with two checkouts a posting
    (the token check, then the unit of work) that was two of its seven round trips. Instead:
    - a server that ends a session (a restart, a crash, pg_terminate_backend, an idle timeout)
      closes its socket, most often after a last error message; an idle connection has nothing
      else to read, so a socket that polls readable (or hung up) is dropped at once, with every
      other pooled connection, as pre-ping does when its ping fails;
    - a connection idle for more than PING_AFTER_IDLE_S is pinged as before, for a peer that went
      away without closing (a host gone, a network path cut): under load, connections come back to
      the pool and go out again within milliseconds, so the busy path never pays for it.
    A connection the pool discards is replaced by a new one in the same checkout."""

    @sa_event.listens_for(engine, "connect")
    def _connected(_dbapi_conn, record) -> None:
        record.info[_LAST_USE] = time.monotonic()

    @sa_event.listens_for(engine, "checkin")
    def _returned(dbapi_conn, record) -> None:
        if dbapi_conn is not None:
            record.info[_LAST_USE] = time.monotonic()

    @sa_event.listens_for(engine, "checkout")
    def _check(dbapi_conn, record, _proxy) -> None:
        if _hung_up(dbapi_conn):
            raise sa_exc.InvalidatePoolError("the server closed this pooled connection")
        if time.monotonic() - record.info.get(_LAST_USE, 0.0) <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_conn, None):
                raise sa_exc.InvalidatePoolError(f"a pooled connection failed its ping: {error}") from error
            raise


def _hung_up(dbapi_conn) -> bool:
    """The driver knows the connection is gone, or its socket has something to read (or hung up)
    while nothing was asked of it: the server's goodbye."""
    if dbapi_conn.closed or getattr(dbapi_conn, "broken", False):
        return True
    poller = select.poll()
    try:
        poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLPRI)
    except (OSError, ValueError):
        return True
    return bool(poller.poll(0))


def durability_problem(engine: Engine) -> str | None:
    """Why commits on this database may not survive a crash, or None. PostgreSQL with
    synchronous_commit or fsync off answers a commit before it is on disk: a crash then loses
    tasks already answered 202, and pricing whose Kafka offsets were committed. SQLite (for one
    machine, `floorboard dev`) commits durably in WAL mode and is not checked."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        values = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in ("synchronous_commit", "fsync")}
    off = [f"{name}={value}" for name, value in values.items() if value == "off"]
    if not off:
        return None
    return (
        f"PostgreSQL runs with {' and '.join(off)}: a crash can lose commits already answered. Turn it on "
        "(ALTER SYSTEM SET synchronous_commit = on; ALTER SYSTEM SET fsync = on; then reload), or set "
        "FLOORBOARD_ALLOW_ASYNC_COMMIT=1 if losing them is acceptable (test clusters only)."
    )


def _bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """PostgreSQL: COPY, the cheapest way in for many plain rows. Elsewhere: one executemany."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection has its driver's
    with driver.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


class UnitOfWork:
    """`with uow_factory() as uow: ...; uow.commit()`: rolls back unless committed.

    `emit()` adds an event to the outbox in the same transaction as the state it reports.
    """

    session: Session  # open between __enter__ and __exit__

    def __init__(self, engine: Engine, outbox: Outbox):
        self.engine = engine
        self.outbox = outbox
        self._staged: dict = {}
        self._before_commit: dict[object, Callable[[], None]] = {}

    def __enter__(self) -> "UnitOfWork":
        self.session = Session(self.engine, expire_on_commit=False)
        return self

    def __exit__(self, *exc) -> None:
        assert self.session is not None
        # close() rolls back anything uncommitted; unlike rollback() it leaves loaded objects
        # readable, so a view can serialise what the use case returned.
        self.session.close()

    def commit(self) -> None:
        assert self.session is not None
        while self._before_commit:  # in the order registered; one may register another
            self._before_commit.pop(next(iter(self._before_commit)))()
        self.session.flush()
        for table, rows in self._staged.items():  # one bulk write per table, in this transaction
            _bulk_insert(self.session, table, rows)
        self._staged.clear()
        self.session.commit()

    def stage(self, table, row: dict) -> None:
        """Add a row to insert at commit, batched with the others for the same table: for
        handlers that write one plain row per event, cheaper than an ORM object each."""
        self._staged.setdefault(table, []).append(row)

    def before_commit(self, key: object, work: Callable[[], None]) -> None:
        """Run `work()` once at commit, before the staged rows are written (a second registration
        under the same key is ignored): for handlers that gather a batch's events and handle them
        together, with one read per table instead of one per event."""
        self._before_commit.setdefault(key, work)

    def emit(self, event: CloudEvent, key: str, topic: str | None = None) -> None:
        assert self.session is not None
        self.outbox.add(self.session, event, key, topic)

    def wake_on_commit(self, *channels: str) -> None:
        """Once this unit of work commits, wake the loops waiting on `channels` (events/wakeup.py):
        a use case that writes rows for a sender names their table. A rollback wakes no one."""
        ring_on_commit(self.session, *channels)

    def rollback(self) -> None:
        assert self.session is not None
        self._staged.clear()
        self._before_commit.clear()
        self.session.rollback()


def insert_if_absent(session: Session, model, **values) -> bool:
    """INSERT .. ON CONFLICT DO NOTHING: creates a row without racing another worker. True if
    this call inserted it."""
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get((dialect, model))
    if statement is None:  # built once per table: the values travel as parameters, not in the statement
        insert_for = pg_insert if dialect == "postgresql" else sqlite_insert
        table = model.__table__
        statement = _INSERTS[(dialect, model)] = (
            insert_for(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
        )
    return session.connection().execute(statement, values).first() is not None


_INSERTS: dict = {}


def insert_many_if_absent(session: Session, model, rows: list[dict], per_statement: int = 500) -> None:
    """insert_if_absent for many rows, a few hundred to a statement (under every driver's limit on
    parameters per statement)."""
    insert_for = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = model.__table__
    for start in range(0, len(rows), per_statement):
        session.connection().execute(
            insert_for(table).values(rows[start : start + per_statement]).on_conflict_do_nothing()
        )


def construct(model, **values):
    """`model(**values)` for a table model, at a hundredth of the cost: what SQLModel's constructor
    makes (the values given, each other optional field's default, no validation), put straight
    into the instance's __dict__ the way the ORM fills an object it loads, instead of one
    instrumented __setattr__ per field (a posting's Task took half a millisecond of CPU that way).
    For the hot paths that write a row with Core and hand the object on to be read."""
    if model.__pydantic_post_init__ or model.__sqlmodel_relationships__:
        return model(**values)  # the constructor's extra steps; none of the models built here has them
    given = set(values)
    fields = {**values}
    for name, field in model.model_fields.items():
        if name not in given and not field.is_required():
            fields[name] = field.get_default(call_default_factory=True)
    instance = model.__mapper__.class_manager.new_instance()  # with its ORM state, as for a loaded row
    instance.__dict__.update(fields)
    object.__setattr__(instance, "__pydantic_fields_set__", given)
    return instance


UnitOfWorkFactory = Callable[[], UnitOfWork]  # what `Platform.uow` is: a fresh unit of work per call
