"""One owner per table: no module of marketplace/ writes a table another package owns.

The owner of a table is the package of marketplace/ whose module defines its SQLModel class (the
`tasks` table belongs to marketplace/tasks because `Task` is defined in `tasks/models.py`). The
tables of events/ (the outbox, processed events, offsets) are the event backbone's, written through
the unit of work by everyone; they have no owner to respect.

The checker (tests/table_owners.py) reads every module of marketplace/ with `ast` and finds its writes:
- `update(Model)`, `delete(Model)`, `insert(Model)` (sqlalchemy, sqlmodel, a dialect's insert), also
  on `Model.__table__`; the unit of work's `stage(Model.__table__, row)`; `insert_if_absent` and
  `insert_many_if_absent` of a model; SQL text that says `INSERT INTO`, `UPDATE` or `DELETE FROM`
  a table;
- `.add(Model(...))`, `.add_all([Model(...), ...])`, `.merge(...)`, `.delete(x)` and `.add(x)` of a
  name bound to a model;
- `x.field = ...` (and `x.field += ...`) where `x` is bound to a model: a parameter annotated with it,
  `session.get(Model, ...)` / `get_one`, `....exec(select(Model)...).one()` / `.first()` /
  `.one_or_none()`, a loop over `....exec(select(Model, ...))` or over a list of its `.all()`, a
  call of a function annotated to return the model, `Model(...)` or `db.construct(Model, ...)`.
A name is bound per function (and at module level), whatever the order of the lines: a checker that
sees a little too much is better here than one that misses a write.

A foreign write moves into a use case of the owning package, which the writer calls (a package
above the owner calls down; see the layers contract in pyproject.toml). The allowlist below holds a
write that is genuinely the writer's own business, with the reason; it is empty.
"""

from __future__ import annotations

from tests.table_owners import (
    entrypoint_writes,
    every_table_has_a_model,
    foreign_writes,
    known_models,
    tree_foreign_writes,
    tree_generic_writes,
    writes_in,
)

# (module relative to the repository, table): a write outside the owner that is the writer's own
# business, each with a comment saying why. None today.
ALLOWED: set[tuple[str, str]] = set()

# (module relative to the repository, function): a write whose table is a variable the checker
# cannot name (`update(model)`, `delete(table)`), and why it keeps to its owners. The test holds
# this list equal to what the tree does, so a new one is read and written down here.
GENERIC: dict[tuple[str, str], str] = {
    ("marketplace/db.py", "_bulk_insert"): "the unit of work inserts the rows its callers staged (below)",
    ("marketplace/db.py", "commit"): "the same: the staged rows, each staged by the owner of its table",
    ("marketplace/outgoing.py", "_put_back"): "the one sender works the call rows of the channel that hands it "
    "its table: payments' payment_calls, notifications' notifications and webhook_deliveries",
    ("marketplace/outgoing.py", "_mark"): "the same sender, recording an answer on the channel's row",
    ("marketplace/community/tip_activity.py", "apply"): "community's tip counts (karma_tips, board_entries), the model "
    "its two callers in community pass",
    ("marketplace/market/projection.py", "_add_counts"): "market's own day tables, one function for each",
    ("marketplace/market/projection.py", "_drop_empty"): "the same",
    ("marketplace/notifications/forget.py", "_delete_copies"): "notifications' own rows (its email rows and "
    "webhook deliveries), the models named by delete_copies beside it",
    ("marketplace/privacy/closure.py", "_delete_rows"): "closing an account deletes the rows naming the person "
    "in every table USER_LINKED marks for deletion (tests/service/test_account_closure.py fails for a table "
    "not named): the one write across owners, deliberate, and only ever a delete of that person's rows",
}


# (module, function) of an entry point's write to a table held in a variable, and why.
ENTRYPOINT_GENERIC: dict[tuple[str, str], str] = {
    ("workers/replay.py", "replay"): "rebuilding a projection empties the tables its owner declared for it "
    "(PROJECTIONS) before the events are applied again, in the same unit of work",
}


def test_the_entry_points_write_no_table_themselves():
    found = [(m, line, what) for m, line, what in entrypoint_writes() if (m, what) not in ENTRYPOINT_GENERIC]
    assert found == [], "\n".join(f"{m}:{line} writes {what}" for m, line, what in found)
    assert {(m, what) for m, _, what in entrypoint_writes()} == set(ENTRYPOINT_GENERIC)


def test_every_table_on_the_metadata_has_a_defining_class():
    assert every_table_has_a_model() == set()


def test_no_module_of_marketplace_writes_a_table_another_package_owns():
    found = [w for w in tree_foreign_writes() if (w.module, w.table) not in ALLOWED]
    assert found == [], "\n".join(f"{w.module}:{w.line} writes {w.table} (owned by {w.owner})" for w in found)


def test_every_write_to_a_table_it_cannot_name_is_listed_with_its_reason():
    assert tree_generic_writes() == set(GENERIC)


def test_the_allowlist_names_only_writes_that_still_happen():
    assert ALLOWED <= {(w.module, w.table) for w in tree_foreign_writes()}


# The checker itself: it sees each kind of write when it is foreign, and none when it is the owner's.

_TASK = "from marketplace.tasks.models import Task, TaskStep\n"


def _check(body: str, path: str = "marketplace/payments/example.py") -> list[tuple[int, str, str]]:
    return [(w.line, w.table, w.owner) for w in foreign_writes(_TASK + body, path, known_models())]


def test_a_status_set_on_a_task_read_with_session_get_is_reported():
    body = "def f(session, task_id):\n    task = session.get(Task, task_id)\n    task.status = 'x'\n"
    assert _check(body) == [(4, "tasks", "tasks")]


def test_the_owner_writing_its_own_table_is_not_reported():
    body = "def f(session, task_id):\n    task = session.get(Task, task_id)\n    task.status = 'x'\n"
    assert _check(body, "marketplace/tasks/example.py") == []


def test_a_task_from_select_one_or_an_annotated_parameter_is_a_row_of_the_table():
    body = (
        "from sqlmodel import select\n"
        "def f(session, task: Task):\n"
        "    task.payment_status = 'paid'\n"
        "    other = session.exec(select(Task).where(Task.id == 1)).one()\n"
        "    other.version += 1\n"
        "    for row in session.exec(select(Task)):\n"
        "        row.holder_id = None\n"
    )
    assert _check(body) == [(4, "tasks", "tasks"), (6, "tasks", "tasks"), (8, "tasks", "tasks")]


def test_statements_adds_merges_and_deletes_are_writes():
    body = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import update\n"
        "from sqlalchemy.dialects.postgresql import insert as pg_insert\n"
        "def f(session):\n"
        "    session.exec(update(Task).values(status='x'))\n"
        "    session.execute(sa.delete(TaskStep))\n"
        "    session.execute(pg_insert(Task).values(id=1))\n"
        "    session.add(Task(id=1))\n"
        "    row = session.get(Task, 1)\n"
        "    session.delete(row)\n"
        "    session.merge(row)\n"
    )
    assert _check(body) == [
        (6, "tasks", "tasks"),
        (7, "task_steps", "tasks"),
        (8, "tasks", "tasks"),
        (9, "tasks", "tasks"),
        (11, "tasks", "tasks"),
        (12, "tasks", "tasks"),
    ]


def test_reads_are_not_writes():
    body = (
        "from sqlmodel import select\n"
        "def f(session, task: Task):\n"
        "    rows = session.exec(select(Task).where(Task.status == 'open')).all()\n"
        "    local = task.status\n"
        "    return rows, local\n"
    )
    assert _check(body) == []


def test_the_backbones_tables_are_shared():
    body = "from events.tables import EventLogRow\ndef f(session):\n    session.add(EventLogRow(topic='t'))\n"
    assert _check(body) == []


def test_tables_named_through_their_table_object_or_a_helper_are_writes():
    body = (
        "from marketplace.db import insert_if_absent\n"
        "def f(uow, session):\n"
        "    uow.stage(Task.__table__, {'id': 1})\n"
        "    insert_if_absent(session, TaskStep, task_id=1)\n"
        "    table = Task.__table__\n"
        "    session.execute(table.update().values(status='x'))\n"
        "    session.execute(TaskStep.__table__.insert(), [])\n"
    )
    assert _check(body) == [
        (4, "tasks", "tasks"),
        (5, "task_steps", "tasks"),
        (7, "tasks", "tasks"),
        (8, "task_steps", "tasks"),
    ]


def test_a_row_returned_by_a_function_annotated_with_its_model_is_a_row_of_the_table():
    body = (
        "def _task(session, task_id) -> Task:\n"
        "    return session.get_one(Task, task_id)\n"
        "def f(session):\n"
        "    task = _task(session, 1)\n"
        "    task.status = 'x'\n"
        "    other = session.get_one(Task, 2)\n"
        "    other.status = 'y'\n"
    )
    assert _check(body) == [(6, "tasks", "tasks"), (8, "tasks", "tasks")]


def test_a_statement_on_a_table_it_cannot_name_is_reported_by_its_function():
    body = "from sqlalchemy import delete\ndef wipe(session, model):\n    session.execute(delete(model))\n"
    assert writes_in(_TASK + body, "marketplace.payments.example", known_models()) == [(4, "wipe")]


def test_rows_from_a_list_a_joined_select_or_construct_are_rows_of_the_table():
    body = (
        "from sqlmodel import select\n"
        "from marketplace.db import construct\n"
        "from marketplace.payments.models import Payment\n"
        "def f(session):\n"
        "    rows = session.exec(select(Task)).all()\n"
        "    for row in rows:\n"
        "        row.area = ''\n"
        "    for task, payment in session.exec(select(Task, Payment)):\n"
        "        task.payment_status = payment.status\n"
        "    built = construct(Task, id=1)\n"
        "    session.add(built)\n"
    )
    assert _check(body) == [(8, "tasks", "tasks"), (10, "tasks", "tasks"), (12, "tasks", "tasks")]


def test_a_table_named_in_sql_text_is_written_and_prose_is_not():
    body = (
        "def f(session):\n"
        '    """One UPDATE that matches only while the task is still priced."""\n'
        "    session.execute(text('UPDATE tasks SET status = :s WHERE id = :id'), {})\n"
        "    session.execute(text('INSERT INTO task_steps (task_id) VALUES (1)'))\n"
    )
    assert _check(body) == [(4, "tasks", "tasks"), (5, "task_steps", "tasks")]
