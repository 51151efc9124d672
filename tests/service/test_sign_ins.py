"""Sessions and tokens in the domain (issue 34): readable clients, devices seen before, the
sessions and tokens a person sees (theirs only, the current one first, never a revoked or expired
token), ending all but this one, the password change (the other sessions and every other token
end; emailed). The clock account times are read on is tested in test_reader_clock.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import col, select, update

from marketplace.accounts.devices import KnownDevice, client_name, is_new_device
from marketplace.accounts.models import ApiToken, User, WebSession
from marketplace.accounts.passwords import check_password
from marketplace.accounts.sign_ins import end_everything_else, signed_in_places
from marketplace.accounts.tokens import TOKENS, issue_token, token_row, user_for_token
from marketplace.accounts.users import create_user
from marketplace.accounts.web_sessions import start_web_session, user_for_web_session, web_session_of
from marketplace.clock import utcnow
from marketplace.errors import Invalid, NotFound
from marketplace.notifications.kinds.account_security import NEW_SIGN_IN, PASSWORD_CHANGED
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from marketplace.notifications.sign_ins import change_password, note_sign_in
from tests.support import seeded

PASSWORD = "correct horse battery"
NEW = "a lantern by the harbour"


@dataclass(frozen=True)
class Links:
    def account_sessions(self) -> str:
        return "https://floorboard.example/account/sessions"

    def api_sessions(self) -> str:
        return "GET /api/v1/me/sessions"


LINKS = Links()


@pytest.fixture
def platform(sqlite_url, make_platform):
    return seeded(make_platform(sqlite_url))


def someone(platform, email: str = "sam@example.test", role: str = "client") -> int:
    with platform.uow() as uow:
        user = create_user(uow.session, email, PASSWORD, role)
        uow.commit()
    return user.id


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        ("Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", "Firefox on Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36",
            "Chrome on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Safari/605.1.15",
            "Safari on macOS",
        ),
        ("python-requests/2.32.3", "Python Requests"),
        ("curl/8.4.0", "curl"),
        ("Werkzeug/3.1.3", "Werkzeug"),
        ("", ""),
        (None, ""),
        ("\x00\x1b[31m/1", ""),
    ],
)
def test_a_client_is_named_as_people_name_it(agent, name):
    assert client_name(agent) == name


def test_a_device_is_news_only_when_another_was_seen_before(platform):
    sam, eve = someone(platform), someone(platform, "eve@example.test")
    with platform.uow() as uow:
        sam_user, eve_user = uow.session.get(User, sam), uow.session.get(User, eve)
        assert is_new_device(uow.session, sam_user, "web:phone", "Firefox on Android") is False  # the first of all
        assert is_new_device(uow.session, sam_user, "web:phone", "Firefox on Android") is False  # known
        assert is_new_device(uow.session, sam_user, "web:laptop", "Safari on macOS") is True
        assert is_new_device(uow.session, eve_user, "web:laptop", "Safari on macOS") is False  # eve's first
        rows = uow.session.exec(select(KnownDevice).where(col(KnownDevice.user_id) == sam)).all()
        assert len(rows) == 2 and all("phone" not in r.device_hash and len(r.device_hash) == 64 for r in rows)


def test_a_new_device_writes_one_email_after_the_first_sign_in(platform):
    sam = someone(platform)
    with platform.uow() as uow:
        user = uow.session.get(User, sam)
        assert note_sign_in(uow, LINKS, user, "web:phone", "Firefox on Android", "on the web") is False
        assert note_sign_in(uow, LINKS, user, "ua:curl/8", "curl", "through the API (a new token)") is True
        uow.commit()
    with platform.uow() as uow:
        [row] = uow.session.exec(select(Notification)).all()
    subject, text, html = render_row(row)
    assert subject == "A new sign-in to your Floorboard account"
    assert (row.kind, row.to_address, row.status, row.unsubscribe_url) == (
        NEW_SIGN_IN,
        "sam@example.test",
        "pending",
        "",
    )
    assert "through the API (a new token)" in text and "from curl." in text
    assert (
        "https://floorboard.example/account/sessions" in text and "https://floorboard.example/account/sessions" in html
    )


def _tokens_and_sessions(platform, user_id: int, n: int = 2):
    with platform.uow() as uow:
        user = uow.session.get(User, user_id)
        tokens = [issue_token(uow.session, user, client="curl", name=f"app {i}") for i in range(n)]
        sids = [start_web_session(uow.session, user, "Firefox on Android") for _ in range(n)]
        ids = [token_row(uow.session, t).id for t in tokens]
        publics = [web_session_of(uow.session, s).public_id for s in sids]
        uow.commit()
    return tokens, ids, sids, publics


def test_a_person_sees_only_their_live_sessions_and_tokens_the_current_first(platform):
    sam, eve = someone(platform), someone(platform, "eve@example.test")
    _, ids, _, publics = _tokens_and_sessions(platform, sam, 3)
    _tokens_and_sessions(platform, eve, 1)
    with platform.uow() as uow:
        uow.session.exec(update(ApiToken).where(col(ApiToken.id) == ids[0]).values(revoked_at=utcnow()))
        uow.session.exec(
            update(ApiToken).where(col(ApiToken.id) == ids[1]).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        uow.commit()
    with platform.uow() as uow:
        sessions, tokens = signed_in_places(uow.session, sam, publics[2], ids[2])
    assert [s.id for s in sessions][0] == publics[2] and sessions[0].current and len(sessions) == 3
    assert [(t.id, t.current, t.name, t.client) for t in tokens] == [(str(ids[2]), True, "app 2", "curl")]
    with platform.uow() as uow, pytest.raises(NotFound):
        signed_in_places(uow.session, 10_000)


@pytest.mark.parametrize(("what", "ended", "revoked"), [("all", 2, 2), ("sessions", 2, 0), ("tokens", 0, 2)])
def test_ending_everything_else_keeps_this_session_and_this_token(platform, what, ended, revoked):
    sam, eve = someone(platform), someone(platform, "eve@example.test")
    tokens, ids, sids, publics = _tokens_and_sessions(platform, sam, 3)
    eves, _, eve_sids, _ = _tokens_and_sessions(platform, eve, 1)
    with platform.uow() as uow:
        assert end_everything_else(uow.session, sam, publics[0], ids[0], what) == (ended, revoked)
        uow.commit()
    with platform.uow() as uow:
        assert user_for_web_session(uow.session, sids[0]) is not None
        assert user_for_token(uow.session, tokens[0]) is not None
        assert (user_for_web_session(uow.session, sids[1]) is None) == (what != "tokens")
        assert (user_for_token(uow.session, tokens[1]) is None) == (what != "sessions")
        assert user_for_token(uow.session, eves[0]) is not None and user_for_web_session(uow.session, eve_sids[0])
    with platform.uow() as uow, pytest.raises(Invalid):
        end_everything_else(uow.session, sam, what="everything")


def test_a_password_change_ends_the_other_sessions_and_every_other_token_and_writes_an_email(platform):
    sam = someone(platform)
    tokens, ids, sids, publics = _tokens_and_sessions(platform, sam, 2)
    with platform.uow() as uow:
        assert change_password(uow, LINKS, sam, PASSWORD, NEW, "Firefox on Android", keep_session=publics[0]) == (1, 2)
        uow.commit()
    with platform.uow() as uow:
        assert check_password(uow.session.get(User, sam).password_hash, NEW)
        assert user_for_web_session(uow.session, sids[0]) is not None  # this browser stays
        assert user_for_web_session(uow.session, sids[1]) is None
        assert all(user_for_token(uow.session, t) is None for t in tokens)  # every token, on the web
        [row] = uow.session.exec(select(Notification).where(col(Notification.kind) == PASSWORD_CHANGED)).all()
        assert row.to_address == "sam@example.test"
        assert "from Firefox on Android" in render_row(row)[1]
    # From the API: the calling token stays.
    more, more_ids, _, _ = _tokens_and_sessions(platform, sam, 2)
    with platform.uow() as uow:
        assert change_password(uow, LINKS, sam, NEW, PASSWORD, keep_token=more_ids[1]) == (3, 1)
        uow.commit()
    with platform.uow() as uow:
        assert user_for_token(uow.session, more[1]) is not None and user_for_token(uow.session, more[0]) is None
        assert uow.session.exec(select(WebSession)).all() == []


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [
        ("a wrong guess", NEW, "current_password"),
        ("", NEW, "current_password"),
        (PASSWORD, PASSWORD, "new_password"),
        (PASSWORD, "password123", "new_password"),
        (PASSWORD, "short", "new_password"),
        (PASSWORD, "sam@example.test", "new_password"),
    ],
)
def test_a_refused_password_change_changes_nothing(platform, current, new, field):
    sam = someone(platform)
    tokens, _, sids, _ = _tokens_and_sessions(platform, sam, 1)
    with platform.uow() as uow, pytest.raises(Invalid) as refused:
        change_password(uow, LINKS, sam, current, new)
    assert list(refused.value.errors) == [field]
    with platform.uow() as uow:
        assert check_password(uow.session.get(User, sam).password_hash, PASSWORD)
        assert user_for_token(uow.session, tokens[0]) and user_for_web_session(uow.session, sids[0])
        assert uow.session.exec(select(Notification)).all() == []


def test_a_token_check_writes_its_last_use_at_most_once_a_minute(platform):
    sam = someone(platform)
    tokens, ids, _, _ = _tokens_and_sessions(platform, sam, 1)

    def last_use():
        with platform.uow() as uow:
            return uow.session.get(ApiToken, ids[0]).last_used_at

    token_id, user = TOKENS.check(platform.engine, tokens[0])
    assert (token_id, user.id, user.email, user.role) == (ids[0], sam, "sam@example.test", "client")
    first = last_use()
    assert first is not None
    TOKENS.check(platform.engine, tokens[0])
    assert last_use() == first
    with platform.uow() as uow:
        uow.session.exec(update(ApiToken).values(last_used_at=first - timedelta(seconds=61)))
        uow.commit()
    TOKENS.check(platform.engine, tokens[0])
    assert last_use() > first - timedelta(seconds=61)
    # A deactivated user's token is refused at once, as a revoked one is.
    with platform.uow() as uow:
        uow.session.exec(update(User).values(is_active=False))
        uow.commit()
    assert TOKENS.check(platform.engine, tokens[0]) is None
