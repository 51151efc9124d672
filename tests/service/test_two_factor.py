"""Two-factor sign-in's rules, on the use cases: a code works once (its step is remembered), a code
one step either side of now works and one further off does not, recovery codes work once each and
are stored only hashed, the secret is stored encrypted, and operators cannot turn it off."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlmodel import col, select

from marketplace.accounts import two_factor
from marketplace.accounts.models import RecoveryCode, TwoFactor, User
from marketplace.accounts.users import create_user
from marketplace.errors import Conflict, Forbidden, Invalid

NOW = datetime(2026, 12, 8, 12, 0, 10, tzinfo=timezone.utc)  # 10 s into its 30-second step
PASSWORD = "correct horse battery"


@pytest.fixture
def clock(monkeypatch):
    """The domain's clock, set by the test."""
    now = {"at": NOW}
    monkeypatch.setattr(two_factor, "utcnow", lambda: now["at"])
    return now


@pytest.fixture
def people(platform):
    with platform.uow() as uow:
        ids = {
            role: create_user(uow.session, f"{role}@example.test", PASSWORD, role).id for role in ("client", "operator")
        }
        uow.commit()
    return ids


def act(platform, user_id: int, use_case, *args):
    with platform.uow() as uow:
        user = uow.session.get(User, user_id)
        result = use_case(uow.session, user, *args)
        uow.commit()
        return result


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def enrolled(platform, user_id: int, clock) -> tuple[str, list[str]]:
    """Enrol through the two steps, confirming with the code of the step before now (so the
    current step is still unused); the secret and the recovery codes."""
    enrolment = act(platform, user_id, two_factor.start_enrolment)
    codes = act(
        platform, user_id, two_factor.confirm_enrolment, code_at(enrolment.secret, clock["at"] - timedelta(seconds=30))
    )
    return enrolment.secret, codes


def test_enrolment_waits_for_a_right_first_code(platform, people, clock):
    enrolment = act(platform, people["client"], two_factor.start_enrolment)
    assert enrolment.uri.startswith("otpauth://totp/Floorboard:client%40example.test?secret=")
    assert len(enrolment.secret) == 32 and "issuer=Floorboard" in enrolment.uri
    with platform.uow() as uow:
        assert not two_factor.is_enrolled(uow.session, people["client"])
    with pytest.raises(Invalid) as refused:
        act(
            platform,
            people["client"],
            two_factor.confirm_enrolment,
            "000000" if code_at(enrolment.secret, NOW) != "000000" else "111111",
        )
    assert "code" in refused.value.errors
    codes = act(platform, people["client"], two_factor.confirm_enrolment, code_at(enrolment.secret, NOW))
    assert len(codes) == 10 and len(set(codes)) == 10
    with platform.uow() as uow:
        assert two_factor.is_enrolled(uow.session, people["client"])
        assert two_factor.status(uow.session, uow.session.get(User, people["client"]))["recovery_codes_left"] == 10
    with pytest.raises(Conflict):
        act(platform, people["client"], two_factor.start_enrolment)  # on already: turn off first


def test_a_code_works_once_and_never_for_an_earlier_step(platform, people, clock):
    secret, _ = enrolled(platform, people["client"], clock)
    code = code_at(secret, NOW)
    assert act(platform, people["client"], two_factor.check_code, code) == "totp"
    assert act(platform, people["client"], two_factor.check_code, code) is None  # reused
    # The step before now is still in the window, but before the step just used: refused.
    assert act(platform, people["client"], two_factor.check_code, code_at(secret, NOW - timedelta(seconds=30))) is None
    # The next step's code is good (a phone a little ahead), once.
    ahead = code_at(secret, NOW + timedelta(seconds=30))
    assert act(platform, people["client"], two_factor.check_code, ahead) == "totp"
    assert act(platform, people["client"], two_factor.check_code, ahead) is None


def test_one_step_either_side_is_accepted_and_two_are_stale(platform, people, clock):
    secret, _ = enrolled(platform, people["client"], clock)
    clock["at"] = NOW + timedelta(minutes=5)
    later = clock["at"]
    assert (
        act(platform, people["client"], two_factor.check_code, code_at(secret, later - timedelta(seconds=60))) is None
    )
    assert (
        act(platform, people["client"], two_factor.check_code, code_at(secret, later + timedelta(seconds=60))) is None
    )
    assert (
        act(platform, people["client"], two_factor.check_code, code_at(secret, later - timedelta(seconds=30))) == "totp"
    )
    assert (
        act(platform, people["client"], two_factor.check_code, code_at(secret, later + timedelta(seconds=30))) == "totp"
    )
    # A code read off the phone and typed 90 s later is stale.
    typed = code_at(secret, clock["at"] + timedelta(minutes=5))
    clock["at"] += timedelta(minutes=5, seconds=90)
    assert act(platform, people["client"], two_factor.check_code, typed) is None


def test_recovery_codes_work_once_each_and_are_stored_hashed(platform, people, clock):
    secret, codes = enrolled(platform, people["client"], clock)
    with platform.uow() as uow:
        stored = [
            r.code_hash
            for r in uow.session.exec(select(RecoveryCode).where(col(RecoveryCode.user_id) == people["client"]))
        ]
        row = uow.session.get(TwoFactor, people["client"])
        assert secret not in row.secret_encrypted and secret.encode() not in row.secret_encrypted.encode()
    assert len(stored) == 10
    raw = codes[0].replace("-", "")
    assert raw not in " ".join(stored) and codes[0] not in " ".join(stored)
    assert hashlib.sha256(f"{people['client']}:{raw}".encode()).hexdigest() in stored
    # Typed with spaces or capitals, or without dashes, it still works: once.
    assert (
        act(platform, people["client"], two_factor.check_code, " " + codes[0].upper().replace("-", " ")) == "recovery"
    )
    assert act(platform, people["client"], two_factor.check_code, codes[0]) is None
    assert act(platform, people["client"], two_factor.check_code, codes[1]) == "recovery"
    with platform.uow() as uow:
        assert two_factor.recovery_codes_left(uow.session, people["client"]) == 8
    # Another account's code is nothing to this one.
    other_secret, other_codes = enrolled(platform, people["operator"], clock)
    assert act(platform, people["client"], two_factor.check_code, other_codes[0]) is None
    assert act(platform, people["operator"], two_factor.check_code, other_codes[0]) == "recovery"


def test_new_recovery_codes_replace_the_old_ones(platform, people, clock):
    secret, old = enrolled(platform, people["client"], clock)
    with pytest.raises(Invalid):
        act(platform, people["client"], two_factor.regenerate_recovery_codes, "12345x")
    new = act(platform, people["client"], two_factor.regenerate_recovery_codes, code_at(secret, NOW))
    assert set(new).isdisjoint(old)
    assert act(platform, people["client"], two_factor.check_code, old[2]) is None
    assert act(platform, people["client"], two_factor.check_code, new[2]) == "recovery"


def test_turning_off_needs_the_password_and_a_code_and_never_for_operators(platform, people, clock):
    secret, _ = enrolled(platform, people["client"], clock)
    with pytest.raises(Invalid) as refused:
        act(platform, people["client"], two_factor.turn_off, "wrong password", code_at(secret, NOW))
    assert list(refused.value.errors) == ["password"]
    with pytest.raises(Invalid) as refused:
        act(platform, people["client"], two_factor.turn_off, PASSWORD, "123")
    assert list(refused.value.errors) == ["code"]
    act(platform, people["client"], two_factor.turn_off, PASSWORD, code_at(secret, NOW))
    with platform.uow() as uow:
        assert not two_factor.is_enrolled(uow.session, people["client"])
        assert (
            uow.session.exec(select(RecoveryCode).where(col(RecoveryCode.user_id) == people["client"])).first() is None
        )
    op_secret, _ = enrolled(platform, people["operator"], clock)
    with pytest.raises(Forbidden):
        act(platform, people["operator"], two_factor.turn_off, PASSWORD, code_at(op_secret, NOW))
    with platform.uow() as uow:
        assert two_factor.is_enrolled(uow.session, people["operator"])


def test_the_secret_needs_its_key(platform, people, clock):
    """Encrypted with a key from the environment: another key cannot read it; the old key after a
    new one (rotation) still can."""
    secret, _ = enrolled(platform, people["client"], clock)
    original = platform.settings.two_factor_key or platform.settings.secret_key
    try:
        two_factor.use_two_factor_key("another key entirely")
        with pytest.raises(RuntimeError, match="cannot be decrypted"):
            act(platform, people["client"], two_factor.check_code, code_at(secret, NOW))
        two_factor.use_two_factor_key(f"a new key,{original}")
        assert act(platform, people["client"], two_factor.check_code, code_at(secret, NOW)) == "totp"
    finally:
        two_factor.use_two_factor_key(original)
