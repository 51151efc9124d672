"""Download my data (issue 34): everyone signed in asks for and follows their own archives; an
export ({export}: the client's, downloaded already) or a download link ({export_token}: the
client's ready archive) of someone else's is a 404, as if unknown. A used archive is a 410."""

from __future__ import annotations

from datetime import timedelta

from marketplace.clock import utcnow
from marketplace.data_export.jobs import token_hash
from marketplace.data_export.models import DataExport, ExportStatus

PERSONAS = ["anonymous", "client", "other_client", "tasker", "other_tasker", "operator"]  # the matrices' order
LOGIN, DONE = "login", "done"  # test_web_authz_matrix's words
TOKEN = "matrix-export-token-of-the-client"


def codes(*each) -> dict:
    return dict(zip(PERSONAS, each, strict=True))


def client_exports(session, client_id: int) -> dict:
    """The world's exports: the client's downloaded one and a ready one (its link's token)."""
    now = utcnow()
    used = DataExport(user_id=client_id, status=ExportStatus.downloaded, steps=11, progress=11, downloaded_at=now)
    ready = DataExport(
        user_id=client_id,
        status=ExportStatus.ready,
        steps=11,
        progress=11,
        finished_at=now,
        expires_at=now + timedelta(days=3650),
        token_hash=token_hash(TOKEN),
        archive=b"PK\x05\x06" + b"\x00" * 18,  # an empty zip
        size_bytes=22,
    )
    session.add_all([used, ready])
    session.flush()
    return {"export": used.id, "export_token": TOKEN}


API = [
    ("GET", "/api/v1/me/data-exports", None, codes(401, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/me/data-exports", None, codes(401, 202, 202, 202, 202, 202)),
    ("GET", "/api/v1/me/data-exports/{export}", None, codes(401, 200, 404, 404, 404, 404)),
    ("POST", "/api/v1/me/data-exports/{export}/download", None, codes(401, 410, 404, 404, 404, 404)),
]

WEB = [
    ("GET", "/account/data", None, codes(LOGIN, 200, 200, 200, 200, 200)),
    ("POST", "/account/data", {}, codes(LOGIN, *[DONE] * 5)),
    ("GET", "/account/data/status", None, codes(LOGIN, 200, 200, 200, 200, 200)),
    ("GET", "/account/data/download/{export_token}", None, codes(LOGIN, 200, 404, 404, 404, 404)),
    ("POST", "/account/data/download/{export_token}", {}, codes(LOGIN, 200, 404, 404, 404, 404)),
]
