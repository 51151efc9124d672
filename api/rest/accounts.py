"""Signup and bearer tokens: POST /api/v1/users, POST and DELETE /api/v1/auth/token, and a user's
own tokens at /api/v1/auth/tokens (listed and revocable by their owner)."""

from __future__ import annotations

from flask import g, request
from flask.views import MethodView

from api.auth import SECURITY, requires
from api.devices import note_api_sign_in, request_client
from api.errors import refuse
from api.input import Blueprint
from api.limits import login_limit, signup_limit
from api.platform import platform, unit_of_work
from api.rest.accounts_schemas import (
    EXAMPLES,
    SignupAnswerSchema,
    SignupSchema,
    TokenInfoSchema,
    TokenRequestSchema,
    TokenSchema,
)
from api.rest.two_factor import second_factor
from marketplace.accounts.tokens import issue_token, revoke_token, revoke_token_id, token_row, tokens_of
from marketplace.accounts.users import authenticate, normalize_email, sign_up

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and API tokens")


SIGNED_UP = "Signed up: sign in with POST /api/v1/auth/token using this email and password."


@blp.route("/users")
class Users(MethodView):
    @signup_limit  # outermost: an attempt refused by validation counts too
    @blp.arguments(SignupSchema, example=EXAMPLES[SignupSchema])
    @blp.response(201, SignupAnswerSchema)
    @blp.alt_response(429, description="Too many signups from this address")
    def post(self, data):
        """Sign up as a client or a tasker. The answer is the same whether or not the email already
        had an account, so signup cannot be used to learn who has one; only the account's own
        password signs in"""
        with unit_of_work() as unit:
            sign_up(unit.session, data["email"], data["password"], data["role"], data.get("display_name", ""))
            unit.commit()
        return {"email": normalize_email(data["email"]), "role": data["role"], "message": SIGNED_UP}


@blp.route("/auth/token")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema, example=EXAMPLES[TokenRequestSchema])
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="Wrong email or password, or a two-factor code missing or wrong")
    @blp.alt_response(403, description="An operator without two-factor sign-in (set it up on the web first)")
    @blp.alt_response(429, description="Too many failed sign-ins for this email from this address")
    @login_limit
    def post(self, data):
        """Exchange an email and password for a bearer token (shown once; stored hashed). An account
        with two-factor sign-in also sends `code`; operators must have it"""
        with unit_of_work() as unit:
            user = authenticate(unit.session, data["email"], data["password"])
            if user is None:
                refuse(401, "Wrong email or password.")
            second_factor(unit.session, user, data.get("code"))
            ttl = platform().policy.api_token_ttl
            token = issue_token(unit.session, user, ttl, request_client(), data.get("name", ""))
            row = token_row(unit.session, token)
            note_api_sign_in(unit, user)  # an app new to the person: an email, sent after commit
            unit.commit()
        assert row is not None  # the token just issued
        return {"token": token, "token_type": "Bearer", "id": row.id, "expires_at": row.expires_at, "user": user}

    @requires()
    @blp.response(204)
    @blp.doc(security=SECURITY)
    def delete(self):
        """Revoke the bearer token this request carries"""
        token = request.headers["Authorization"].partition(" ")[2].strip()
        with unit_of_work() as unit:
            revoke_token(unit.session, token)
            unit.commit()


@blp.route("/auth/tokens")
class MyTokens(MethodView):
    @requires()
    @blp.response(200, TokenInfoSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self):
        """Your tokens that still work, newest first (the tokens themselves are never shown again)"""
        with unit_of_work() as unit:
            return tokens_of(unit.session, g.user)


@blp.route("/auth/tokens/<int:token_id>")
class MyToken(MethodView):
    @requires()
    @blp.response(204)
    @blp.alt_response(404, description="No such token of yours")
    @blp.doc(security=SECURITY)
    def delete(self, token_id: int):
        """Revoke one of your tokens by its id (a lost phone's, say)"""
        with unit_of_work() as unit:
            revoke_token_id(unit.session, g.user, token_id)
            unit.commit()
