"""The community's typed events (see events/payloads.py, which registers them): tips, questions and
answers on tips.activity, endorsements and connections on community.activity, and reputation changes.

Each family's shared fields have a head (a TypedDict, equal to its base class's fields: a test holds
them so), which a producer fills once: `TipVoted(**head, voter_id=..., helpful=True)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from events.typed import TypedEvent


class TipHead(TypedDict):
    tip_id: int
    category: str
    author_id: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class TipEvent(TypedEvent):
    tip_id: int
    category: str
    author_id: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class TipPosted(TipEvent):
    TYPE = "tip.posted"
    title: str
    body_html: str  # sanitized by the producer


@dataclass(frozen=True, kw_only=True)
class TipVoted(TipEvent):
    TYPE = "tip.voted"
    voter_id: int
    helpful: bool


@dataclass(frozen=True, kw_only=True)
class TipHidden(TipEvent):
    TYPE = "tip.hidden"
    hidden_by: int
    reason: str


class QuestionHead(TypedDict):
    question_id: int
    category: str
    author_id: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class QuestionEvent(TypedEvent):
    question_id: int
    category: str
    author_id: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class QuestionAsked(QuestionEvent):
    TYPE = "question.asked"
    title: str


@dataclass(frozen=True, kw_only=True)
class QuestionHidden(QuestionEvent):
    TYPE = "question.hidden"
    hidden_by: int
    reason: str


class AnswerHead(TypedDict):
    answer_id: int
    question_id: int
    category: str
    author_id: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class AnswerEvent(TypedEvent):
    """The view of any answer.* event."""

    answer_id: int
    question_id: int
    category: str
    author_id: int  # the answer's author
    at: datetime


class AnswerPosted(AnswerEvent):
    TYPE = "answer.posted"


@dataclass(frozen=True, kw_only=True)
class AnswerVoted(AnswerEvent):
    TYPE = "answer.voted"
    voter_id: int
    helpful: bool


@dataclass(frozen=True, kw_only=True)
class AnswerAccepted(AnswerEvent):
    TYPE = "answer.accepted"
    accepted_by: int  # the asker


@dataclass(frozen=True, kw_only=True)
class AnswerHidden(AnswerEvent):
    TYPE = "answer.hidden"
    hidden_by: int
    reason: str


class EndorsementHead(TypedDict):
    endorsement_id: int
    endorser_id: int
    endorsee_id: int
    category: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class EndorsementEvent(TypedEvent):
    endorsement_id: int
    endorser_id: int
    endorsee_id: int
    category: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class EndorsementGiven(EndorsementEvent):
    """The endorser's standing when they gave it, and the mentoring allowance then in force."""

    TYPE = "endorsement.given"
    endorser_tier: str
    endorser_completed: int
    mentor_cap: int


@dataclass(frozen=True, kw_only=True)
class EndorsementWithdrawn(EndorsementEvent):
    """Withdrawn by the endorser; its subclass EndorsementRevoked, by an operator."""

    TYPE = "endorsement.withdrawn"
    revoked_by: int | None  # None: the endorser withdrew it


class EndorsementRevoked(EndorsementWithdrawn):
    TYPE = "endorsement.revoked"


@dataclass(frozen=True, kw_only=True)
class ConnectionEvent(TypedEvent):
    """The view of any connection.* event."""

    tasker_id: int  # who acted
    other_id: int
    at: datetime


class ConnectionRequested(ConnectionEvent):
    TYPE = "connection.requested"


class ConnectionAccepted(ConnectionEvent):
    TYPE = "connection.accepted"


class ConnectionRemoved(ConnectionEvent):
    TYPE = "connection.removed"


class ConnectionBlocked(ConnectionEvent):
    TYPE = "connection.blocked"


@dataclass(frozen=True, kw_only=True)
class ReputationChanged(TypedEvent):
    TYPE = "reputation.changed"
    tasker_id: int
    category: str
    score: int
    tier: str
    rating: float
    reliability: float | None
    tip_karma: float
    completed: int
    at: datetime
