"""HTTP fixtures in the Flask tutorial's style: `app`, `client`, and an `api` helper that signs
people up and carries their tokens (over the seeded SQLite `platform` of tests/conftest.py)."""

from __future__ import annotations

import pytest

from api import create_app
from tests.support import ApiHelper


@pytest.fixture
def app(platform):
    return create_app({"TESTING": True}, platform=platform)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client, platform):
    return ApiHelper(client, platform)
