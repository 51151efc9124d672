"""Settings come from the environment, with embedded defaults for one machine.

Secrets (SECRET_KEY, STRIPE_*) are read from the environment only, never from the repo.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    kafka_bootstrap_servers: str | None
    secret_key: str | None
    topic_partitions: int = 6
    topic_prefix: str = ""  # Kafka only: namespaces the topics, e.g. per environment on a shared cluster
    kafka_session_timeout_ms: int = 10_000
    consumer_batch_size: int = 500
    consumer_max_attempts: int = 3
    consumer_retry_backoff_s: float = 0.2
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{PROJECT_DIR / 'floorboard.db'}",
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            secret_key=env.get("SECRET_KEY") or None,
            topic_partitions=int(env.get("FLOORBOARD_TOPIC_PARTITIONS", 6)),
            topic_prefix=env.get("FLOORBOARD_TOPIC_PREFIX", ""),
            kafka_session_timeout_ms=int(env.get("FLOORBOARD_KAFKA_SESSION_TIMEOUT_MS", 10_000)),
            consumer_batch_size=int(env.get("FLOORBOARD_CONSUMER_BATCH_SIZE", 500)),
            consumer_max_attempts=int(env.get("FLOORBOARD_CONSUMER_MAX_ATTEMPTS", 3)),
            consumer_retry_backoff_s=float(env.get("FLOORBOARD_CONSUMER_RETRY_BACKOFF_S", 0.2)),
            log_level=env.get("LOG_LEVEL", "INFO"),
        )
