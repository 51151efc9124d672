"""Tips and their votes, and the projections built from events: board entries, tip karma, reputation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class Tip(SQLModel, table=True):
    __tablename__ = "tips"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=120)
    body_markdown: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))  # sanitized when written
    hidden: bool = False
    hidden_reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TipVote(SQLModel, table=True):
    __tablename__ = "tip_votes"
    __table_args__ = (UniqueConstraint("tip_id", "voter_id"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    tip_id: int = Field(foreign_key="tips.id", index=True)
    voter_id: int = Field(foreign_key="users.id")
    helpful: bool
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BoardEntry(SQLModel, table=True):
    """The tips-board projection (group "tips"), rebuilt from tips.activity alone."""

    __tablename__ = "board_entries"
    tip_id: int = Field(primary_key=True)
    category: str = Field(max_length=64, index=True)
    author_id: int
    title: str = Field(max_length=120)
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    helpful: int = 0
    unhelpful: int = 0
    hidden: bool = False
    posted_at: datetime = Field(sa_type=UTCDateTime)


class KarmaTip(SQLModel, table=True):
    """The reputation projection's own vote counts per tip, from which tip karma is summed."""

    __tablename__ = "karma_tips"
    tip_id: int = Field(primary_key=True)
    tasker_id: int = Field(index=True)
    category: str = Field(max_length=64)
    helpful: int = 0
    unhelpful: int = 0
    hidden: bool = False


class Reputation(SQLModel, table=True):
    """A projection rebuilt from events: `floorboard replay reputation` must reproduce it."""

    __tablename__ = "reputation"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(primary_key=True, max_length=64)
    rating_sum: int = 0
    rating_count: int = 0
    accepted: int = 0
    completed: int = 0
    tasker_cancelled: int = 0
    late_handoffs: int = 0  # tasks handed to a peer less than 24 h before the start
    handoffs_completed: int = 0  # tasks this tasker handed on that the peer completed
    tip_karma: float = 0.0
    score: int = 0
    tier: str = Field(default="newcomer", max_length=16)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # the latest event's time


class HandoffCredit(SQLModel, table=True):
    """The reputation projection's memory of who passed each task on (the latest hand-off), so
    that its completion credits them."""

    __tablename__ = "handoff_credits"
    task_id: int = Field(primary_key=True)
    passed_by: int
    category: str = Field(max_length=64)


class Question(SQLModel, table=True):
    """A tasker's question on a category's board (Markdown, sanitized as tips are)."""

    __tablename__ = "questions"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=120)
    body_markdown: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    accepted_answer_id: int | None = None  # the answer the asker marked as the one that helped
    hidden: bool = False
    hidden_reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Answer(SQLModel, table=True):
    __tablename__ = "answers"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    question_id: int = Field(foreign_key="questions.id", index=True)
    category: str = Field(max_length=64)
    author_id: int = Field(foreign_key="users.id", index=True)
    body_markdown: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    helpful: int = 0  # counts of the votes below, kept with them in the same transaction
    unhelpful: int = 0
    hidden: bool = False
    hidden_reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnswerVote(SQLModel, table=True):
    __tablename__ = "answer_votes"
    __table_args__ = (UniqueConstraint("answer_id", "voter_id"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    answer_id: int = Field(foreign_key="answers.id", index=True)
    voter_id: int = Field(foreign_key="users.id")
    helpful: bool
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KarmaAnswer(SQLModel, table=True):
    """The reputation projection's own counts per answer, from which answer karma is summed."""

    __tablename__ = "karma_answers"
    answer_id: int = Field(primary_key=True)
    tasker_id: int = Field(index=True)
    category: str = Field(max_length=64)
    helpful: int = 0
    unhelpful: int = 0
    accepted: bool = False
    hidden: bool = False


class Guide(SQLModel, table=True):
    """A category's knowledge in order: an elite or trusted tasker's selection of tips and accepted
    answers from its board (their own or others', credited), with a title and an introduction."""

    __tablename__ = "guides"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=120)
    intro_markdown: str = Field(sa_column=Column(Text, nullable=False))
    intro_html: str = Field(sa_column=Column(Text, nullable=False))  # sanitized when written
    helpful: int = 0  # the count of GuideVote rows, kept with them
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GuideItem(SQLModel, table=True):
    __tablename__ = "guide_items"
    guide_id: int = Field(foreign_key="guides.id", primary_key=True)
    position: int = Field(primary_key=True)  # 1, 2, ... in the guide's order
    kind: str = Field(max_length=8)  # tip or answer
    ref_id: int  # the tip's or the answer's id


class GuideVote(SQLModel, table=True):
    __tablename__ = "guide_votes"
    __table_args__ = (UniqueConstraint("guide_id", "voter_id"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    guide_id: int = Field(foreign_key="guides.id", index=True)
    voter_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
