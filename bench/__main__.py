"""python -m bench [--events N] [--rounds R]: run by `make bench` with the services up.

Over 400 lines on purpose: the benchmark runner: each bench's setup and report beside the others,
run in one order."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url

from marketplace.settings import PROJECT_DIR, Settings
from migrations import upgrade

console = Console()


class Steps:
    """A progress bar per step: steps(desc, total) starts one; steps.advance(k) moves it."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.current = None

    def __call__(self, description: str, total):
        if self.current is not None:
            self.progress.update(
                self.current,
                completed=self.progress.tasks[self.current].total or 1,
                total=self.progress.tasks[self.current].total or 1,
            )
        self.current = self.progress.add_task(description, total=total)

    def advance(self, k: int) -> None:
        self.progress.advance(self.current, k)

    def finish(self) -> None:
        self("done", 1)
        self.progress.advance(self.current, 1)


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of (a), (b) and (b2)")
    parser.add_argument("--http-seconds", type=float, default=20, help="load time for each HTTP server")
    parser.add_argument(
        "--replay-sizes",
        default="100000,1000000",
        help="log sizes for the replay rates, comma-separated (the curve should be flat)",
    )
    parser.add_argument(
        "--idle-seconds", type=float, default=20, help="warm-up, then measuring time, of an idle `floorboard dev`"
    )
    parser.add_argument("--wakeups", type=int, default=200, help="events committed one at a time per wake-up figure")
    parser.add_argument(
        "--only",
        choices=["all", "http", "groups", "replay", "cli", "network", "notifications", "announce", "idle"],
        default="all",
        help="one group of figures only",
    )
    parser.add_argument(
        "--group-postings",
        type=int,
        default=3000,
        help="the backlog the pricing group's 1- and 2-process figures price",
    )
    parser.add_argument(
        "--no-cluster",
        action="store_true",
        help="skip the HTTP figures on a three-broker cluster (measured beside the single broker's)",
    )
    args = parser.parse_args()
    if args.events < 1000 or args.rounds < 1:
        parser.error("--events must be at least 1000 and --rounds at least 1")
    try:
        replay_sizes = sorted(int(n) for n in args.replay_sizes.split(","))
    except ValueError:
        parser.error("--replay-sizes takes whole numbers separated by commas, e.g. 100000,1000000")
    if not replay_sizes or replay_sizes[0] < 1000:
        parser.error("--replay-sizes must each be at least 1000")
    pg = os.environ.get("FLOORBOARD_TEST_POSTGRES_URL")
    kafka = os.environ.get("FLOORBOARD_TEST_KAFKA")
    if not pg or not kafka:
        console.print("[red]error:[/red] the benchmark needs PostgreSQL and Kafka: run it with `make bench`.")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="floorboard-bench-"))
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    created: list[str] = []

    def settings_for(database: str, kafka: bool, topic_prefix: str = prefix) -> Settings:
        if database == "postgres":
            name = f"fb_bench_{uuid.uuid4().hex[:8]}"
            u = make_url(pg)
            with psycopg.connect(
                f"host={u.host} port={u.port} user={u.username} dbname=postgres", autocommit=True
            ) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            created.append(name)
            url = u.set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp / (uuid.uuid4().hex + '.db')}"
        upgrade(url)
        base = Settings.from_env(
            {
                "DATABASE_URL": url,
                "KAFKA_BOOTSTRAP_SERVERS": os.environ["FLOORBOARD_TEST_KAFKA"] if kafka else "",
                "SECRET_KEY": "bench",
            }
        )
        return replace(base, topic_prefix=topic_prefix if kafka else "")

    try:
        return _run(args, replay_sizes, settings_for)
    finally:
        _drop_databases(pg, created)
        shutil.rmtree(tmp, ignore_errors=True)


def _drop_databases(pg: str, names: list[str]) -> None:
    u = make_url(pg)
    with psycopg.connect(f"host={u.host} port={u.port} user={u.username} dbname=postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(args, replay_sizes: list[int], settings_for) -> int:
    from bench import cli_bench, group_bench, http_bench, idle_bench, pipeline, pricing_bench, replay_bench
    from marketplace.bootstrap import bootstrap

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        steps = Steps(progress)
        results: dict = {}
        steps("`floorboard --help` against `python -c pass` (15 alternating runs)", 15)
        results["cli"] = cli_bench.run(15, lambda: steps.advance(1))
        if args.only == "cli":
            steps.finish()
            _print_cli(results["cli"])
            return _write(results)
        if args.only in ("all", "http"):
            # First, before the steps that write hundreds of thousands of rows: PostgreSQL's
            # checkpoints and autovacuum after them weigh on the Floorboard side of the ratio only
            # (bare Flask touches no database). Whole runs read 0.17 with it after them, where
            # `--only http` read 0.25 (issue 35).
            http_settings = settings_for("postgres", kafka=True, topic_prefix=f"http{uuid.uuid4().hex[:6]}.")
            results["http"] = http_bench.run(http_settings, steps, seconds=args.http_seconds)
            if not args.no_cluster:
                results["http_cluster"] = http_bench.run_on_cluster(
                    settings_for("postgres", kafka=True, topic_prefix=f"httpc{uuid.uuid4().hex[:6]}."),
                    steps,
                    args.http_seconds,
                    results["http"]["bare_requests_per_s"],
                )
            if args.only == "http":
                steps.finish()
                _print_http(results["http"], results.get("http_cluster"))
                return _write(results)
        if args.only in ("all", "idle"):
            results["idle"] = idle_bench.run(settings_for, steps, args.idle_seconds, args.idle_seconds, args.wakeups)
            if args.only == "idle":
                steps.finish()
                _print_idle(results["idle"])
                return _write(results)
        if args.only in ("all", "notifications"):
            results["notifications"] = _notifications(settings_for, steps)
            if args.only == "notifications":
                steps.finish()
                _print_notifications(results["notifications"])
                return _write(results)
        if args.only in ("all", "announce"):
            results["announce"] = _announce(settings_for, steps)
            if args.only == "announce":
                steps.finish()
                _print_announce(results["announce"])
                return _write(results)
        if args.only in ("all", "network"):
            results["network"] = _network(settings_for, steps)
            if args.only == "network":
                steps.finish()
                _print_network(results["network"])
                return _write(results)
        if args.only in ("all", "groups"):
            steps("pricing group: 1 and 2 processes on a backlog", None)
            results["groups"] = group_bench.run(
                lambda: settings_for("postgres", kafka=True, topic_prefix=f"grp{uuid.uuid4().hex[:6]}."),
                args.group_postings,
                steps,
            )
            if args.only == "groups":
                steps.finish()
                _print_groups(results["groups"])
                return _write(results)
        if args.only == "replay":
            results["replay"] = replay_bench.run(settings_for, replay_sizes, steps)
            steps.finish()
            _print_replay(results["replay"])
            return _write(results)
        results["pipeline"] = pipeline.run(settings_for, args.events, steps, args.rounds)
        steps("engine quotes against the inline formula", None)
        results["engine"] = pricing_bench.engine_ratio(200_000)
        steps("floor propagation on Kafka (50 changes)", 50)
        # Its own topics: the pipeline's synthetic postings are not tasks in this database.
        platform = bootstrap(settings_for("postgres", kafka=True, topic_prefix=f"prop{uuid.uuid4().hex[:6]}."))
        platform.transport.ensure_topics()
        results["propagation"] = pricing_bench.propagation(platform, 50, steps.advance)
        platform.close()
        results["replay"] = replay_bench.run(settings_for, replay_sizes, steps)
        steps.finish()

    p = results["pipeline"]
    rss = p["worker_rss_mb"]
    rows = [
        ("(a) raw kafka-python consumption", f"{p['a_raw_kafka_python_msgs_per_s']:,.0f} msg/s"),
        ("(b) runner, Kafka -> a PostgreSQL row per event", f"{p['b_events_per_s']:,.0f} ev/s"),
        ("(b2) the same, the group in 2 worker processes", f"{p['b2_events_per_s']:,.0f} ev/s"),
        ("(c) runner on the embedded log (PostgreSQL)", f"{p['c_runner_embedded_postgres_events_per_s']:,.0f} ev/s"),
        ("(c) runner on the embedded log (SQLite)", f"{p['c_runner_embedded_sqlite_events_per_s']:,.0f} ev/s"),
    ]
    for name in ("b", "b2"):
        low, high = p[f"ratio_{name}_over_a_range"]
        rows.append(
            (f"{name} / a (target >= 0.3): median (range)", f"{p[f'ratio_{name}_over_a']:.2f} ({low:.2f}-{high:.2f})")
        )
    rows += [
        ("(d) decode + validate only, no broker or database", f"{p['d_validation_only_events_per_s']:,.0f} ev/s"),
        ("ceiling b / a: fetch as (a) + validate as (d), nothing else", f"{p['ceiling_b_over_a']:.2f}"),
        (
            f"worker RSS: built / after all {p['n']:,} events / peak",
            f"{rss['built']:,.0f} / {rss['after_all_events']:,.0f} / {rss['peak']:,.0f} MB",
        ),
    ]
    _print_table(
        f"Event pipeline, N = {p['n']:,} events (one run, same broker and database; "
        f"(a), (b), (b2): medians of {p['rounds']} alternating rounds)",
        ("figure", "rate"),
        rows,
    )
    e, f = results["engine"], results["propagation"]
    _print_table(
        "Pricing",
        ("figure", "value"),
        [
            ("engine quotes/s (one core)", f"{e['engine_quotes_per_s']:,.0f}"),
            ("inline formula quotes/s", f"{e['inline_quotes_per_s']:,.0f}"),
            ("overhead inline/engine (target <= 3x)", f"{e['overhead_ratio']:.2f}x"),
            (f"floor propagation p50 over {f['changes']} changes", f"{f['p50_s'] * 1000:,.0f} ms"),
            ("floor propagation p99 (target < 1 s)", f"{f['p99_s'] * 1000:,.0f} ms"),
        ],
    )
    _print_http(results["http"], results.get("http_cluster"))
    _print_groups(results["groups"])
    _print_replay(results["replay"])
    _print_network(results["network"])
    _print_notifications(results["notifications"])
    _print_announce(results["announce"])
    _print_idle(results["idle"])
    _print_cli(results["cli"])
    return _write(results)


def _network(settings_for, steps) -> dict:
    from bench import network_bench
    from cli.demo import seed_demo
    from marketplace.bootstrap import bootstrap

    platform = bootstrap(settings_for("postgres", kafka=False))
    try:
        with platform.uow() as uow:
            seed_demo(uow, demo_users=False)
            uow.commit()
        steps(f"the feed with network context: {network_bench.OPEN_TASKS:,} open tasks, then the feeds", None)
        return network_bench.run(platform, advance=steps.advance)
    finally:
        platform.close()


def _notifications(settings_for, steps) -> dict:
    from bench import notifications_bench
    from cli.demo import seed_demo
    from marketplace.bootstrap import bootstrap

    platform = bootstrap(settings_for("postgres", kafka=False))
    try:
        with platform.uow() as uow:
            seed_demo(uow, demo_users=False)
            uow.commit()
        steps("notifications against the plain runner (3 alternating rounds), then the mailer", 7)
        return notifications_bench.run(platform, advance=steps.advance)
    finally:
        platform.close()


def _announce(settings_for, steps) -> dict:
    from bench import announce_bench
    from cli.demo import seed_demo
    from marketplace.bootstrap import bootstrap

    platform = bootstrap(settings_for("postgres", kafka=False))
    try:
        with platform.uow() as uow:
            seed_demo(uow, demo_users=False)
            uow.commit()
        steps(
            f"task.available: {announce_bench.TASKERS:,} subscribers over {announce_bench.OPEN_TASKS:,} open "
            "tasks, the old sweep against the new",
            7,
        )
        return announce_bench.run(platform, platform.settings, advance=steps.advance)
    finally:
        platform.close()


def _print_announce(a: dict) -> None:
    rows = [
        ("the old sweep (every subscriber's feed), nothing opened", f"{a['old_idle_s'] * 1000:,.0f} ms"),
        (f"the new sweep, nothing opened (median of {a['idle_rounds']})", f"{a['new_idle_s'] * 1000:,.1f} ms"),
        ("old / new, nothing opened", f"{a['ratio_idle_old_over_new']:,.0f}x"),
    ]
    for n, m in a["new_opened"].items():
        rows.append(
            (
                f"the new sweep, {n} tasks opened (median of {a['rounds']})",
                f"{m['seconds'] * 1000:,.0f} ms, {m['deliveries']:,.0f} deliveries",
            )
        )
    rows += [
        (
            f"the old sweep, {a['old_opened_n']} tasks opened",
            f"{a['old_opened_s'] * 1000:,.0f} ms, {a['old_opened_deliveries']:,} deliveries",
        ),
        (f"old / new, {a['old_opened_n']} tasks opened", f"{a['ratio_opened_old_over_new']:,.1f}x"),
    ]
    _print_table(
        f"task.available: a sweep with {a['taskers']:,} subscribed taskers over {a['open_tasks']:,} open tasks "
        "on PostgreSQL (one run)",
        ("figure", "value"),
        rows,
    )


def _print_notifications(n: dict) -> None:
    _print_table(
        f"Notifications: {n['events']:,} message.sent events from the embedded log on PostgreSQL, medians of "
        f"{n['rounds']} alternating rounds",
        ("figure", "value"),
        [
            ("the plain runner, a handler that does nothing", f"{n['plain_runner_events_per_s']:,.0f} ev/s"),
            (
                "the notifications handler (email and webhook rows queued; the mailer renders)",
                f"{n['notifications_events_per_s']:,.0f} ev/s",
            ),
            ("notifications / plain", f"{n['ratio_notifications_over_plain']:.2f}"),
            (f"the mailer to a local SMTP server ({n['mails_sent']:,} mails)", f"{n['mails_per_s']:,.0f} mails/s"),
        ],
    )


def _print_network(n: dict) -> None:
    _print_table(
        f"The feed with network context: GET /api/v1/tasks?open=true (pages of {n['page_size']}) over "
        f"{n['open_tasks']:,} open tasks on PostgreSQL, medians of {n['rounds']} alternating rounds of "
        f"{n['requests_per_round']} pages",
        ("figure", "value"),
        [
            ("a tasker with no connections", f"{n['loner_requests_per_s']:,.1f} req/s"),
            (f"a tasker with {n['connections']} connections", f"{n['social_requests_per_s']:,.1f} req/s"),
            ("with / without connections", f"{n['ratio_social_over_loner']:.2f}"),
            (
                "open tasks each saw (without, with)",
                f"{n['feed_total_seen']['loner']:,}, {n['feed_total_seen']['social']:,}",
            ),
            ("feed items whose client a connection worked for", f"{n['tasks_with_network_context']:,}"),
            ("the plain feed (no client records)", f"{n['plain_requests_per_s']:,.1f} req/s"),
            ("the feed with each task's client record", f"{n['loner_requests_per_s']:,.1f} req/s"),
            ("with client records / plain", f"{n['ratio_records_over_plain']:.2f}"),
            ("feed items that carried a client record", f"{n['feed_items_with_client_record']:,}"),
        ],
    )


def _print_idle(r: dict) -> None:
    rows = [
        (
            f"idle `floorboard dev` on {database} ({m['seconds']:.0f} s after {m['warmup_s']:.0f} s; target < 2%)",
            f"{m['cpu_fraction']:.1%} of a core",
        )
        for database, m in r["idle"].items()
    ]
    for name, m in r["wakeup"].items():
        label = name.replace("_", " ")
        rows.append(
            (
                f"commit -> handler, {label}: p50 / p99 ({m['events']} events)",
                f"{m['p50_ms']:,.1f} / {m['p99_ms']:,.1f} ms",
            )
        )
    _print_table(
        "Idle and wake-up: the web app and every worker on the embedded log, doing nothing; then "
        "events committed one at a time to an idle consumer (target: handled within 100 ms)",
        ("figure", "value"),
        rows,
    )


def _print_cli(c: dict) -> None:
    _print_table(
        f"Command start (medians of {c['rounds']} alternating runs)",
        ("figure", "value"),
        [
            ("`python -c pass`", f"{c['python_pass_s'] * 1000:,.0f} ms"),
            ("`floorboard --help` (target < 500 ms)", f"{c['help_s'] * 1000:,.0f} ms"),
            ("`floorboard floors --help` (loads the database layer)", f"{c['floors_help_s'] * 1000:,.0f} ms"),
            ("`floorboard --help` / `python -c pass`", f"{c['help_over_python']:.1f}x"),
        ],
    )


def _print_replay(r: dict) -> None:
    table = Table(title="Replay: `floorboard replay` over logs of growing size (each in a process of its own)")
    table.add_column("events in the log", justify="right")
    for projection in ("reputation", "tips", "market"):
        table.add_column(f"{projection} ev/s", justify="right")
        table.add_column("rate / smallest", justify="right")
        table.add_column("RSS built / peak", justify="right")
    table.add_column("market / reputation", justify="right")
    for row in r["sizes"]:
        cells = [f"{row['events']:,}"]
        for projection in ("reputation", "tips", "market"):
            m = row[projection]
            memory = f"{m['rss_built_mb']:,.0f} / {m['peak_rss_mb']:,.0f} MB"
            cells += [f"{m['events_per_s']:,.0f}", f"{m['rate_over_smallest']:.2f}", memory]
        cells.append(f"{row['market_over_reputation']:.2f}")
        table.add_row(*cells)
    console.print(table)
    console.print(
        "Each rate is events in the projection's topics per second. reputation reads tasks.lifecycle, "
        "reviews.submitted and tips.activity (90% of each log), tips tips.activity (50%), market "
        "tasks.priced, tasks.lifecycle and tips.activity (90%)."
    )


def _print_http(h: dict, c: dict | None = None) -> None:
    """The single broker's figures, and the three-broker cluster's beside them when measured."""

    def column(x: dict) -> list[str]:
        values = [
            f"{x['floorboard_requests_per_s']:,.0f} req/s",
            f"{x['ratio_floorboard_over_bare']:.3f}",
            f"{x['floorboard_errors']}",
            f"{x['floorboard_cpu_ms_per_request']:.2f} ms",
        ]
        if "posted_to_priced_p50_ms" in x:
            values += [f"{x['posted_to_priced_p50_ms']:,.0f} ms", f"{x['posted_to_priced_p99_ms']:,.0f} ms"]
        if "posted_to_published_p50_ms" in x:
            values += [f"{x['posted_to_published_p50_ms']:,.0f} / {x['posted_to_published_p99_ms']:,.0f} ms"]
        return values

    names = ["floorboard serve (PostgreSQL + Kafka)", "floorboard / bare (bar >= 0.15, aim 0.25)", "errors"]
    names += ["serve's own CPU per request (gunicorn's processes)"]
    if "posted_to_priced_p50_ms" in h:
        names += [f"posted -> priced p50 ({h['priced']:,} tasks)", "posted -> priced p99 (aim < 250 ms)"]
    if "posted_to_published_p50_ms" in h:
        names += ["of which posted -> on Kafka (the relay), p50 / p99"]
    table = Table(
        title=f"HTTP: POST /api/v1/tasks, {h['clients']} clients for {h['seconds']:g} s each, gunicorn with "
        f"{h['gunicorn_workers']} workers; bare Flask JSON endpoint {h['bare_requests_per_s']:,.0f} req/s "
        f"({h['bare_errors']} errors, {h.get('bare_cpu_ms_per_request', 0):.2f} ms of CPU a request; bare/floorboard "
        f"CPU per request {h.get('cpu_ratio_bare_over_floorboard', 0):.3f})"
    )
    table.add_column("figure")
    table.add_column("one broker", justify="right")
    if c is not None:
        table.add_column("3-broker cluster (rf 3)", justify="right")
    single, cluster = column(h), column(c) if c is not None else []
    for i, name in enumerate(names):
        table.add_row(name, single[i], *([cluster[i] if i < len(cluster) else "-"] if c is not None else []))
    console.print(table)


def _print_groups(g: dict) -> None:
    _print_table(
        f"The pricing group on a backlog of {g['n']:,} real postings (two alternating rounds, means)",
        ("figure", "value"),
        [
            ("one `floorboard worker pricing`", f"{g['one_mean_per_s']:,.0f} postings/s"),
            ("two, in one group", f"{g['two_mean_per_s']:,.0f} postings/s"),
            ("two / one", f"{g['ratio_two_over_one']:.2f}"),
            ("pricing members' postings per CPU second (all rounds)", f"{g['pricing_postings_mean_per_cpu_s']:,.0f}"),
            ("the relay on the same backlog (its start-up included)", f"{g['relay_mean_events_per_s']:,.0f} events/s"),
            ("the relay's events per CPU second (start-up included)", f"{g['relay_events_mean_per_cpu_s']:,.0f}"),
        ],
    )


def _print_table(title: str, columns: tuple[str, str], rows: list[tuple[str, str]]) -> None:
    """A figure per row: its name, and its value right-aligned."""
    table = Table(title=title)
    table.add_column(columns[0])
    table.add_column(columns[1], justify="right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _write(results: dict) -> int:
    out = PROJECT_DIR / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    console.print(f"written to {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
