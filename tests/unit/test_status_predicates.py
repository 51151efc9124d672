"""The pages and the API ask the domain's predicates about a status (task.is_completed,
payment.is_failed, claim.is_pending...) and its lists (marketplace/tasks/worklists.py); no view,
handler or template compares a status with a string or a status enum itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace.network.models import Connection, HandoffOffer, OfferStatus
from marketplace.payments.models import Payment, PaymentCall, PaymentStatus
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task, TaskStatus

ROOT = Path(__file__).resolve().parents[2]
COMPARED = re.compile(r"""\.status\s*(==|!=|\bin\b|\bnot in\b)\s*["'(\[{A-Za-z]|\bTaskStatus\.|\bPaymentStatus\.""")


def _entry_point_files() -> list[Path]:
    return sorted(p for p in (ROOT / "api").rglob("*") if p.suffix in (".py", ".html"))


def test_no_entry_point_or_template_compares_a_status_itself():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
        for path in _entry_point_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if COMPARED.search(line)
    ]
    assert found == []


@pytest.mark.parametrize("status", list(TaskStatus))
def test_a_task_answers_exactly_one_status_predicate(status):
    task = Task(status=status)
    answers = {s: getattr(task, f"is_{s.value}") for s in TaskStatus}
    assert [s for s, yes in answers.items() if yes] == [status]
    assert task.is_held == (status in ("accepted", "in_progress", "awaiting_approval"))
    assert task.is_over == (status in ("completed", "cancelled", "rejected"))


@pytest.mark.parametrize("status", list(AdjustmentStatus))
def test_a_claim_answers_exactly_one_status_predicate(status):
    claim = Adjustment(status=status)
    assert [s for s in AdjustmentStatus if getattr(claim, f"is_{s.value}")] == [status]


def test_payment_offer_connection_and_call_predicates():
    assert Payment(status=PaymentStatus.failed).is_failed and not Payment(status=PaymentStatus.pending).is_failed
    assert Payment(status=PaymentStatus.refunded).is_charged and Payment(status=PaymentStatus.captured).is_charged
    assert not Payment(status=PaymentStatus.authorized).is_charged and Payment(status="authorized").is_authorized
    assert HandoffOffer(status=OfferStatus.open).is_open and HandoffOffer(status=OfferStatus.lapsed).is_lapsed
    assert Connection(status="accepted").is_accepted and not Connection(status="pending").is_accepted
    assert PaymentCall(status="sending").is_in_flight and PaymentCall(status="failed").is_failed
