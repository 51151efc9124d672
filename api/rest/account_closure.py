"""Close your account (docs/privacy.md): refused with every reason while something is still going
on; otherwise your personal data goes at once, and this token stops working."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from marshmallow import fields, validate

from api.auth import SECURITY, requires
from api.input import ApiSchema, Blueprint
from api.limits import _user_key, limiter
from api.platform import unit_of_work
from marketplace.accounts.models import User
from marketplace.errors import Invalid
from marketplace.privacy.closure import close_account, refusals

# A wrong password counts like a failed sign-in, per person, on the page and the API together: a
# stolen session or token must not be a way to guess the password.
closure_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    scope="account-closure",
    key_func=_user_key,
    deduct_when=lambda r: bool(g.get("wrong_password")),
)

blp = Blueprint("account_closure", __name__, url_prefix="/api/v1/me", description="Close your account")


class ClosureCheckSchema(ApiSchema):
    can_close = fields.Boolean(metadata={"description": "Whether the account can be closed now"})
    reasons = fields.List(fields.String(), metadata={"description": "Why it cannot, each in words (empty if it can)"})


class CloseSchema(ApiSchema):
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "Your password, to confirm"},
    )


class ClosedSchema(ApiSchema):
    closed_at = fields.AwareDateTime(metadata={"description": "When the account was closed (UTC)"})
    records_kept_until = fields.AwareDateTime(
        metadata={"description": "Until when payment, payout and ledger records are kept, anonymised (UTC)"}
    )


@blp.route("/close")
class CloseAccount(MethodView):
    @requires()
    @blp.response(200, ClosureCheckSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Whether your account can be closed now, and if not, why"""
        with unit_of_work() as unit:
            reasons = refusals(unit.session, unit.session.get_one(User, g.user.id))
        return {"can_close": not reasons, "reasons": reasons}

    @requires()
    @closure_limit
    @blp.arguments(CloseSchema, example={"password": "your password"})
    @blp.response(200, ClosedSchema)
    @blp.alt_response(409, description="It cannot be closed yet: `errors.json.account` lists every reason")
    @blp.alt_response(422, description="Not your password")
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Close your account: your name, email, addresses, messages, tokens and webhooks go, at once"""
        with unit_of_work() as unit:
            try:
                closed = close_account(unit, unit.session.get_one(User, g.user.id), data["password"])
            except Invalid:
                g.wrong_password = True
                raise
            unit.commit()
            return {"closed_at": closed.closed_at, "records_kept_until": closed.keep_until}
