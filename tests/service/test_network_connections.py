"""The taskers' network through the use cases (SQLite, null gateway, workers driven by hand):
connections and blocks."""

from __future__ import annotations

import pytest

from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.network import blocking
from marketplace.network import connections as conn
from marketplace.network import endorsements as endo
from marketplace.network.models import HandoffOffer, OfferStatus
from tests.service.network_people import (
    connect,
    held_by_ann,
    offer,
    tasker,
)
from tests.service.test_task_use_cases import run, who


def test_taskers_connect_once_and_see_each_other_with_their_standing(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    run(platform, conn.request_connection, who(platform, ann), bob)
    with pytest.raises(Conflict):  # asking twice
        run(platform, conn.request_connection, who(platform, ann), bob)
    with pytest.raises(Invalid):
        run(platform, conn.request_connection, who(platform, ann), ann)
    with pytest.raises(NotFound):  # a client is not a tasker to connect with
        run(platform, conn.request_connection, who(platform, ann), people["client"])
    with platform.uow() as uow:
        assert [c["id"] for c in conn.connections_view(uow.session, bob)["incoming"]] == [ann]
        assert [c["id"] for c in conn.connections_view(uow.session, ann)["outgoing"]] == [bob]
    with pytest.raises(NotFound):  # only the one asked accepts
        run(platform, conn.accept_connection, who(platform, ann), bob)
    run(platform, conn.accept_connection, who(platform, bob), ann)
    with pytest.raises(Conflict):  # connecting twice
        run(platform, conn.request_connection, who(platform, bob), ann)
    with platform.uow() as uow:
        [card] = conn.connections_view(uow.session, ann)["connections"]
        assert (card["id"], card["categories"], card["regions"], card["tier"]) == (
            bob,
            ["yard-work"],
            ["springfield"],
            "newcomer",
        )
    run(platform, conn.remove_connection, who(platform, bob), ann)
    with platform.uow() as uow:
        assert conn.connections_view(uow.session, ann)["connections"] == []


def test_asking_back_accepts_and_a_declined_request_can_be_asked_again(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    run(platform, conn.request_connection, who(platform, ann), bob)
    run(platform, conn.request_connection, who(platform, bob), ann)  # asking back accepts
    with platform.uow() as uow:
        assert conn.are_connected(uow.session, ann, bob)
    carl = tasker(platform, "carl")
    run(platform, conn.request_connection, who(platform, carl), ann)
    run(platform, conn.decline_connection, who(platform, ann), carl)
    run(platform, conn.request_connection, who(platform, carl), ann)


def test_a_block_ends_the_connection_and_stops_requests_offers_and_endorsements(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    connect(platform, ann, bob)
    task_id = held_by_ann(market)
    [open_offer] = offer(platform, ann, task_id, [bob])
    run(platform, blocking.block, who(platform, bob), ann)
    with platform.uow() as uow:
        assert not conn.are_connected(uow.session, ann, bob)
        assert uow.session.get_one(HandoffOffer, open_offer.id).status == OfferStatus.withdrawn
    with pytest.raises(Forbidden):
        run(platform, conn.request_connection, who(platform, ann), bob)
    with pytest.raises(Invalid) as refused:  # an offer to a blocking peer
        offer(platform, ann, task_id, [bob])
    assert "cannot offer" in refused.value.errors["tasker_ids"]["0"][0]
    with pytest.raises(Forbidden):
        run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "good")
    with pytest.raises(Conflict):
        run(platform, blocking.block, who(platform, bob), ann)
    run(platform, conn.unblock, who(platform, bob), ann)
    run(platform, conn.request_connection, who(platform, ann), bob)
