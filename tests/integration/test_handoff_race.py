"""Twenty peers race for one hand-off over real HTTP on PostgreSQL: the holder offered the task to
five of them; all twenty accept at once (the fifteen without an offer try the others' offers).
Exactly one wins, the four other offered peers get a 409 (their offers were withdrawn), the
fifteen get a 404; and after completion the ledger pays only the winner."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import requests
from sqlmodel import col, select

from events.tables import EventLogRow
from marketplace.accounts.models import User
from marketplace.network.handoffs import offer_handoff
from marketplace.network.holding import start_task
from marketplace.network.models import HandoffOffer, OfferStatus
from marketplace.payments.ledger import balances
from marketplace.payments.models import LedgerEntry, Payment, PayoutAccount
from marketplace.tasks.lifecycle import accept_task, complete_task
from marketplace.tasks.models import Task
from marketplace.tasks.quotes import quotes_of
from tests.integration.test_accept_race import priced_task
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, live_server, make_tasker

PEERS = 20
OFFERED = 5


def test_twenty_peers_race_for_one_hand_off_and_only_the_winner_is_paid(make_platform, postgres_url):
    platform = make_platform(postgres_url, priority_window=NO_WINDOW)
    app, api, client, task_id = priced_task(platform)
    api.book(client, task_id)
    holder_id, _ = make_tasker(platform, "holder@example.test", {"yard-work": 2400}, ["springfield"])
    peers = [make_tasker(platform, f"peer{i}@example.test", {"yard-work": 2400}, ["springfield"]) for i in range(PEERS)]
    with platform.uow() as uow:
        holder = uow.session.get_one(User, holder_id)
        accept_task(uow, holder, task_id, NO_WINDOW)
        offers = offer_handoff(uow, holder, task_id, [p for p, _ in peers[:OFFERED]], "", NO_WINDOW)
        offer_of = {o.to_tasker_id: o.id for o in offers}
        for peer_id, _ in peers:
            uow.session.add(PayoutAccount(tasker_id=peer_id, account_id=f"acct_null_{peer_id}"))
        uow.session.add(PayoutAccount(tasker_id=holder_id, account_id="acct_null_holder"))
        uow.commit()
    others = list(offer_of.values())

    results: list[tuple[int, int]] = []
    start = threading.Barrier(PEERS)
    with live_server(app) as base:

        def race(n: int, peer_id: int, token: str) -> None:
            offer_id = offer_of.get(peer_id, others[n % OFFERED])  # the unoffered try someone else's
            with requests.Session() as http:
                start.wait()
                r = http.post(
                    f"{base}/api/v1/handoffs/{offer_id}/accept",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                results.append((peer_id, r.status_code))

        threads = [threading.Thread(target=race, args=(n, *peer)) for n, peer in enumerate(peers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

    assert len(results) == PEERS
    by_code: dict[int, list[int]] = {}
    for peer_id, code in results:
        by_code.setdefault(code, []).append(peer_id)
    assert sorted((code, len(ids)) for code, ids in by_code.items()) == [(200, 1), (404, 15), (409, 4)], results
    [winner] = by_code[200]
    assert winner in offer_of
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert (task.status, task.tasker_id, task.handed_from_id) == ("accepted", winner, holder_id)
        statuses = {o.to_tasker_id: o.status for o in uow.session.exec(select(HandoffOffer))}
        assert statuses == {p: OfferStatus.accepted if p == winner else OfferStatus.withdrawn for p in offer_of}
        kinds = [json.loads(r.value)["type"] for r in uow.session.exec(select(EventLogRow))]
        assert kinds.count("task.handed_off") == 1 and kinds.count("task.handoff_withdrawn") == OFFERED - 1

    with platform.uow() as uow:
        peer = uow.session.get_one(User, winner)
        start_task(uow, peer, task_id, ANY_TIME)
        uow.commit()
    with platform.uow() as uow:
        complete_task(uow, uow.session.get_one(User, winner), task_id, 60, "", timedelta(hours=72), ANY_TIME)
        uow.commit()
    paid_to: list[str] = []
    transfer = platform.gateway.transfer  # the null gateway's: record where each payout goes

    def watched_transfer(amount, currency, account_id, task, key):
        paid_to.append(account_id)
        return transfer(amount, currency, account_id, task, key)

    platform.gateway.transfer = watched_transfer
    payments = Pipeline(platform, ["payments"])
    try:
        payments.until(lambda: _transferred(platform, task_id), "the payout to the winner")
    finally:
        payments.close()
    with platform.uow() as uow:
        books = balances(uow.session, task_id)
        final = quotes_of(uow.session, task_id)["final"]
        payment = uow.session.get_one(Payment, task_id)
        transfers = uow.session.exec(
            select(LedgerEntry).where(col(LedgerEntry.task_id) == task_id, col(LedgerEntry.posting) == "transfer")
        ).all()
        assert sum(books.values()) == 0
        assert books["tasker_paid_out"] == final.payout == payment.amount_transferred
        assert len({t.reference for t in transfers}) == 1
        assert paid_to == [f"acct_null_{winner}"]  # one transfer, to the winner's account
        assert uow.session.get_one(Task, task_id).tasker_id == winner


def _transferred(platform, task_id: int) -> bool:
    with platform.uow() as uow:
        return balances(uow.session, task_id).get("tasker_paid_out", 0) > 0
