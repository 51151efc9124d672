"""A task's title and a person's name travel into email Subject headers, where a line break is
refused by the mail library (and would inject headers otherwise): both entrances refuse line
breaks and other control characters in them, the API with a 422 naming the field and the web form
with an error on it, and the use cases refuse them too (a CLI, a script)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.accounts.users import create_user
from marketplace.errors import Invalid
from marketplace.tasks.models import Task
from marketplace.tasks.posting import post_task
from tests.e2e.test_client_web import post_form, sign_up
from tests.service.test_task_use_cases import draft
from tests.support import csrf

BROKEN = [
    "Rake\nthe leaves",
    "Rake\r\nthe leaves",
    "Rake\rthe leaves",
    "Rake\tleaves",
    "Rake\x1b[2J",
    "Rake\u2028x",
    "a\x85b",
]
FINE = ["Rake the leaves", "Mow ‘the’ lawn — front & back", "Garten: Rasen mähen", "🌿 Weed the beds"]


@pytest.fixture
def web(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def _tasks(platform) -> list[Task]:
    with platform.uow() as uow:
        return list(uow.session.exec(select(Task)))


@pytest.mark.parametrize("title", BROKEN)
def test_the_api_refuses_a_title_with_a_line_break_naming_the_field(api, platform, title):
    client = api.signup("client")
    refused = api.post_task(client, title=title)
    assert refused.status_code == 422 and "title" in refused.json["errors"]["json"], refused.json
    assert _tasks(platform) == []


@pytest.mark.parametrize("title", FINE)
def test_the_api_takes_a_one_line_title(api, title):
    assert api.post_task(api.signup("client"), title=title).status_code == 202


def test_the_api_refuses_a_name_with_a_line_break(client):
    body = {"email": "n@example.test", "password": "correct horse battery", "role": "client"}
    refused = client.post("/api/v1/users", json={**body, "display_name": "Sam\nBcc: everyone@example.test"})
    assert refused.status_code == 422 and "display_name" in refused.json["errors"]["json"], refused.json
    assert client.post("/api/v1/users", json={**body, "display_name": "Sam O’Neil"}).status_code == 201


def test_the_web_form_refuses_a_title_with_a_line_break_on_the_field(web, platform):
    sign_up(web)
    refused = post_form(web, title="Rake\r\nBcc: everyone@example.test")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Must be one line" in page
    assert _tasks(platform) == []
    assert post_form(web, title="Rake the leaves").status_code == 302


def test_the_web_signup_refuses_a_name_with_a_line_break(web):
    token = csrf(web.get("/signup").get_data(as_text=True))
    form = {"email": "w@example.test", "password": "a long client password", "role": "client", "csrf_token": token}
    refused = web.post("/signup", data={**form, "confirm": form["password"], "display_name": "Casey\nX"})
    assert refused.status_code == 422 and "Must be one line" in refused.get_data(as_text=True)


def test_the_use_cases_refuse_them_too(platform):
    with platform.uow() as uow:
        with pytest.raises(Invalid) as posting:
            post_task(uow, 1, draft(title="Rake\nleaves"))
        with pytest.raises(Invalid) as account:
            create_user(uow.session, "cli@example.test", "correct horse battery", "operator", "Op\rerator")
    assert "title" in posting.value.errors and "display_name" in account.value.errors
