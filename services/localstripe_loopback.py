"""Run localstripe (a stateful fake Stripe API) on 127.0.0.1 only; its own CLI binds every
interface. Usage: python localstripe_loopback.py PORT [STATE_FILE]

Beside localstripe's own objects this serves what the payments code needs of Connect, with
state (stripe-mock answers Connect too, but keeps nothing, so it cannot show the transfers made):
  - accounts (`POST /v1/accounts`, `GET /v1/accounts/{id}`) and account links;
  - transfers (`POST /v1/transfers`, `GET /v1/transfers/{id}`, `GET /v1/transfers?transfer_group=`);
  - Stripe's idempotency keys: a POST repeated with the same `Idempotency-Key` answers what the
    first one answered, and makes nothing twice.
These are served only with STATE_FILE (a test's own server, which it stops and starts): the store
is kept in that file and loaded again at start, so a restarted server still knows what it made
(as Stripe would). Without it, this is stock localstripe, as the rest of the suite uses."""

import logging
import pickle
import sys

from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError
from localstripe.resources import List, StripeObject, store, try_convert_to_int
from localstripe.server import api_create, api_list_all, api_retrieve, app


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type=None,  # noqa: A002 - Stripe's own parameter name
        email=None,
        metadata=None,
        country=None,
        capabilities=None,
        **kwargs,
    ):
        super().__init__()
        self.type = type or "express"
        self.email = email
        self.country = country or "US"
        self.metadata = metadata or {}
        self.charges_enabled = True
        self.payouts_enabled = True


class AccountLink(StripeObject):
    object = "account_link"
    _id_prefix = "acctlink_"

    def __init__(self, account=None, refresh_url=None, return_url=None, type=None, **kwargs):  # noqa: A002 - Stripe's name
        if not account or not str(account).startswith("acct_"):
            raise UserError(400, "Expected an account")
        Account._api_retrieve(account)
        super().__init__()
        self.url = f"https://connect.localstripe.test/setup/{account}?return_url={return_url}"
        self.expires_at = self.created + 300


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, amount=None, currency=None, destination=None, transfer_group=None, metadata=None, **kwargs):
        amount = try_convert_to_int(amount)
        if not isinstance(amount, int) or amount <= 0 or not currency:
            raise UserError(400, "Bad request: amount and currency")
        if not destination or not str(destination).startswith("acct_"):
            raise UserError(400, "Bad request: destination")
        Account._api_retrieve(destination)  # 404 for an unknown account
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.destination = destination
        self.transfer_group = transfer_group
        self.metadata = metadata or {}
        self.reversed = False

    @classmethod
    def _api_list_all(cls, url, transfer_group=None, destination=None, limit=None, starting_after=None, **kwargs):
        li = List(url, limit=try_convert_to_int(limit) or 10, starting_after=starting_after)
        li._list = [
            value
            for key, value in store.items()
            if key.startswith("transfer:")
            and (transfer_group is None or value.transfer_group == transfer_group)
            and (destination is None or value.destination == destination)
        ]
        return li


IDEMPOTENT = "idempotency:"  # store keys of the answers kept for idempotency keys


@web.middleware
async def idempotency(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    slot = f"{IDEMPOTENT}{request.headers.get('Authorization', '')}:{key}"
    if slot in store:
        status, body = store[slot]
        return web.Response(
            status=status, body=body, content_type="application/json", headers={"Idempotent-Replayed": "true"}
        )
    response = await handler(request)
    if response.status < 500:
        store[slot] = (response.status, response.body)
    return response


def serve(port: int, state: str | None) -> None:
    """Stock localstripe without STATE_FILE (the suite's shared server); with it, the Connect
    objects, idempotency keys and a store kept in that file (a test's own server)."""
    if state:

        def dump(self=store):
            with open(state, "wb") as f:
                pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)

        resources.Store.dump_to_disk = lambda self: dump(self)
        try:
            with open(state, "rb") as f:
                dict.update(store, pickle.load(f))
        except FileNotFoundError:
            pass
        for cls, name in ((Account, "accounts"), (AccountLink, "account_links"), (Transfer, "transfers")):
            app.router.add_route("POST", f"/v1/{name}", api_create(cls, f"/v1/{name}"))
            app.router.add_route("GET", f"/v1/{name}/{{id}}", api_retrieve(cls, f"/v1/{name}/{{id}}"))
            app.router.add_route("GET", f"/v1/{name}", api_list_all(cls, f"/v1/{name}"))
        app.middlewares.insert(0, idempotency)
    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host="127.0.0.1", port=port, access_log=logging.getLogger("aiohttp.access"))


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
