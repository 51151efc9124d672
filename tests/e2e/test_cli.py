"""The `floorboard` CLI: floors commands, clear errors with non-zero exits."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli


@pytest.fixture
def run(platform, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", platform.settings.database_url)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    runner = CliRunner()

    def invoke(*args, **kwargs):
        return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke


def test_floors_set_refuses_bad_values_with_a_message_and_exit_1(run):
    r = run("floors", "set", "yard-work", "seattle", "hourly_floor=2000", "--reason", "cut")
    assert r.exit_code == 1 and "legal minimum" in r.output
    r = run("floors", "set", "yard-work", "seattle", "hourly_floor=lots", "--reason", "x")
    assert r.exit_code == 1 and "whole number" in r.output
    r = run("floors", "set", "yard-work", "seattle", "hourly_floor=3000")
    assert r.exit_code == 2 and "--reason" in r.output
    r = run("floors", "set", "yard-work", "seattle", "hourly_floor=3000", "--reason", "up")
    assert r.exit_code == 0 and "version 2" in r.output
    r = run("floors", "history", "--category", "yard-work", "--region", "seattle")
    assert r.exit_code == 0 and "2700→3000" in r.output.replace("\n", "").replace(" ", "")


def test_export_then_import_round_trips_and_bad_csv_imports_nothing(run, tmp_path):
    exported = run("floors", "export").output
    assert exported.startswith("category,region,hourly_floor")
    raised = exported.replace("yard-work,springfield,2400", "yard-work,springfield,2500")
    path = tmp_path / "floors.csv"
    path.write_text(raised)
    r = run("floors", "import", str(path), "--reason", "yearly review")
    # One edited row of twenty makes one version; the nineteen unchanged rows make none.
    assert r.exit_code == 0 and "imported 1 floor versions (19 rows unchanged)" in r.output, r.output
    assert "yard-work,springfield,2500" in run("floors", "export").output
    bad = tmp_path / "bad.csv"
    bad.write_text("category,region,hourly_floor,reason\nyard-work,nyc,2600,ok\nyard-work,seattle,10,too low\n")
    r = run("floors", "import", str(bad))
    assert r.exit_code == 1 and "line 3" in r.output and "nothing was imported" in r.output
    assert "yard-work,nyc,2400" in run("floors", "export").output  # the good row was not applied either


def test_simulate_and_list(run):
    r = run("floors", "simulate", "hourly_floor=3000", "--region", "nyc", "--days", "7")
    assert r.exit_code == 0 and "Simulated over 0 postings" in r.output
    assert run("floors", "simulate", "hourly_floor=100", "--region", "nyc").exit_code == 1
    r = run("floors", "list", "--region", "nyc")
    assert r.exit_code == 0 and "nyc" in r.output and "24.00" in r.output and "seattle" not in r.output
    assert run("floors", "list", "--region", "atlantis").exit_code == 1


def test_unknown_worker_and_dlq_topic_are_clear_errors(run):
    r = run("worker", "nope")
    assert r.exit_code == 1 and "pricing" in r.output
    r = run("dlq", "list", "no.such.topic")
    assert r.exit_code == 1 and "unknown topic" in r.output


def test_replay_rebuilds_a_projection_with_a_progress_bar(run, api, platform):
    from sqlmodel import select

    from marketplace.community.models import BoardEntry
    from tests.support import Pipeline

    tasker, voter = api.signup("tasker"), api.signup("tasker")
    tip = api.client.post(
        "/api/v1/boards/yard-work/tips",
        headers=api.headers(tasker),
        json={"title": "Sharp blades", "body": "Cut, don't tear."},
    ).json["id"]
    api.client.post(f"/api/v1/tips/{tip}/votes", headers=api.headers(voter), json={"helpful": True})
    pipeline = Pipeline(platform, ["tips"])
    pipeline.drain()
    pipeline.close()
    with platform.uow() as uow:
        live = [e.model_dump() for e in uow.session.exec(select(BoardEntry))]
    r = run("replay", "tips")
    assert r.exit_code == 0 and "tips: 2 events read, 2 applied, 0 skipped" in r.output
    with platform.uow() as uow:
        assert [e.model_dump() for e in uow.session.exec(select(BoardEntry))] == live
    bad = run("replay", "everything")
    assert bad.exit_code == 2 and "reputation" in bad.output


def test_floors_set_refuses_an_overflowing_number_and_an_overflowing_time(run):
    """The reproduction: hourly_floor=99999999999999999999 printed a raw traceback."""
    r = run("floors", "set", "yard-work", "springfield", "hourly_floor=99999999999999999999", "--reason", "x")
    assert r.exit_code == 1 and "at most 100000000 cents" in r.output and "Traceback" not in r.output
    change = ("floors", "set", "yard-work", "springfield", "hourly_floor=2500", "--reason", "x", "--effective-from")
    r = run(*change, "9999-12-31T23:59:59-14:00")
    assert r.exit_code == 1 and "effective_from" in r.output
    r = run(*change, "2027-01-01T00:00:00")  # no zone
    assert r.exit_code == 1 and "zone" in r.output


def test_a_floor_beyond_three_times_the_current_needs_confirm(run):
    r = run("floors", "set", "yard-work", "springfield", "hourly_floor=500000", "--reason", "typo")
    assert r.exit_code == 1 and "confirm" in r.output and "3x" in r.output
    assert "yard-work,springfield,2400" in run("floors", "export").output  # nothing changed
    r = run("floors", "set", "yard-work", "springfield", "hourly_floor=7200", "--reason", "x3 is fine")
    assert r.exit_code == 0
    r = run("floors", "set", "yard-work", "springfield", "hourly_floor=30000", "--reason", "meant it", "--confirm")
    assert r.exit_code == 0 and "version" in r.output


def test_import_refuses_a_file_that_is_not_utf8_or_not_csv(run, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("category,region,reason\nyard-work,nyc,d\xe9j\xe0\n".encode("latin-1"))
    r = run("floors", "import", str(latin))
    assert r.exit_code == 1 and "UTF-8" in r.output


def test_listings_print_whole_when_piped_and_as_csv_or_json(run):
    import csv
    import io
    import json

    r = run("floors", "set", "yard-work", "nyc", "hourly_floor=2600", "--reason", "a long internal reason " * 4)
    assert r.exit_code == 0
    table = run("floors", "list")  # CliRunner's stdout is not a terminal: the table must not be folded
    assert table.exit_code == 0
    assert any(
        "furniture-assembly" in line and "24.00 USD" in line and "15%" in line for line in table.output.splitlines()
    )
    records = json.loads(run("floors", "list", "--region", "nyc", "--json").output)
    yard = next(r for r in records if r["category"] == "yard-work")
    assert (yard["region"], yard["version"], yard["hourly_floor"]) == ("nyc", 2, 2600)
    rows = list(csv.DictReader(io.StringIO(run("floors", "list", "--csv").output)))
    assert len(rows) == 20 and {"category", "region", "hourly_floor", "service_fee_bps"} <= set(rows[0])
    history = json.loads(run("floors", "history", "--region", "nyc", "--json").output)
    assert history[0]["changes"] == {"hourly_floor": {"old": 2400, "new": 2600}} and history[0]["reason"]
    assert run("floors", "list", "--csv", "--json").exit_code == 2
    assert run("dlq", "list", "tasks.posted", "--json").output.strip() == "[]"


def test_a_simulation_prints_its_records_as_json(run):
    import json

    r = run("floors", "simulate", "hourly_floor=3000", "--region", "nyc", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == []  # no postings in the last 30 days: no rows, and valid JSON on stdout


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("FLOORBOARD_SWEEP_EVERY_S", "soon", "FLOORBOARD_SWEEP_EVERY_S='soon' is not a number"),
        ("FLOORBOARD_TOPIC_PARTITIONS", "1.5", "FLOORBOARD_TOPIC_PARTITIONS='1.5' is not a whole number"),
        ("FLOORBOARD_LOG_RETENTION", "tasks.posted", "FLOORBOARD_LOG_RETENTION: 'tasks.posted' is not name=seconds"),
    ],
)
def test_a_mistyped_setting_is_named_not_a_traceback(variable, value, says):
    result = CliRunner().invoke(cli, ["audit"], env={variable: value})
    assert result.exit_code == 1 and says in result.output and "Traceback" not in result.output, result.output


def test_a_database_that_does_not_answer_is_one_line_and_exit_1(run, monkeypatch):
    from tests.faults import free_port

    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/floorboard")
    for args in (("floors", "list"), ("audit",), ("dlq", "list", "tasks.posted"), ("replay", "tips")):
        r = run(*args)
        assert r.exit_code == 1, (args, r.output)
        assert "Connection refused" in r.output and "Traceback" not in r.output
        assert "not answering" in r.output or "projection is as it was" in r.output
    assert "projection is as it was" in run("replay", "reputation").output


def test_a_reason_with_markup_or_a_formula_prints_as_words(run):
    reason = '[/bold] =HYPERLINK("http://evil.test","click")'
    r = run("floors", "set", "yard-work", "springfield", "hourly_floor=2500", "--reason", reason)
    assert r.exit_code == 0, r.output
    table = run("floors", "history", "--category", "yard-work", "--region", "springfield")
    assert table.exit_code == 0 and "[/bold]" in table.output  # rich markup is not interpreted
    as_csv = run("floors", "history", "--category", "yard-work", "--region", "springfield", "--csv")
    assert as_csv.exit_code == 0 and "'[/bold]" not in as_csv.output
    r = run("floors", "set", "yard-work", "springfield", "hourly_floor=2600", "--reason", "=1+1")
    as_csv = run("floors", "history", "--category", "yard-work", "--region", "springfield", "--csv")
    assert ",'=1+1," in as_csv.output and ",=1+1," not in as_csv.output  # a spreadsheet shows it, never runs it


def test_floors_list_shows_scheduled_changes(run):
    r = run(
        "floors", "set", "yard-work", "nyc", "hourly_floor=2600", "--reason", "review",
        "--effective-from", "2031-01-01T09:00:00+00:00",
    )  # fmt: skip
    assert r.exit_code == 0 and "will take effect on 2031-01-01 04:00 EST" in r.output
    listing = run("floors", "list", "--region", "nyc")
    assert listing.exit_code == 0 and "v2 26.00 USD from 2031-01-01 09:00" in listing.output
    as_json = run("floors", "list", "--region", "nyc", "--json")
    yard = next(f for f in __import__("json").loads(as_json.output) if f["category"] == "yard-work")
    assert yard["hourly_floor"] == 2400 and yard["scheduled"][0]["hourly_floor"] == 2600


def test_help_lists_floorboards_commands_only_and_loads_none_of_them():
    import subprocess
    import sys
    from pathlib import Path

    from cli import COMMANDS

    floorboard = str(Path(sys.executable).parent / "floorboard")
    shown = subprocess.run([floorboard, "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
    listed = [
        line.split()[0] for line in shown.split("Commands:")[1].splitlines() if line.startswith("  ") and line[2] != " "
    ]
    assert listed == list(COMMANDS)
    assert not {"run", "shell", "routes", "limiter"} & set(listed) and "--debug" not in shown and "-A," not in shown
    probe = "import sys; from cli import cli; cli(['--help'], standalone_mode=False); " + (
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'kafka', 'stripe', 'argon2') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert loaded.stdout.strip().endswith("[]")  # nothing heavy was imported to say what there is


@pytest.mark.parametrize(
    "name", ["dev", "serve", "worker", "replay", "dlq", "topics", "db", "seed", "floors", "users", "payments", "audit"]
)
def test_every_listed_command_is_the_command_it_names(name):
    from cli import COMMANDS, cli

    command = cli.get_command(None, name)
    assert command is not None and command.name == name and name in COMMANDS


@pytest.mark.parametrize("argv", [["db", "upgrade", "--revision", "nope"], ["db", "downgrade", "\udced\udca0\udc80"]])
def test_an_unknown_revision_is_a_message_and_exit_1(tmp_path, monkeypatch, argv):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1
    assert "no such revision" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # click's own exit, not an error that escaped
