"""A tasker revokes a token, and the next API call with it is a 401 at once, on every worker
process (issue 34). Two `floorboard serve` processes over one PostgreSQL database, the second with
two gunicorn workers: each has just accepted the token (a process that remembered tokens it had
checked would accept it again for a while); the token is revoked through the first, and the very
next calls to the second, on fresh connections so both of its workers answer, are each a 401."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from marketplace.accounts.tokens import issue_token, token_row
from marketplace.accounts.users import create_user
from tests.faults import free_port

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")


@contextmanager
def serving(database_url: str, log: Path, workers: int):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLOORBOARD_PASSWORD_HASHING": "standard",  # serve refuses the tests' cheap hashing
        "LOG_LEVEL": "WARNING",
    }
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "RATELIMIT_STORAGE_URI"):
        env.pop(name, None)
    out = log.open("w+")
    process = subprocess.Popen(
        [FLOORBOARD, "serve", "--workers", str(workers), "--plain-http", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"serve did not answer in 90 s: {log.read_text()}"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        out.close()


def _call(base: str, token: str) -> int:
    """The status of one API call with `token`, on a connection of its own (so that each of a
    server's workers takes some of them)."""
    answer = requests.get(
        f"{base}/api/v1/me/sessions",
        headers={"Authorization": f"Bearer {token}", "Connection": "close"},
        timeout=30,
    )
    return answer.status_code


def test_a_revoked_token_is_refused_at_once_by_every_process(make_platform, postgres_url, tmp_path):
    platform = make_platform(postgres_url)
    with platform.uow() as uow:
        tasker = create_user(uow.session, "tess@example.test", "correct horse battery", "tasker")
        token, spare = issue_token(uow.session, tasker), issue_token(uow.session, tasker)
        token_id = token_row(uow.session, token).id
        uow.commit()
    with ExitStack() as stack:
        first = stack.enter_context(serving(postgres_url, tmp_path / "first.log", workers=1))
        second = stack.enter_context(serving(postgres_url, tmp_path / "second.log", workers=2))
        # Every process (and both of the second's workers, over many connections) accepts the token.
        assert {_call(first, token) for _ in range(3)} == {200}
        assert {_call(second, token) for _ in range(12)} == {200}
        revoked = requests.delete(
            f"{first}/api/v1/auth/tokens/{token_id}", headers={"Authorization": f"Bearer {spare}"}, timeout=30
        )
        assert revoked.status_code == 204
        # At once: no wait between the revocation's answer and these calls.
        statuses = [_call(second, token) for _ in range(12)] + [_call(first, token)]
        assert statuses == [401] * 13
        # The token that revoked it still works on both.
        assert _call(second, spare) == _call(first, spare) == 200
        # Revoking the calling token itself (DELETE /api/v1/auth/token) is seen by the other process too.
        assert requests.delete(
            f"{second}/api/v1/auth/token", headers={"Authorization": f"Bearer {spare}"}, timeout=30
        ).status_code in (200, 204)
        assert _call(first, spare) == 401
