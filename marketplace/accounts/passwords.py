"""Passwords: argon2 hashing (its cost a setting), and the checks a new password must pass: length,
common and guessable passwords (zxcvbn)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

HASHING = {
    "standard": PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY),
    # argon2's cheapest settings: for test suites only, where hashing dominated the run time.
    "cheapest-for-tests": PasswordHasher.from_parameters(profiles.CHEAPEST),
}

_hasher = HASHING["standard"]


def use_password_hashing(profile: str) -> None:
    """Choose the argon2 cost for this process (settings: FLOORBOARD_PASSWORD_HASHING)."""
    global _hasher
    if profile not in HASHING:
        raise ValueError(f"FLOORBOARD_PASSWORD_HASHING must be one of {', '.join(HASHING)}, not {profile!r}")
    _hasher = HASHING[profile]


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verifying against this when the email is unknown keeps the timing the same as a wrong
    password. Made on first use, not at import: at the standard cost a hash takes ~0.1 s, which
    every command's start paid before."""
    return hasher.hash("not-a-real-password")


MIN_PASSWORD = 10


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # loaded at the first signup, not at import

    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problems(password: str, email: str = "", display_name: str = "") -> list[str]:
    """Why a password is refused, if it is: too short, one of the 30,000 most common passwords
    (zxcvbn's list), or one zxcvbn rates as guessable in a handful of tries (a repeat, a sequence,
    the email's own name)."""
    if len(password) < MIN_PASSWORD:
        return [f"Must be at least {MIN_PASSWORD} characters."]
    if password.lower() in _common_passwords():
        return ["This is one of the most common passwords. Choose another, e.g. a few unrelated words."]
    # zxcvbn's matching grows quickly with length; its first 100 characters tell enough.
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:100], user_inputs=[email, email.split("@")[0], display_name, "floorboard"])
    if verdict["score"] == 0:
        warning = verdict["feedback"].get("warning") or "This password is too easy to guess."
        return [f"{warning.rstrip('.')}. Choose a longer or less common one, e.g. a few unrelated words."]
    return []


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches. With no hash (no such user), a dummy hash is checked anyway,
    so a wrong email takes as long as a wrong password."""
    try:
        _hasher.verify(password_hash or _dummy_hash(_hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made at another cost than this process uses, so signing in upgrades it."""
    return _hasher.check_needs_rehash(password_hash)
