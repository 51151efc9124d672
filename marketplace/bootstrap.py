"""Wiring: build the engine, the outbox and the transport from settings, once per process.

Defaults are built inside `bootstrap()`, never as default arguments. The Kafka transport is
imported only when KAFKA_BOOTSTRAP_SERVERS is set, so the domain never imports kafka-python.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from events.embedded import EmbeddedTransport
from events.outages import describe
from events.outbox import Outbox
from events.transport import Transport
from marketplace.accounts.passwords import use_password_hashing
from marketplace.accounts.two_factor import use_two_factor_key
from marketplace.db import UnitOfWork, durability_problem, make_engine
from marketplace.payments.gateway import NullGateway, PaymentGateway
from marketplace.policy import Policy, policy_of
from marketplace.settings import Settings


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    outbox: Outbox
    transport: Transport
    gateway: PaymentGateway  # StripeGateway, or NullGateway without STRIPE_SECRET_KEY

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.outbox)

    @property
    def policy(self) -> Policy:
        """The rules the use cases take (durations, limits), built once from the settings."""
        return policy_of(self.settings)

    def publisher(self):
        """The relay's producer (Kafka only: on the embedded log the outbox is already the log)."""
        kafka = importlib.import_module("events.kafka_transport")
        return kafka.KafkaPublisher(self.settings.kafka_bootstrap_servers, self.settings.topic_prefix)

    def close(self) -> None:
        self.transport.close()
        self.engine.dispose()


def bootstrap(settings: Settings | None = None) -> Platform:
    settings = settings or Settings.from_env()
    use_password_hashing(settings.password_hashing)
    use_two_factor_key(settings.two_factor_key or settings.secret_key)
    engine = make_engine(
        settings.database_url,
        lock_timeout_ms=settings.db_lock_timeout_ms,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )
    if settings.kafka_bootstrap_servers:
        kafka = importlib.import_module("events.kafka_transport")
        transport = kafka.KafkaTransport(
            settings.kafka_bootstrap_servers,
            settings.topic_partitions,
            settings.kafka_session_timeout_ms,
            settings.topic_prefix,
            replication=settings.topic_replication,
        )
    else:
        transport = EmbeddedTransport(engine, settings.topic_partitions, settings.kafka_session_timeout_ms / 1000)
    outbox = Outbox(settings.topic_partitions, serialize_appends=transport.name == "embedded")
    return Platform(settings, engine, outbox, transport, make_gateway(settings))


def make_gateway(settings: Settings) -> PaymentGateway:
    """Stripe when STRIPE_SECRET_KEY is set, else the null gateway. Imported here, where the
    platform is wired, so that a deployment without Stripe never loads the SDK."""
    if not settings.stripe_secret_key:
        return NullGateway()
    stripe_gateway = importlib.import_module("marketplace.payments.stripe_gateway")
    return stripe_gateway.StripeGateway(
        settings.stripe_secret_key,
        settings.stripe_api_base,
        settings.stripe_connect_api_base,
        settings.stripe_webhook_secret,
    )


def refuse_to_start(settings: Settings) -> str | None:
    """Why a production process (`serve`, `worker`) must not start on this database, or None."""
    if settings.allow_async_commit:
        return None
    engine = make_engine(settings.database_url)
    try:
        return durability_problem(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to ask is a reason not to start, said plainly
        return f"cannot check the database at {settings.database_shown}: {describe(exc)}"
    finally:
        engine.dispose()
