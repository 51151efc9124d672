"""Two-factor sign-in for apps: the signed-in user's status, starting enrolment (the secret and its
otpauth:// URI, for the app to show as a QR code), confirming it with a first code (the recovery
codes, shown once), new recovery codes, and turning it off (password and a code; never for
operators). Also `second_factor`, the check POST /api/v1/auth/token makes after the password.

Wrong codes draw on one counter per account (RATELIMIT_TWO_FACTOR, else RATELIMIT_LOGIN), the same
counter the web's forms use; the token endpoint's wrong codes count as failed sign-ins."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_limiter.util import get_remote_address
from flask_smorest import abort
from marshmallow import fields, validate
from sqlmodel import Session

from api.auth import SECURITY, requires
from api.input import ApiSchema, Blueprint
from api.limits import limiter
from api.platform import unit_of_work
from marketplace.accounts import two_factor
from marketplace.accounts.models import User

blp = Blueprint("two_factor", __name__, url_prefix="/api/v1/auth/two-factor", description="Two-factor sign-in (TOTP)")

ENROL_ON_THE_WEB = (
    "Operators must sign in with two-factor. Set it up first: sign in on the web and follow "
    "/account/two-factor (or POST /api/v1/auth/two-factor with a token you already have), then send "
    "'code' here with the 6-digit code from your authenticator app."
)


MISSING_CODE = "Required: the 6-digit code from your authenticator app, or a recovery code."


def second_factor(session: Session, user: User, code: str | None) -> None:
    """After a right password: refuse unless a code is right for an account with two-factor, and
    refuse an operator without it. The caller commits (a code, once accepted, is used up)."""
    if two_factor.is_enrolled(session, user.id):
        if not code:
            abort(
                401,
                message="This account has two-factor sign-in: send 'code' too.",
                errors={"json": {"code": [MISSING_CODE]}},
            )
        elif two_factor.check_code(session, user, code) is None:
            abort(401, message="Wrong two-factor code.", errors={"json": {"code": [two_factor.WRONG_CODE]}})
    elif two_factor.required_for(user):
        abort(403, message=ENROL_ON_THE_WEB)


def _attempts_key() -> str:
    user = g.get("user")
    who = str(user.id) if user is not None else get_remote_address()
    return f"{current_app.config['RATELIMIT_SCOPE']}:two-factor:{who}"


code_limit = limiter.shared_limit(
    lambda: current_app.config.get("RATELIMIT_TWO_FACTOR") or current_app.config["RATELIMIT_LOGIN"],
    scope="two-factor-code",  # the web forms' scope too: one counter per account
    key_func=_attempts_key,
    deduct_when=lambda r: r.status_code in (400, 401, 422),
)

CODE = fields.String(
    required=True,
    validate=validate.Length(min=1, max=40),
    metadata={"description": "The 6-digit code from the authenticator app (or, where said, a recovery code)"},
)


class StatusSchema(ApiSchema):
    enabled = fields.Boolean()
    enabled_at = fields.DateTime(allow_none=True)
    pending = fields.Boolean(metadata={"description": "Enrolment started and waiting for its first code"})
    required = fields.Boolean(metadata={"description": "Operators must have it on and cannot turn it off"})
    recovery_codes_left = fields.Integer()


class EnrolmentSchema(ApiSchema):
    secret = fields.String(metadata={"description": "Base32, for typing into an authenticator app (shown once)"})
    otpauth_uri = fields.String(metadata={"description": "otpauth://totp/... for a QR code"})
    digits = fields.Integer()
    period = fields.Integer(metadata={"description": "Seconds per code"})


class CodeSchema(ApiSchema):
    code = CODE


class TurnOffSchema(ApiSchema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    code = CODE


class RecoveryCodesSchema(ApiSchema):
    recovery_codes = fields.List(
        fields.String(), metadata={"description": "Each signs in once in place of a code; shown only now"}
    )


@blp.route("")
class TwoFactor(MethodView):
    @requires()
    @blp.response(200, StatusSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Whether your account has two-factor sign-in, and how many recovery codes are left"""
        with unit_of_work() as unit:
            return two_factor.status(unit.session, g.user)

    @requires()
    @blp.response(201, EnrolmentSchema)
    @blp.alt_response(409, description="Two-factor sign-in is already on")
    @blp.doc(security=SECURITY)
    def post(self):
        """Start enrolment: a new secret (an earlier unconfirmed one is replaced). Nothing changes at
        sign-in until POST /api/v1/auth/two-factor/confirm"""
        with unit_of_work() as unit:
            enrolment = two_factor.start_enrolment(unit.session, g.user)
            unit.commit()
        return {"secret": enrolment.secret, "otpauth_uri": enrolment.uri, "digits": 6, "period": two_factor.STEP_S}


@blp.route("/confirm")
class Confirm(MethodView):
    @requires()
    @code_limit
    @blp.arguments(CodeSchema, example={"code": "123456"})
    @blp.response(200, RecoveryCodesSchema)
    @blp.alt_response(409, description="No enrolment started, or already on")
    @blp.alt_response(422, description="The code does not match")
    @blp.alt_response(429, description="Too many wrong codes for this account")
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Turn two-factor sign-in on with the first code from the new secret; the recovery codes (shown once)"""
        with unit_of_work() as unit:
            codes = two_factor.confirm_enrolment(unit.session, g.user, data["code"])
            unit.commit()
        return {"recovery_codes": codes}


@blp.route("/recovery-codes")
class RecoveryCodes(MethodView):
    @requires()
    @code_limit
    @blp.arguments(CodeSchema, example={"code": "123456"})
    @blp.response(200, RecoveryCodesSchema)
    @blp.alt_response(409, description="Two-factor sign-in is not on")
    @blp.alt_response(422, description="The code is wrong or already used")
    @blp.alt_response(429, description="Too many wrong codes for this account")
    @blp.doc(security=SECURITY)
    def post(self, data):
        """New recovery codes for a current code (or a recovery code); the old ones stop working"""
        with unit_of_work() as unit:
            codes = two_factor.regenerate_recovery_codes(unit.session, g.user, data["code"])
            unit.commit()
        return {"recovery_codes": codes}


@blp.route("/off")
class TurnOff(MethodView):
    @requires()
    @code_limit
    @blp.arguments(TurnOffSchema, example={"password": "correct horse battery staple", "code": "123456"})
    @blp.response(204)
    @blp.alt_response(403, description="Operators must keep two-factor sign-in on")
    @blp.alt_response(409, description="Two-factor sign-in is not on")
    @blp.alt_response(422, description="Wrong password or code")
    @blp.alt_response(429, description="Too many wrong codes for this account")
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Turn two-factor sign-in off, with your password and a current code (or a recovery code)"""
        with unit_of_work() as unit:
            two_factor.turn_off(unit.session, g.user, data["password"], data["code"])
            unit.commit()
