"""Tips: taskers post them (Markdown, sanitized), other taskers vote them helpful or not, and
operators hide them. These are the write side; the boards are a projection (`community.boards`).
"""

from __future__ import annotations

from datetime import datetime

import nh3
from markdown_it import MarkdownIt
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from events.payloads import TipEvent, TipHead, TipHidden, TipPosted, TipVoted
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.community.models import Tip, TipVote
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.floors.models import Category

MAX_TITLE = 120

MAX_BODY = 5000

# Raw HTML in the Markdown is shown as text, and the rendered HTML is cleaned again with an
# allow-list: no scripts, no event handlers, no images (they would track readers), and only
# http, https and mailto links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})

_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
}

_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def render_markdown(text: str) -> str:
    return sanitize_html(_MARKDOWN.render(text))


def _head(tip: Tip, at: datetime) -> TipHead:
    return TipHead(tip_id=tip.id, category=tip.category, author_id=tip.author_id, at=at)


def _emit(uow: UnitOfWork, event: TipEvent) -> None:
    """Emit a tip's event, keyed by its board (a board's events stay in order)."""
    uow.emit(event.event(subject=event.tip_id), key=event.category)


def post_tip(uow: UnitOfWork, author: User, category: str, title: str, body: str) -> Tip:
    session = uow.session
    errors = {}
    if session.get(Category, category) is None:
        raise NotFound(f"No board {category!r}.")
    if not title.strip() or len(title) > MAX_TITLE:
        errors["title"] = [f"Give a title of 1 to {MAX_TITLE} characters."]
    if not body.strip() or len(body) > MAX_BODY:
        errors["body"] = [f"Give a Markdown body of 1 to {MAX_BODY} characters."]
    if errors:
        raise Invalid("The tip was not posted.", errors)
    tip = Tip(
        category=category, author_id=author.id, title=title.strip(), body_markdown=body, body_html=render_markdown(body)
    )
    session.add(tip)
    session.flush()
    _emit(uow, TipPosted(**_head(tip, tip.created_at), title=tip.title, body_html=tip.body_html))
    return tip


def visible_tip(session, tip_id: int, user: User | None) -> Tip:
    tip = session.get(Tip, tip_id)
    if tip is None or (tip.hidden and (user is None or user.role != Role.operator)):
        raise NotFound(f"No tip {tip_id}.")
    return tip


def vote_tip(uow: UnitOfWork, voter: User, tip_id: int, helpful: bool) -> TipVote:
    session = uow.session
    tip = visible_tip(session, tip_id, voter)
    if tip.author_id == voter.id:
        raise Forbidden("You cannot vote on your own tip.")
    if session.exec(select(TipVote).where(col(TipVote.tip_id) == tip_id, col(TipVote.voter_id) == voter.id)).first():
        raise Conflict("You have already voted on this tip.")
    vote = TipVote(tip_id=tip_id, voter_id=voter.id, helpful=helpful)
    session.add(vote)
    try:
        session.flush()  # the unique (tip, voter) index settles a race between two requests
    except IntegrityError:
        raise Conflict("You have already voted on this tip.") from None
    _emit(uow, TipVoted(**_head(tip, vote.created_at), voter_id=voter.id, helpful=helpful))
    return vote


def hide_tip(uow: UnitOfWork, operator: User, tip_id: int, reason: str) -> Tip:
    session = uow.session
    tip = visible_tip(session, tip_id, operator)
    if not reason.strip():
        raise Invalid("Say why the tip is hidden.", {"reason": ["Required."]})
    if not tip.hidden:
        why = reason.strip()[:300]
        tip.hidden, tip.hidden_reason = True, why
        session.add(tip)
        _emit(uow, TipHidden(**_head(tip, utcnow()), hidden_by=operator.id, reason=why))
    return tip


def tips_by(session: Session, author_id: int, limit: int = 20) -> list[Tip]:
    """A tasker's visible tips, newest first, for their public profile."""
    query = select(Tip).where(col(Tip.author_id) == author_id, col(Tip.hidden) == False)  # noqa: E712 - SQL
    return list(session.exec(query.order_by(col(Tip.created_at).desc()).limit(limit)))
