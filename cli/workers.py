"""`floorboard worker NAME | dlq list|replay TOPIC | topics create`: running the consumers, and looking
after the events they could not process.

Each command imports what it drives when it runs, so its `--help` answers without loading the
database layer or kafka-python."""

from __future__ import annotations

import logging
import signal
import threading

import click

from cli.output import listing_options, out, print_listing

log = logging.getLogger("floorboard.worker")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@click.command()
@click.argument("name")
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve this worker's Prometheus metrics (events processed, dead-lettered, outage retries, "
    "postings resent) on this port, at /metrics.",
)
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="The address the metrics listen on.")
def worker(name, metrics_port, metrics_host):
    """Run one worker (a consumer group, or the relay) until SIGTERM."""
    from marketplace.bootstrap import bootstrap, refuse_to_start
    from workers import registry

    specs = registry()
    if name not in specs:
        raise click.ClickException(f"no worker named {name!r}; choose one of: {', '.join(sorted(specs))}")
    platform = bootstrap()
    problem = refuse_to_start(platform.settings)
    if problem:
        raise click.ClickException(problem)
    if platform.settings.webhooks_allow_loopback:
        log.warning(
            "FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK=1: webhooks may be sent to this machine's own addresses; "
            "that is for test suites and `floorboard dev`, never production"
        )
    spec = specs[name]
    if spec.kafka_only and platform.transport.name != "kafka":
        raise click.ClickException(f"the {name} worker needs KAFKA_BOOTSTRAP_SERVERS (the embedded log needs no relay)")
    if platform.transport.name == "kafka":
        platform.transport.ensure_topics()
    stop = _stop_on_signals()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        try:
            server, _ = start_http_server(metrics_port, addr=metrics_host)
        except OSError as exc:
            raise click.ClickException(f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc}") from None
        out().print(f"{name}: metrics on http://{metrics_host}:{server.server_port}/metrics", markup=False)
    spec.build(platform).run(stop)


@click.group()
def topics():
    """Kafka topics."""


@topics.command("create")
def topics_create():
    """Create every topic (6 partitions; pricing.floors compacted). Safe to run twice."""
    from marketplace.bootstrap import bootstrap

    platform = bootstrap()
    if platform.transport.name != "kafka":
        raise click.ClickException("KAFKA_BOOTSTRAP_SERVERS is not set: the embedded log needs no topics.")
    platform.transport.ensure_topics()
    out().print("topics are in place")


@click.group()
def dlq():
    """Dead-letter queues: see what failed, and replay it once fixed."""


def _check_topic(topic: str) -> str:
    from events.topics import DLQ_SUFFIX, TOPICS

    base = topic.removesuffix(DLQ_SUFFIX)
    if base not in TOPICS:
        raise click.ClickException(f"unknown topic {topic!r}; topics are: {', '.join(TOPICS)}")
    return base


@dlq.command("list")
@click.argument("topic")
@listing_options
def dlq_list(topic, as_csv, as_json):
    """Show the dead letters of TOPIC (e.g. tasks.posted)."""
    from events.dlq import list_dead_letters
    from marketplace.bootstrap import bootstrap

    base = _check_topic(topic)
    letters = list_dead_letters(bootstrap().transport, base)
    records = [
        {"failed_at": d.failed_at, "consumer": d.consumer, "key": d.key, "attempts": d.attempts, "error": d.error}
        for d in letters
    ]
    rows = [[d.failed_at, d.consumer, d.key or "", str(d.attempts), d.error[:120]] for d in letters]
    columns = ("failed at", "consumer", "key", "attempts", "error")
    print_listing(f"{topic} dead letters ({len(letters)})", records, columns, rows, as_csv, as_json)


@dlq.command("replay")
@click.argument("topic")
def dlq_replay(topic):
    """Put TOPIC's dead letters back on TOPIC, once each."""
    from rich.progress import Progress

    from events.dlq import list_dead_letters, replay_dead_letters
    from marketplace.bootstrap import bootstrap

    base = _check_topic(topic)
    platform = bootstrap()
    total = len(list_dead_letters(platform.transport, base))
    with Progress(console=out()) as progress:
        bar = progress.add_task(f"replaying {base}.dlq", total=total)
        result = replay_dead_letters(platform.transport, platform.uow, base, progress=lambda: progress.advance(bar))
    out().print(
        f"replayed {result.replayed}, already replayed {result.already_replayed}, "
        f"undecodable (left in the DLQ) {result.undecodable}"
    )
