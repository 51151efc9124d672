"""A letter: what an email says (its subject, its lines, the link where its reader acts), and its
rendering through the Jinja layouts beside this module, a plain-text part and an HTML part (the
HTML autoescaped)."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from marketplace.accounts.models import User
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
    link: str | None = None
    link_text: str = "Open it on Floorboard"


@dataclass
class Letter:
    recipient_id: int
    kind: str
    subject: str
    lines: list[str]
    link: str | None = None
    link_text: str = "Open it on Floorboard"

    @classmethod
    def to(cls, recipient_id: int, kind: str, draft: Draft) -> Letter:
        return cls(recipient_id, kind, subject_of(draft.subject), draft.lines, draft.link, draft.link_text)


def subject_of(text: str) -> str:
    """A Subject header's text: one line (a title stored before titles were checked may hold a
    line break, which the mail library refuses), and no longer than the row holds."""
    return one_line(text)[:MAX_SUBJECT]


def render(letter: Letter, user: User, unsubscribe_url: str = "") -> tuple[str, str]:
    """(plain text, HTML) for a letter to `user`."""
    context = {
        "subject": letter.subject,
        "greeting": f"Hello {user.display_name}," if user.display_name else "Hello,",
        "lines": letter.lines,
        "link": letter.link,
        "link_text": letter.link_text,
        "unsubscribe_url": unsubscribe_url,
    }
    return _TEXT.render(context), _HTML.render(context)
