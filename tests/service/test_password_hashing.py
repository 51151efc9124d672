"""argon2's cost is a setting: standard unless a test suite asks for the cheapest, and never unknown."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters, profiles

from marketplace.accounts import passwords
from marketplace.settings import Settings


def test_standard_unless_told_otherwise_and_unknown_profiles_are_refused():
    assert Settings.from_env({}).password_hashing == "standard"
    try:
        passwords.use_password_hashing("standard")
        assert extract_parameters(passwords.hash_password("a long passphrase")) == profiles.RFC_9106_LOW_MEMORY
        with pytest.raises(ValueError, match="FLOORBOARD_PASSWORD_HASHING"):
            passwords.use_password_hashing("fastest")
    finally:
        passwords.use_password_hashing("cheapest-for-tests")
    assert extract_parameters(passwords.hash_password("a long passphrase")) == profiles.CHEAPEST
