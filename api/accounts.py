"""Signup and bearer tokens: POST /api/v1/users, POST and DELETE /api/v1/auth/token."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from api.input import Blueprint

from api.auth import SECURITY, requires
from api.limits import login_limit, signup_limit
from api.platform import uow
from api.schemas import SignupSchema, TokenRequestSchema, TokenSchema, UserSchema
from marketplace.accounts import authenticate, create_user, issue_token, revoke_token

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and API tokens")


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(SignupSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="An account with this email already exists")
    @blp.alt_response(429, description="Too many signups from this address")
    @signup_limit
    def post(self, data):
        """Sign up as a client or a tasker"""
        with uow() as unit:
            user = create_user(unit.session, data["email"], data["password"], data["role"],
                               data.get("display_name", ""))
            unit.commit()
        return user


@blp.route("/auth/token")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="Wrong email or password")
    @blp.alt_response(429, description="Too many failed sign-ins for this email from this address")
    @login_limit
    def post(self, data):
        """Exchange an email and password for a bearer token (shown once; stored hashed)"""
        with uow() as unit:
            user = authenticate(unit.session, data["email"], data["password"])
            if user is None:
                abort(401, message="Wrong email or password.")
            token = issue_token(unit.session, user)
            unit.commit()
        return {"token": token, "token_type": "Bearer", "user": user}

    @requires()
    @blp.response(204)
    @blp.doc(security=SECURITY)
    def delete(self):
        """Revoke the bearer token this request carries"""
        token = request.headers["Authorization"].partition(" ")[2].strip()
        with uow() as unit:
            revoke_token(unit.session, token)
            unit.commit()
