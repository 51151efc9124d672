"""A letter: what an email says (its subject, its lines, the link to the page where its reader
acts, and, in its footer, the API call behind the same thing for people who build apps), and its
rendering through the Jinja layouts beside this module, a plain-text part and an HTML part (the
HTML autoescaped).

An email row keeps its letter (`kept`) and is rendered when the mailer sends it (`render_row`):
rendering is most of what writing a row cost, and the notifications group writes a row per event
and recipient while the mailer's pace is the SMTP server's."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from marketplace.accounts.models import User
from marketplace.notifications.models import Notification
from marketplace.text import one_line

_ENV = Environment(
    loader=PackageLoader("marketplace.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
    auto_reload=False,  # the layouts ship with the code: no stat() of the file on every render
)
_TEXT, _HTML = _ENV.get_template("email.txt"), _ENV.get_template("email.html")
MAX_SUBJECT = 200  # Notification.subject's length


@dataclass(frozen=True)
class Draft:
    """What a kind's letter function says to one reader; `plans` addresses it."""

    subject: str
    lines: list[str]
    link: str | None = None  # a web page (links.Links), where the reader acts
    link_text: str = "Open it on Floorboard"
    # For apps: the API call behind the same thing ("GET /api/v1/tasks/12", links.Links.api_*),
    # shown as text in the footer, never as a link or the action.
    api: str = ""


@dataclass
class Letter:
    recipient_id: int
    kind: str
    subject: str
    lines: list[str]
    link: str | None = None
    link_text: str = "Open it on Floorboard"
    api: str = ""

    @classmethod
    def to(cls, recipient_id: int, kind: str, draft: Draft) -> Letter:
        return cls(recipient_id, kind, subject_of(draft.subject), draft.lines, draft.link, draft.link_text, draft.api)


def quoted(said: str) -> str:
    """Someone's words in quotes, ending a sentence: no second full stop after their own . ! or ?"""
    said = said.strip()
    return f"“{said}”" if said.endswith((".", "!", "?", "…")) else f"“{said}”."


def subject_of(text: str) -> str:
    """A Subject header's text: one line (a title stored before titles were checked may hold a
    line break, which the mail library refuses), and no longer than the row holds."""
    return one_line(text)[:MAX_SUBJECT]


def render(letter: Letter, user: User, unsubscribe_url: str = "") -> tuple[str, str]:
    """(plain text, HTML) for a letter to `user`."""
    return _render(
        letter.subject, user.display_name, letter.lines, letter.link, letter.link_text, letter.api, unsubscribe_url
    )


def kept(letter: Letter, user: User) -> str:
    """What an email row keeps of a letter to `user` to render it when it is sent (JSON): the
    reader's name as it is now, the lines, the link and the API pointer. The subject and the unsubscribe link are
    columns of their own."""
    return orjson.dumps(
        {
            "name": user.display_name,
            "lines": letter.lines,
            "link": letter.link,
            "link_text": letter.link_text,
            "api": letter.api,
        }
    ).decode()


def render_row(row: Notification) -> tuple[str, str, str]:
    """(Subject, plain text, HTML) of an email row, for the mailer: its kept letter rendered now,
    or the bodies written with it (digests, account mail, rows from before). The Subject is on one
    line whatever the row holds."""
    subject = subject_of(row.subject)
    if not row.letter:
        return subject, row.text_body, row.html_body
    said = orjson.loads(row.letter)
    api = said.get("api", "")  # rows kept before letters named the API
    text, html = _render(
        subject, said["name"], said["lines"], said["link"], said["link_text"], api, row.unsubscribe_url
    )
    return subject, text, html


def _render(
    subject: str, name: str, lines: list[str], link: str | None, link_text: str, api: str, unsubscribe_url: str
) -> tuple[str, str]:
    context = {
        "subject": subject,
        "greeting": f"Hello {name}," if name else "Hello,",
        "lines": lines,
        "link": link,
        "link_text": link_text,
        "api": api,
        "unsubscribe_url": unsubscribe_url,
    }
    return _TEXT.render(context), _HTML.render(context)
