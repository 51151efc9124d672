"""500 payouts owed at once, on PostgreSQL with a localstripe of this test's own (stateful, with
Connect transfers and idempotency keys): the payments sweep queues them a page at a time, and the
`payment-calls` sender, run as `floorboard worker payment-calls`, makes them. Midway Stripe is
stopped and started again, and the sender is killed with SIGKILL twice. Afterwards Stripe's list
of transfers equals the ledger, one for one: nothing paid without a record, nothing recorded
without a payment; and while Stripe was away the sender neither logged nor worked without bound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlmodel import col, func, select, update

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.payments.ledger import post, task_totals
from marketplace.payments.models import LedgerEntry, Payment, PaymentCall, PayoutAccount
from marketplace.payments.payouts import PAGE, pay_outstanding
from marketplace.payments.stripe_gateway import StripeGateway
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.faults import SERVICES, free_port
from tests.support import seeded, wait_until

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")
OWED = 500
KEY = "sk_test_floorboard"


class OwnLocalstripe:
    """A localstripe on a port of its own, its state in a file, so it can be stopped and started
    again and still know the transfers it made."""

    def __init__(self, tmp_path: Path):
        done = subprocess.run(
            [str(SERVICES / "stripe.sh"), "localstripe-python"], capture_output=True, text=True, check=True
        )
        self.python = done.stdout.strip().splitlines()[-1]
        self.port = free_port()
        self.state = tmp_path / "localstripe.pickle"
        self.log = tmp_path / "localstripe.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [self.python, str(SERVICES / "localstripe_loopback.py"), str(self.port), str(self.state)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._up, 60, message="localstripe to answer")

    def _up(self) -> bool:
        try:
            return requests.get(f"{self.url}/v1/transfers", auth=(KEY, ""), timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None

    def transfers(self) -> dict[str, int]:
        made, after = {}, None
        while True:
            params = {"limit": 100, **({"starting_after": after} if after else {})}
            page = requests.get(f"{self.url}/v1/transfers", params=params, auth=(KEY, ""), timeout=30).json()
            made.update({t["id"]: t["amount"] for t in page["data"]})
            if not page["has_more"]:
                return made
            after = page["data"][-1]["id"]


@pytest.fixture
def stripe(tmp_path):
    server = OwnLocalstripe(tmp_path)
    server.start()
    yield server
    server.stop()


def _owe(platform, stripe: OwnLocalstripe) -> None:
    """OWED completed tasks whose capture is booked and whose payout waits for the tasker."""
    gateway = StripeGateway(KEY, stripe.url)
    with platform.uow() as uow:
        client = create_user(uow.session, "client@example.test", "correct horse battery", "client")
        taskers = [create_user(uow.session, f"t{i}@example.test", "correct horse battery", "tasker") for i in range(5)]
        uow.commit()
    accounts = {t.id: gateway.create_account(t.email, t.id) for t in taskers}
    with platform.uow() as uow:
        for tasker_id, account_id in accounts.items():
            uow.session.add(PayoutAccount(tasker_id=tasker_id, account_id=account_id))
        draft = TaskDraft("yard-work", "springfield", "a task", "", 60, utcnow() + timedelta(days=2))
        task_ids = [post_task(uow, client.id, draft).id for _ in range(OWED)]
        uow.commit()
    with platform.uow() as uow:
        for n, task_id in enumerate(task_ids):
            uow.session.exec(
                update(Task)
                .where(col(Task.id) == task_id)
                .values(status="completed", tasker_id=taskers[n % len(taskers)].id, payment_status="captured")
            )
            uow.session.add(
                Payment(
                    task_id=task_id,
                    client_id=client.id,
                    intent_id=f"pi_paid_{n}",
                    status="captured",
                    amount_authorized=2880,
                    amount_captured=2880,
                )
            )
            payout = 2400 + n  # each its own amount, so a transfer matches one task
            post(
                uow.session,
                task_id,
                "capture",
                f"pi_paid_{n}",
                {"client": -2880, "tasker_payable": payout, "platform_fees": 2880 - payout},
            )
        uow.commit()


def _sender(platform_env: dict, log: Path) -> subprocess.Popen:
    with open(log, "a") as out:
        return subprocess.Popen(
            [FLOORBOARD, "worker", "payment-calls"], env=platform_env, stdout=out, stderr=subprocess.STDOUT
        )


def _count(platform, *statuses: str) -> int:
    with platform.uow() as uow:
        return int(uow.session.exec(select(func.count()).where(col(PaymentCall.status).in_(statuses))).one())


def _expire_leases(platform) -> None:
    """What the lease does in two minutes, now: the killed sender's claimed calls are due again."""
    with platform.uow() as uow:
        uow.session.exec(
            update(PaymentCall)
            .where(col(PaymentCall.status) == "sending")
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
        uow.commit()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_500_payouts_survive_a_stripe_restart_and_two_kill_nines(make_platform, postgres_url, stripe, tmp_path):
    platform = seeded(make_platform(postgres_url, stripe_secret_key=KEY, stripe_api_base=stripe.url))
    _owe(platform, stripe)

    # The sweep queues a bounded page each pass, and never a transfer already in flight.
    with platform.uow() as uow:
        assert pay_outstanding(uow) == PAGE
        uow.commit()
    with platform.uow() as uow:
        assert pay_outstanding(uow, limit=OWED) == OWED - PAGE
        uow.commit()
    with platform.uow() as uow:
        assert pay_outstanding(uow, limit=OWED) == 0

    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "STRIPE_SECRET_KEY": KEY,
        "STRIPE_API_BASE": stripe.url,
    }
    log = tmp_path / "sender.log"
    sender = _sender(env, log)
    try:
        for kill in (1, 2):  # killed twice mid-stream, each time once some more are paid
            wait_until(lambda k=kill: _count(platform, "sent") >= 80 * k, 180, message="some transfers made")
            sender.send_signal(signal.SIGKILL)
            assert sender.wait(30) == -signal.SIGKILL
            _expire_leases(platform)
            sender = _sender(env, log)

        # Stripe goes away midway: the calls wait, the sender neither spins nor floods its log.
        wait_until(lambda: _count(platform, "sent") >= 200, 180, message="more transfers made")
        stripe.stop()
        lines_before, cpu_before = len(log.read_text().splitlines()), _cpu_seconds(sender.pid)
        time.sleep(12)
        assert _count(platform, "failed") == 0  # an outage fails nothing
        logged = len(log.read_text().splitlines()) - lines_before
        busy = _cpu_seconds(sender.pid) - cpu_before
        assert logged <= 10, log.read_text().splitlines()[-logged:]
        assert busy < 6, f"the sender used {busy:.1f} s of CPU in 12 s while Stripe was away"
        stripe.start()
        wait_until(lambda: _count(platform, "pending", "sending") == 0, 300, message="every transfer made")
    finally:
        sender.kill()
        sender.wait(30)

    assert _count(platform, "sent") == OWED and _count(platform, "failed") == 0
    with platform.uow() as uow:
        ledger = dict(
            uow.session.exec(
                select(LedgerEntry.reference, LedgerEntry.amount).where(
                    col(LedgerEntry.posting) == "transfer", col(LedgerEntry.account) == "tasker_paid_out"
                )
            ).all()
        )
        assert set(task_totals(uow.session).values()) <= {0}
        owed = uow.session.exec(
            select(func.sum(LedgerEntry.amount)).where(col(LedgerEntry.account) == "tasker_payable")
        ).one()
        calls = uow.session.exec(select(PaymentCall)).all()
    made = stripe.transfers()
    assert made == ledger  # one for one: the same ids, the same amounts
    assert len(made) == OWED and owed == 0
    assert sorted(made.values()) == [2400 + n for n in range(OWED)]
    assert max(c.attempts for c in calls) <= 3  # none asked over and over
    assert all(json.loads(c.answer)["transfer_id"] in made for c in calls)
