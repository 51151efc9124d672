"""Two-factor sign-in: a TOTP secret per user (RFC 6238 via pyotp: 6 digits, 30-second steps) and
ten one-time recovery codes.

- Enrolment has two steps: `start_enrolment` makes a secret (shown once as a QR code and as text),
  and `confirm_enrolment` turns it on when a code from it is right, returning the recovery codes
  (shown once).
- A code is accepted for the current step or one either side (a phone's clock drifts, and a person
  types slowly); the accepted step is remembered and no code for it or an earlier one works again,
  so an overheard code is useless. Two requests racing with one code: one wins (a conditional update).
- Recovery codes are 80 random bits each, stored only as a SHA-256 with the user's id (like API
  tokens: too long to guess, so a slow hash buys nothing); each works once.
- The secret is encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256) with a key derived from
  FLOORBOARD_TWO_FACTOR_KEY, or from SECRET_KEY when that is unset (docs/two-factor.md). A copy of
  the database alone cannot make codes.
- Operators must have it (`required_for`), and cannot turn it off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlmodel import Session, col, delete, select, update

from marketplace.accounts.models import RecoveryCode, Role, TwoFactor, User
from marketplace.accounts.passwords import check_password
from marketplace.accounts.tokens import revoke_all_tokens
from marketplace.accounts.web_sessions import end_other_web_sessions
from marketplace.clock import utcnow
from marketplace.errors import Conflict, Forbidden, Invalid
from marketplace.settings import Settings

ISSUER = "Floorboard"
STEP_S = 30
WINDOW = 1  # steps either side of now that are still accepted
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper and typed


# -- the key ---------------------------------------------------------------------------------------

_keys: list[str] | None = None  # set by bootstrap; the cipher is built at first use (cryptography loads then)
_cipher = None


def use_two_factor_key(keys: str | None) -> None:
    """Set this process's key(s): comma-separated, the first encrypts, every one decrypts (so a key
    can be rotated: put the new one first, and keep the old one until every secret was rewritten)."""
    global _keys, _cipher
    _keys, _cipher = [k.strip() for k in (keys or "").split(",") if k.strip()], None


def _fernet_key(material: str) -> bytes:
    """Any string (a long random one) -> a Fernet key, by HKDF with this purpose as its label, so
    the same SECRET_KEY never serves two purposes as the same bytes."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"floorboard two-factor secrets")
    return base64.urlsafe_b64encode(derived.derive(material.encode()))


def _the_cipher():
    global _cipher
    if _cipher is None:
        from cryptography.fernet import Fernet, MultiFernet

        if _keys is None:  # a process that did not bootstrap (a service test): the environment's
            settings = Settings.from_env()
            use_two_factor_key(settings.two_factor_key or settings.secret_key)
        if not _keys:
            raise RuntimeError("Two-factor secrets need a key: set FLOORBOARD_TWO_FACTOR_KEY (or SECRET_KEY).")
        _cipher = MultiFernet([Fernet(_fernet_key(k)) for k in _keys])
    return _cipher


def _seal(secret: str) -> str:
    return _the_cipher().encrypt(secret.encode()).decode()


def _open(sealed: str) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return _the_cipher().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise RuntimeError(
            "A two-factor secret cannot be decrypted with this FLOORBOARD_TWO_FACTOR_KEY (or SECRET_KEY): "
            "was the key changed? Put the old key after the new one, comma-separated."
        ) from None


# -- reads -----------------------------------------------------------------------------------------


def required_for(user: User) -> bool:
    """Whether this account may not work without two-factor: operators set floors for a whole
    region, rule on disputes and refund cards."""
    return user.role == Role.operator


def _row(session: Session, user_id: int) -> TwoFactor | None:
    return session.get(TwoFactor, user_id)


def is_enrolled(session: Session, user_id: int) -> bool:
    row = _row(session, user_id)
    return row is not None and row.confirmed_at is not None


def recovery_codes_left(session: Session, user_id: int) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None))
        ).all()
    )


@dataclass(frozen=True)
class Enrolment:
    """A secret waiting for its first code: the secret as text (base32, for typing in) and the
    otpauth:// URI an authenticator app reads from the QR code."""

    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        """The secret in groups of four, easier to copy by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _enrolment(user: User, secret: str) -> Enrolment:
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER))


def pending_enrolment(session: Session, user: User) -> Enrolment | None:
    """The enrolment this user started and has not confirmed yet, if any."""
    row = _row(session, user.id)
    if row is None or row.confirmed_at is not None:
        return None
    return _enrolment(user, _open(row.secret_encrypted))


def status(session: Session, user: User) -> dict:
    row = _row(session, user.id)
    enabled = row is not None and row.confirmed_at is not None
    return {
        "enabled": enabled,
        "enabled_at": row.confirmed_at if enabled and row else None,
        "pending": row is not None and not enabled,
        "required": required_for(user),
        "recovery_codes_left": recovery_codes_left(session, user.id) if enabled else 0,
    }


# -- codes -----------------------------------------------------------------------------------------


def step_of(at: datetime) -> int:
    return int(at.timestamp()) // STEP_S


def code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def _clean(code: str) -> str:
    return "".join(ch for ch in str(code) if not ch.isspace() and ch != "-").lower()


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The step within the window whose code this is, or None."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    current = step_of(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def _recovery_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{_clean(code)}".encode()).hexdigest()


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))  # 16 of 31 symbols: ~79 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        session.add(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(user_id, raw)))
    session.flush()
    return codes


WRONG_CODE = "That code is not right, or was already used. Type the 6 digits your app shows now, or a recovery code."


def check_code(session: Session, user: User, code: str, *, recovery: bool = True) -> str | None:
    """Accept a code for a user who has two-factor: a TOTP code not used before (its step is
    remembered), or an unused recovery code (used up now). Returns "totp" or "recovery", or None
    for a wrong, reused or stale code. The caller commits."""
    row = _row(session, user.id)
    if row is None or row.confirmed_at is None:
        return None
    cleaned = _clean(code)
    if len(cleaned) > 40:
        return None
    step = _totp_step(_open(row.secret_encrypted), cleaned, utcnow())
    if step is not None:
        # Conditional, so two requests with the same code cannot both pass.
        taken = session.exec(
            update(TwoFactor)
            .where(col(TwoFactor.user_id) == user.id)
            .where((col(TwoFactor.last_step).is_(None)) | (col(TwoFactor.last_step) < step))
            .values(last_step=step)
        )
        session.expire(row)
        return "totp" if taken.rowcount == 1 else None
    if not recovery or len(cleaned) != 16:
        return None
    used = session.exec(
        update(RecoveryCode)
        .where(col(RecoveryCode.code_hash) == _recovery_hash(user.id, cleaned))
        .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return "recovery" if used.rowcount == 1 else None


def _require_code(session: Session, user: User, code: str) -> str:
    kind = check_code(session, user, code)
    if kind is None:
        raise Invalid("The code was refused.", {"code": [WRONG_CODE]})
    return kind


# -- commands --------------------------------------------------------------------------------------


def start_enrolment(session: Session, user: User) -> Enrolment:
    """A new secret waiting for its first code (one started before and not confirmed is replaced)."""
    row = _row(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict(
            "Two-factor sign-in is already on. To move it to another phone, turn it off and set it up again."
        )
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends
    if row is None:
        row = TwoFactor(user_id=user.id, secret_encrypted=_seal(secret))
    else:
        row.secret_encrypted, row.created_at, row.last_step = _seal(secret), utcnow(), None
    session.add(row)
    session.flush()
    return _enrolment(user, secret)


def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Turn two-factor on with the first right code from the new secret; the recovery codes, to
    show now and never again."""
    row = _row(session, user.id)
    if row is None:
        raise Conflict("Start setting up two-factor sign-in first.")
    if row.confirmed_at is not None:
        raise Conflict("Two-factor sign-in is already on.")
    step = _totp_step(_open(row.secret_encrypted), _clean(code), utcnow())
    if step is None:
        raise Invalid(
            "The code was refused.",
            {"code": ["That code does not match. Check your phone's time and type the 6 digits it shows now."]},
        )
    row.confirmed_at, row.last_step = utcnow(), step
    session.add(row)
    return _new_recovery_codes(session, user.id)


def regenerate_recovery_codes(session: Session, user: User, code: str) -> list[str]:
    """New recovery codes for a current code (the old ones stop working)."""
    if not is_enrolled(session, user.id):
        raise Conflict("Two-factor sign-in is not on.")
    _require_code(session, user, code)
    return _new_recovery_codes(session, user.id)


def turn_off(session: Session, user: User, password: str, code: str) -> None:
    """Turn two-factor off, for the account's password and a current code. Operators may not."""
    if required_for(user):
        raise Forbidden("Operators must keep two-factor sign-in on.")
    if not is_enrolled(session, user.id):
        raise Conflict("Two-factor sign-in is not on.")
    errors = {}
    if not check_password(user.password_hash, password):
        errors["password"] = ["Wrong password."]
    if check_code(session, user, code) is None:
        errors["code"] = [WRONG_CODE]
    if errors:
        raise Invalid("Two-factor sign-in is still on.", errors)
    _remove(session, user.id)


def _remove(session: Session, user_id: int) -> None:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    session.exec(delete(TwoFactor).where(col(TwoFactor.user_id) == user_id))


def reset_two_factor(session: Session, user: User) -> dict[str, int]:
    """For support, when someone lost both their phone and their recovery codes (`floorboard users
    reset-two-factor`): two-factor off, and every session and API token ended, since whoever holds
    the lost phone may hold them too. An operator is sent to set it up again at the next sign-in."""
    _remove(session, user.id)
    return {
        "tokens": revoke_all_tokens(session, user.id),
        "sessions": end_other_web_sessions(session, user.id),
    }


def enrol_with_secret(session: Session, user: User, secret: str) -> list[str]:
    """Two-factor on with a given secret, confirmed at once: for the demo operator (whose secret is
    published with its password, `floorboard dev` only) and for tests."""
    _remove(session, user.id)
    session.add(TwoFactor(user_id=user.id, secret_encrypted=_seal(secret), confirmed_at=utcnow()))
    session.flush()
    return _new_recovery_codes(session, user.id)


def qr_svg(enrolment: Enrolment) -> str:
    """The otpauth:// URI as an inline SVG QR code (no network, no image file)."""
    import segno

    return segno.make(enrolment.uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
