"""Settings come from the environment, with embedded defaults for one machine.

Secrets (SECRET_KEY, STRIPE_*) are read from the environment only, never from the repo.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_DIR / "instance"


@dataclass(frozen=True)
class Settings:
    database_url: str
    kafka_bootstrap_servers: str | None
    secret_key: str | None
    topic_partitions: int = 6
    topic_prefix: str = ""  # Kafka only: namespaces the topics, e.g. per environment on a shared cluster
    # Kafka only: copies of each partition the topics are created with (3 on a production cluster;
    # min.insync.replicas is then 2, so an acknowledged event is on two brokers). 1 for one broker.
    topic_replication: int = 1
    kafka_session_timeout_ms: int = 10_000
    consumer_batch_size: int = 500
    consumer_max_attempts: int = 3
    consumer_retry_backoff_s: float = 0.2
    # The longest wait between retries while the database is unavailable (the wait doubles from
    # consumer_retry_backoff_s up to this, with jitter).
    consumer_retry_max_backoff_s: float = 10.0
    # PostgreSQL: how long a statement waits for a lock, and runs at most (0 = no limit). A worker
    # that hits either waits and retries; the API answers 503 with Retry-After.
    db_lock_timeout_ms: int = 5_000
    db_statement_timeout_ms: int = 30_000
    log_level: str = "INFO"
    # PostgreSQL must commit durably (synchronous_commit and fsync on) for `serve` and `worker` to
    # start: with either off, a crash can lose a task already answered 202. Test clusters only.
    allow_async_commit: bool = False
    # The pricing group's sweeper, run when its worker is idle: a task still `posted` this long
    # after posting has its task.posted sent again through the outbox (pricing is idempotent).
    sweep_posted_after_s: int = 300
    sweep_every_s: float = 60.0
    # Retention (events/retention.py), run by the `retention` worker every retention_every_s.
    processed_retention_s: int = 7 * 24 * 3600
    published_outbox_retention_s: int = 7 * 24 * 3600
    log_retention: tuple[tuple[str, int], ...] = ()  # embedded log, per topic; empty = the defaults
    retention_every_s: float = 600.0
    # Seconds after pricing before a task shows in the feed of a tasker of each tier
    # (reputation buys earlier sight, never a lower price).
    priority_window: tuple[tuple[str, int], ...] = (("elite", 0), ("trusted", 60), ("newcomer", 180))
    # Stripe: unset secret key = the null gateway (no card, holds "authorize" at once; for dev).
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # e.g. localstripe in tests; unset = api.stripe.com
    stripe_connect_api_base: str | None = None  # accounts and transfers; defaults to the above
    stripe_js_url: str = "https://js.stripe.com/v3/"
    hold_reauthorize_after_s: int = 6 * 24 * 3600  # a card hold lapses after about 7 days
    # A claim for work beyond the booked amount that the client leaves unanswered this long is
    # settled at the booked amount (the extra is dropped).
    adjustment_timeout_s: int = 72 * 3600
    # A tasker may start a task from this long before its start time until this long after it.
    start_early_s: int = 2 * 3600
    start_late_s: int = 24 * 3600
    # Minutes worked may exceed the time since the task started by at most this much.
    completion_tolerance_s: int = 600
    api_token_ttl_s: int = 30 * 24 * 3600
    # The taskers' network: an offer to hand a task to a peer lapses after this (never after the
    # start); the client may cancel free this long after a hand-off; a mentor gives at most this
    # many endorsements a month that count towards a mentored unlock.
    handoff_offer_ttl_s: int = 6 * 3600
    handoff_free_cancel_s: int = 12 * 3600
    # A rebooking is the addressed tasker's alone this long after it is posted.
    rebook_window_s: int = 24 * 3600
    # Two-sided reviews stay hidden until both are in or this long after completion.
    review_window_s: int = 14 * 24 * 3600
    mentor_monthly_cap: int = 3
    # Before a task starts, phone numbers and email addresses in its messages are hidden.
    mask_contact_details: bool = True
    # Email: where the mailer sends (unset: it sends nothing; `floorboard dev` runs a local server
    # and shows what it got at /dev/mail), who it is from, and the address links in mail point to.
    smtp_url: str | None = None
    mail_from: str = "Floorboard <no-reply@floorboard.invalid>"
    public_url: str = "http://127.0.0.1:5000"
    # Market health: a before/after difference over fewer tasks than this is marked "too few
    # tasks"; /metrics flags a category and region whose fill rate over the last
    # `market_alert_days` local days is under `market_fill_rate_alert` (with at least
    # `market_too_few_tasks` priced), and any whose effective pay is under the legal minimum.
    market_too_few_tasks: int = 20
    market_fill_rate_alert: float = 0.5
    market_alert_days: int = 7
    digest_hour: int = 7  # UTC: when each day's digest of the kinds a user asked for that way goes out
    # "A task in your feed" emails (off unless a tasker asks for them): at most this many a tasker
    # a day (UTC); the last one says so, and the tasks after it wait in the feed.
    feed_emails_per_day: int = 10
    # Webhooks go to public addresses only (SSRF); tests let loopback (and plain http there) through.
    webhooks_allow_loopback: bool = False
    webhook_timeout_s: float = 10.0
    # Behind HTTPS (`floorboard serve`): Secure session cookies and HSTS.
    https_only: bool = False
    password_hashing: str = "standard"  # or "cheapest-for-tests" (refused by `floorboard serve`)
    # Two-factor secrets are encrypted with a key derived from this (comma-separated: the first
    # encrypts, each decrypts), or from secret_key when unset (docs/two-factor.md).
    two_factor_key: str | None = None

    @property
    def database_shown(self) -> str:
        """The database URL with any password masked, for messages and logs."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{PROJECT_DIR / 'floorboard.db'}",
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            secret_key=env.get("SECRET_KEY") or None,
            topic_partitions=_number(env, "FLOORBOARD_TOPIC_PARTITIONS", _default("topic_partitions"), int),
            topic_prefix=env.get("FLOORBOARD_TOPIC_PREFIX", ""),
            topic_replication=_number(env, "FLOORBOARD_TOPIC_REPLICATION", _default("topic_replication"), int),
            kafka_session_timeout_ms=_number(
                env, "FLOORBOARD_KAFKA_SESSION_TIMEOUT_MS", _default("kafka_session_timeout_ms"), int
            ),
            consumer_batch_size=_number(env, "FLOORBOARD_CONSUMER_BATCH_SIZE", _default("consumer_batch_size"), int),
            consumer_max_attempts=_number(
                env, "FLOORBOARD_CONSUMER_MAX_ATTEMPTS", _default("consumer_max_attempts"), int
            ),
            consumer_retry_backoff_s=_number(
                env, "FLOORBOARD_CONSUMER_RETRY_BACKOFF_S", _default("consumer_retry_backoff_s"), float
            ),
            consumer_retry_max_backoff_s=_number(
                env, "FLOORBOARD_CONSUMER_RETRY_MAX_BACKOFF_S", _default("consumer_retry_max_backoff_s"), float
            ),
            db_lock_timeout_ms=_number(env, "FLOORBOARD_DB_LOCK_TIMEOUT_MS", _default("db_lock_timeout_ms"), int),
            db_statement_timeout_ms=_number(
                env, "FLOORBOARD_DB_STATEMENT_TIMEOUT_MS", _default("db_statement_timeout_ms"), int
            ),
            log_level=env.get("LOG_LEVEL", "INFO"),
            allow_async_commit=env.get("FLOORBOARD_ALLOW_ASYNC_COMMIT", "") == "1",
            sweep_posted_after_s=_number(env, "FLOORBOARD_SWEEP_POSTED_AFTER_S", _default("sweep_posted_after_s"), int),
            sweep_every_s=_number(env, "FLOORBOARD_SWEEP_EVERY_S", _default("sweep_every_s"), float),
            processed_retention_s=_number(
                env, "FLOORBOARD_PROCESSED_RETENTION_S", _default("processed_retention_s"), int
            ),
            published_outbox_retention_s=_number(
                env, "FLOORBOARD_OUTBOX_RETENTION_S", _default("published_outbox_retention_s"), int
            ),
            log_retention=parse_seconds_map("FLOORBOARD_LOG_RETENTION", env.get("FLOORBOARD_LOG_RETENTION", "")),
            retention_every_s=_number(env, "FLOORBOARD_RETENTION_EVERY_S", _default("retention_every_s"), float),
            stripe_secret_key=env.get("STRIPE_SECRET_KEY") or None,
            stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY") or None,
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
            stripe_connect_api_base=env.get("STRIPE_CONNECT_API_BASE") or None,
            stripe_js_url=env.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/",
            hold_reauthorize_after_s=_number(
                env, "FLOORBOARD_HOLD_REAUTHORIZE_AFTER_S", _default("hold_reauthorize_after_s"), int
            ),
            adjustment_timeout_s=_number(env, "FLOORBOARD_ADJUSTMENT_TIMEOUT_S", _default("adjustment_timeout_s"), int),
            start_early_s=_number(env, "FLOORBOARD_START_EARLY_S", _default("start_early_s"), int),
            start_late_s=_number(env, "FLOORBOARD_START_LATE_S", _default("start_late_s"), int),
            completion_tolerance_s=_number(
                env, "FLOORBOARD_COMPLETION_TOLERANCE_S", _default("completion_tolerance_s"), int
            ),
            api_token_ttl_s=_number(env, "FLOORBOARD_API_TOKEN_TTL_S", _default("api_token_ttl_s"), int),
            handoff_offer_ttl_s=_number(env, "FLOORBOARD_HANDOFF_OFFER_TTL_S", _default("handoff_offer_ttl_s"), int),
            handoff_free_cancel_s=_number(
                env, "FLOORBOARD_HANDOFF_FREE_CANCEL_S", _default("handoff_free_cancel_s"), int
            ),
            mentor_monthly_cap=_number(env, "FLOORBOARD_MENTOR_MONTHLY_CAP", _default("mentor_monthly_cap"), int),
            review_window_s=min(
                90 * 24 * 3600, max(60, _number(env, "FLOORBOARD_REVIEW_WINDOW_S", _default("review_window_s"), int))
            ),
            rebook_window_s=min(
                30 * 24 * 3600, max(60, _number(env, "FLOORBOARD_REBOOK_WINDOW_S", _default("rebook_window_s"), int))
            ),
            mask_contact_details=env.get("FLOORBOARD_MASK_CONTACT_DETAILS", "1") != "0",
            smtp_url=env.get("SMTP_URL") or None,
            mail_from=env.get("FLOORBOARD_MAIL_FROM") or "Floorboard <no-reply@floorboard.invalid>",
            public_url=(env.get("FLOORBOARD_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
            digest_hour=_hour(env, "FLOORBOARD_DIGEST_HOUR", _default("digest_hour")),
            feed_emails_per_day=min(
                1000, max(1, _number(env, "FLOORBOARD_FEED_EMAILS_PER_DAY", _default("feed_emails_per_day"), int))
            ),
            market_too_few_tasks=max(
                1, _number(env, "FLOORBOARD_MARKET_TOO_FEW_TASKS", _default("market_too_few_tasks"), int)
            ),
            market_fill_rate_alert=min(
                1.0,
                max(0.0, _number(env, "FLOORBOARD_MARKET_FILL_RATE_ALERT", _default("market_fill_rate_alert"), float)),
            ),
            market_alert_days=min(
                90, max(1, _number(env, "FLOORBOARD_MARKET_ALERT_DAYS", _default("market_alert_days"), int))
            ),
            webhooks_allow_loopback=env.get("FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK", "") == "1",
            webhook_timeout_s=_number(env, "FLOORBOARD_WEBHOOK_TIMEOUT_S", _default("webhook_timeout_s"), float),
            https_only=env.get("FLOORBOARD_HTTPS_ONLY", "") == "1",
            password_hashing=env.get("FLOORBOARD_PASSWORD_HASHING", "standard"),
            two_factor_key=env.get("FLOORBOARD_TWO_FACTOR_KEY") or None,
            priority_window=parse_priority_window(
                env.get("FLOORBOARD_PRIORITY_WINDOW", "elite=0,trusted=60,newcomer=180")
            ),
        )


def _default(name: str):
    """A field's default, written once in the class above."""
    return Settings.__dataclass_fields__[name].default


def _hour(env, name: str, default: int) -> int:
    hour = _number(env, name, default, int)
    if not 0 <= hour <= 23:
        raise ValueError(f"{name}={hour} is not an hour of the day (0 to 23)")
    return hour


def _number(env, name: str, default, kind):
    """The variable as an int or float, or a ValueError that names it (never a bare traceback)."""
    value = env.get(name)
    if value is None or value == "":
        return kind(default)
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not {'a whole number' if kind is int else 'a number'}") from None


def parse_seconds_map(variable: str, text: str) -> tuple[tuple[str, int], ...]:
    """ "tasks.posted=604800,tasks.priced=86400" -> (("tasks.posted", 604800), ...)."""
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, seconds = part.partition("=")
        if not (seconds.strip().isascii() and seconds.strip().isdigit()):  # "²" is a digit to isdigit, not to int
            raise ValueError(f"{variable}: {part!r} is not name=seconds")
        pairs.append((name.strip(), int(seconds)))
    return tuple(pairs)


def parse_priority_window(text: str) -> tuple[tuple[str, int], ...]:
    """ "elite=0,trusted=60,newcomer=180" -> (("elite", 0), ...); refuses anything else."""
    return parse_seconds_map("FLOORBOARD_PRIORITY_WINDOW", text)


def dev_secret_key() -> str:
    """A random key kept in instance/ (gitignored), so dev sessions survive restarts. Only
    `floorboard dev` and commands run without SECRET_KEY use it; `serve` refuses it."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def is_dev_secret_key(key: str) -> bool:
    path = INSTANCE_DIR / "secret_key"
    return path.exists() and path.read_text().strip() == key
