"""Questions and answers on a category's board, beside its tips: a tasker asks (a title and a
Markdown body, sanitized exactly as tips are), peers answer, everyone votes answers helpful or not
(never their own), the asker marks the answer that helped, and operators hide a question or an
answer with a reason. Answers rank like tips, by the Wilson lower bound of the helpful share; the
accepted one comes first. Every change is announced on tips.activity, where the reputation
projection turns votes and acceptances into the author's karma."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from events.payloads import (
    AnswerAccepted,
    AnswerEvent,
    AnswerHead,
    AnswerHidden,
    AnswerPosted,
    AnswerVoted,
    QuestionAsked,
    QuestionEvent,
    QuestionHead,
    QuestionHidden,
)
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.community.models import Answer, AnswerVote, Question, Reputation
from marketplace.community.scoring import wilson_lower_bound
from marketplace.community.tips import MAX_BODY, MAX_TITLE, render_markdown
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.floors.models import Category


def _question(question: Question, at: datetime) -> QuestionHead:
    return QuestionHead(question_id=question.id, category=question.category, author_id=question.author_id, at=at)


def _answer(answer: Answer, at: datetime) -> AnswerHead:
    return AnswerHead(
        answer_id=answer.id, question_id=answer.question_id, category=answer.category, author_id=answer.author_id, at=at
    )


def _emit(uow: UnitOfWork, event: QuestionEvent | AnswerEvent) -> None:
    """Emit a question's or an answer's event about it, keyed by its board (beside the board's tips)."""
    subject = event.answer_id if isinstance(event, AnswerEvent) else event.question_id
    uow.emit(event.event(subject=subject), key=event.category)


def _body(body: str, errors: dict) -> None:
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        errors["body"] = [f"Give a Markdown body of 1 to {MAX_BODY} characters."]


def ask_question(uow: UnitOfWork, author: User, category: str, title: str, body: str) -> Question:
    session = uow.session
    if session.get(Category, category) is None:
        raise NotFound(f"No board {category!r}.")
    errors: dict[str, list[str]] = {}
    if not title.strip() or len(title) > MAX_TITLE:
        errors["title"] = [f"Give a title of 1 to {MAX_TITLE} characters."]
    _body(body, errors)
    if errors:
        raise Invalid("The question was not posted.", errors)
    question = Question(
        category=category, author_id=author.id, title=title.strip(), body_markdown=body, body_html=render_markdown(body)
    )
    session.add(question)
    session.flush()
    _emit(uow, QuestionAsked(**_question(question, question.created_at), title=question.title))
    return question


def visible_question(session: Session, question_id: int, user: User | None) -> Question:
    question = session.get(Question, question_id)
    if question is None or (question.hidden and (user is None or user.role != Role.operator)):
        raise NotFound(f"No question {question_id}.")
    return question


def visible_answer(session: Session, answer_id: int, user: User | None) -> tuple[Answer, Question]:
    answer = session.get(Answer, answer_id)
    operator = user is not None and user.role == Role.operator
    if answer is None or (answer.hidden and not operator):
        raise NotFound(f"No answer {answer_id}.")
    return answer, visible_question(session, answer.question_id, user)


def answer_question(uow: UnitOfWork, author: User, question_id: int, body: str) -> Answer:
    session = uow.session
    question = visible_question(session, question_id, author)
    errors: dict[str, list[str]] = {}
    _body(body, errors)
    if errors:
        raise Invalid("The answer was not posted.", errors)
    answer = Answer(
        question_id=question.id,
        category=question.category,
        author_id=author.id,
        body_markdown=body,
        body_html=render_markdown(body),
    )
    session.add(answer)
    session.flush()
    _emit(uow, AnswerPosted(**_answer(answer, answer.created_at)))
    return answer


def vote_answer(uow: UnitOfWork, voter: User, answer_id: int, helpful: bool) -> AnswerVote:
    session = uow.session
    answer, _ = visible_answer(session, answer_id, voter)
    if answer.author_id == voter.id:
        raise Forbidden("You cannot vote on your own answer.")
    voted = select(AnswerVote).where(col(AnswerVote.answer_id) == answer.id, col(AnswerVote.voter_id) == voter.id)
    if session.exec(voted).first() is not None:
        raise Conflict("You have already voted on this answer.")
    vote = AnswerVote(answer_id=answer.id, voter_id=voter.id, helpful=helpful)
    session.add(vote)
    try:
        session.flush()  # the unique (answer, voter) index settles a race between two requests
    except IntegrityError:
        raise Conflict("You have already voted on this answer.") from None
    counter = Answer.helpful if helpful else Answer.unhelpful
    session.exec(update(Answer).where(col(Answer.id) == answer.id).values({counter: counter + 1}))
    _emit(uow, AnswerVoted(**_answer(answer, vote.created_at), voter_id=voter.id, helpful=helpful))
    return vote


def accept_answer(uow: UnitOfWork, asker: User, answer_id: int) -> Answer:
    """The asker marks the answer that helped: once per question, never their own answer."""
    session = uow.session
    answer, _ = visible_answer(session, answer_id, asker)
    # Locked, so two acceptances of answers to the same question cannot both pass.
    question = session.exec(select(Question).where(col(Question.id) == answer.question_id).with_for_update()).one()
    if question.author_id != asker.id:
        raise Forbidden("Only the tasker who asked marks the answer that helped.")
    if answer.author_id == asker.id:
        raise Forbidden("Mark someone else's answer: your own cannot be the one that helped you.")
    if question.accepted_answer_id is not None:
        raise Conflict(f"You already marked answer {question.accepted_answer_id} as the one that helped.")
    question.accepted_answer_id = answer.id
    session.add(question)
    _emit(uow, AnswerAccepted(**_answer(answer, utcnow()), accepted_by=asker.id))
    return answer


def hide_question(uow: UnitOfWork, operator: User, question_id: int, reason: str) -> Question:
    session = uow.session
    question = visible_question(session, question_id, operator)
    if not reason.strip():
        raise Invalid("Say why the question is hidden.", {"reason": ["Required."]})
    if not question.hidden:
        why = reason.strip()[:300]
        question.hidden, question.hidden_reason = True, why
        session.add(question)
        hidden = QuestionHidden(**_question(question, utcnow()), hidden_by=operator.id, reason=why)
        _emit(uow, hidden)
    return question


def hide_answer(uow: UnitOfWork, operator: User, answer_id: int, reason: str) -> Answer:
    session = uow.session
    answer, _ = visible_answer(session, answer_id, operator)
    if not reason.strip():
        raise Invalid("Say why the answer is hidden.", {"reason": ["Required."]})
    if not answer.hidden:
        why = reason.strip()[:300]
        answer.hidden, answer.hidden_reason = True, why
        session.add(answer)
        _emit(uow, AnswerHidden(**_answer(answer, utcnow()), hidden_by=operator.id, reason=why))
    return answer


def _authors(session: Session, category: str, ids: set[int]) -> dict[int, tuple[str, str]]:
    """(display name, tier in the category) for each author."""
    if not ids:
        return {}
    names = {u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(ids)))}
    tiers = {
        r.tasker_id: r.tier
        for r in session.exec(
            select(Reputation).where(col(Reputation.category) == category, col(Reputation.tasker_id).in_(ids))
        )
    }
    return {i: (names.get(i) or f"Tasker {i}", tiers.get(i, "newcomer")) for i in ids}


def board_questions(session: Session, category: str, page: int = 1, page_size: int = 20) -> dict:
    """A board's questions, newest first, each with its answer count and whether one helped."""
    if session.get(Category, category) is None:
        raise NotFound(f"No board {category!r}.")
    shown = col(Question.hidden).is_(False)
    total = session.exec(
        select(func.count()).select_from(Question).where(col(Question.category) == category, shown)
    ).one()
    rows = list(
        session.exec(
            select(Question)
            .where(col(Question.category) == category, shown)
            .order_by(col(Question.created_at).desc(), col(Question.id).desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    counts = (
        dict(
            session.exec(
                select(Answer.question_id, func.count())
                .where(col(Answer.question_id).in_([q.id for q in rows]), col(Answer.hidden).is_(False))
                .group_by(col(Answer.question_id))
            ).all()
        )
        if rows
        else {}
    )
    authors = _authors(session, category, {q.author_id for q in rows})
    questions = [
        {
            "id": q.id,
            "category": q.category,
            "title": q.title,
            "author_id": q.author_id,
            "author": authors[q.author_id][0],
            "author_tier": authors[q.author_id][1],
            "answers": counts.get(q.id, 0),
            "accepted_answer_id": q.accepted_answer_id,
            "created_at": q.created_at,
        }
        for q in rows
    ]
    return {"category": category, "total": total, "page": page, "page_size": page_size, "questions": questions}


def question_page(session: Session, question_id: int, user: User | None) -> dict:
    """A question with its answers: the accepted one first, then by the Wilson lower bound of the
    helpful share (oldest first among equals). Hidden answers only for operators."""
    question = visible_question(session, question_id, user)
    query = select(Answer).where(col(Answer.question_id) == question.id)
    if user is None or user.role != Role.operator:
        query = query.where(col(Answer.hidden).is_(False))
    answers = list(session.exec(query))
    answers.sort(
        key=lambda a: (
            a.id != question.accepted_answer_id,
            -wilson_lower_bound(a.helpful, a.helpful + a.unhelpful),
            a.created_at,
            a.id,
        )
    )
    authors = _authors(session, question.category, {question.author_id} | {a.author_id for a in answers})
    return {
        "id": question.id,
        "category": question.category,
        "title": question.title,
        "body_html": question.body_html,
        "author_id": question.author_id,
        "author": authors[question.author_id][0],
        "author_tier": authors[question.author_id][1],
        "accepted_answer_id": question.accepted_answer_id,
        "hidden": question.hidden,
        "created_at": question.created_at,
        "answers": [
            {
                "id": a.id,
                "body_html": a.body_html,
                "author_id": a.author_id,
                "author": authors[a.author_id][0],
                "author_tier": authors[a.author_id][1],
                "helpful": a.helpful,
                "unhelpful": a.unhelpful,
                "rank": round(wilson_lower_bound(a.helpful, a.helpful + a.unhelpful), 6),
                "accepted": a.id == question.accepted_answer_id,
                "hidden": a.hidden,
                "created_at": a.created_at,
            }
            for a in answers
        ],
    }
