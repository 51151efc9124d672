"""Guides: a board's knowledge in order. An elite or trusted tasker in a category assembles a
title, a short introduction (Markdown, sanitized as tips are) and an ordered list of that board's
tips and accepted answers, their own or others' (each credited to its author). Other taskers mark
a guide helpful, once; a board shows its top guide first (most marked helpful, newest first among
equals), and the path to a skilled category links to its top guides."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.community.models import Answer, Guide, GuideItem, GuideVote, Question, Reputation, Tip
from marketplace.community.tips import MAX_TITLE, render_markdown
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.floors.models import Category

MAX_INTRO = 1000
MAX_ITEMS = 30
AUTHOR_TIERS = ("elite", "trusted")


def create_guide(
    uow: UnitOfWork, author: User, category: str, title: str, intro: str, items: list[tuple[str, int]]
) -> Guide:
    session = uow.session
    if session.get(Category, category) is None:
        raise NotFound(f"No board {category!r}.")
    rep = session.get(Reputation, (author.id, category))
    if rep is None or rep.tier not in AUTHOR_TIERS:
        tier = rep.tier if rep else "newcomer"
        raise Forbidden(f"Guides are assembled by elite or trusted taskers in {category}; you are {tier} there.")
    errors: dict[str, list[str]] = {}
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        errors["title"] = [f"Give a title of 1 to {MAX_TITLE} characters."]
    if not isinstance(intro, str) or not intro.strip() or len(intro) > MAX_INTRO:
        errors["intro"] = [f"Give an introduction of 1 to {MAX_INTRO} characters."]
    if not 1 <= len(items) <= MAX_ITEMS:
        errors["items"] = [f"Choose 1 to {MAX_ITEMS} tips and accepted answers."]
    elif len(set(items)) != len(items):
        errors["items"] = ["Each tip or answer once."]
    else:
        problems = [why for kind, ref in items if (why := _why_not(session, category, kind, ref))]
        if problems:
            errors["items"] = problems
    if errors:
        raise Invalid("The guide was not made.", errors)
    guide = Guide(
        category=category,
        author_id=author.id,
        title=title.strip(),
        intro_markdown=intro,
        intro_html=render_markdown(intro),
    )
    session.add(guide)
    session.flush()
    for position, (kind, ref) in enumerate(items, start=1):
        session.add(GuideItem(guide_id=guide.id, position=position, kind=kind, ref_id=ref))
    session.flush()
    return guide


def _why_not(session: Session, category: str, kind: str, ref: int) -> str | None:
    """Why this item may not be in a guide of `category`, or None."""
    if kind == "tip":
        tip = session.get(Tip, ref)
        if tip is None or tip.hidden or tip.category != category:
            return f"Tip {ref} is not on the {category} board."
        return None
    if kind == "answer":
        answer = session.get(Answer, ref)
        question = session.get(Question, answer.question_id) if answer is not None else None
        if answer is None or question is None or answer.hidden or question.hidden or answer.category != category:
            return f"Answer {ref} is not on the {category} board."
        if question.accepted_answer_id != answer.id:
            return f"Answer {ref} is not the one its asker marked as helpful: only accepted answers go in guides."
        return None
    return f"{kind!r} is neither a tip nor an answer."


def mark_helpful(uow: UnitOfWork, voter: User, guide_id: int) -> GuideVote:
    session = uow.session
    guide = session.get(Guide, guide_id)
    if guide is None:
        raise NotFound(f"No guide {guide_id}.")
    if guide.author_id == voter.id:
        raise Forbidden("You cannot mark your own guide.")
    already = select(GuideVote).where(col(GuideVote.guide_id) == guide_id, col(GuideVote.voter_id) == voter.id)
    if session.exec(already).first() is not None:
        raise Conflict("You have already marked this guide helpful.")
    vote = GuideVote(guide_id=guide_id, voter_id=voter.id)
    session.add(vote)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("You have already marked this guide helpful.") from None
    session.exec(update(Guide).where(col(Guide.id) == guide_id).values(helpful=Guide.helpful + 1))
    return vote


def top_guides(session: Session, category: str, limit: int = 10) -> list[dict]:
    """A board's guides, most marked helpful first (newest first among equals)."""
    rows = session.exec(
        select(Guide, User.display_name)
        .join(User, col(User.id) == Guide.author_id)
        .where(col(Guide.category) == category)
        .order_by(col(Guide.helpful).desc(), col(Guide.created_at).desc(), col(Guide.id).desc())
        .limit(limit)
    ).all()
    counts = (
        dict(
            session.exec(
                select(GuideItem.guide_id, GuideItem.position).where(
                    col(GuideItem.guide_id).in_([g.id for g, _ in rows])
                )
            ).all()
        )
        if rows
        else {}
    )
    return [
        {
            "id": g.id,
            "category": g.category,
            "title": g.title,
            "author_id": g.author_id,
            "author": name or f"Tasker {g.author_id}",
            "helpful": g.helpful,
            "items": counts.get(g.id, 0),
            "created_at": g.created_at,
        }
        for g, name in rows
    ]


def guide_page(session: Session, guide_id: int) -> dict:
    """A guide with its items in order, each credited to its author. An item hidden since (a tip
    or an answer an operator hid) is left out."""
    guide = session.get(Guide, guide_id)
    if guide is None:
        raise NotFound(f"No guide {guide_id}.")
    items = session.exec(select(GuideItem).where(col(GuideItem.guide_id) == guide_id).order_by(col(GuideItem.position)))
    shown: list[dict] = []
    for item in items:
        if item.kind == "tip":
            tip = session.get(Tip, item.ref_id)
            if tip is None or tip.hidden:
                continue
            shown.append(
                {
                    "kind": "tip",
                    "id": tip.id,
                    "title": tip.title,
                    "body_html": tip.body_html,
                    "author_id": tip.author_id,
                }
            )
        else:
            answer = session.get(Answer, item.ref_id)
            question = session.get(Question, answer.question_id) if answer is not None else None
            if answer is None or question is None or answer.hidden or question.hidden:
                continue
            shown.append(
                {
                    "kind": "answer",
                    "id": answer.id,
                    "title": question.title,
                    "question_id": question.id,
                    "body_html": answer.body_html,
                    "author_id": answer.author_id,
                }
            )
    ids = {guide.author_id} | {i["author_id"] for i in shown}
    names = {u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(ids)))}
    for i in shown:
        i["author"] = names.get(i["author_id"]) or f"Tasker {i['author_id']}"
    return {
        "id": guide.id,
        "category": guide.category,
        "title": guide.title,
        "intro_html": guide.intro_html,
        "author_id": guide.author_id,
        "author": names.get(guide.author_id) or f"Tasker {guide.author_id}",
        "helpful": guide.helpful,
        "created_at": guide.created_at,
        "items": shown,
    }
