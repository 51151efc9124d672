"""A closed account's record: when it was closed, and until when what the law makes us keep of it
(the ledger, payments, payouts) is kept (docs/privacy.md)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime


class ClosedAccount(SQLModel, table=True):
    __tablename__ = "closed_accounts"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    role: str = Field(max_length=16)  # what the account was: its user row no longer says much else
    closed_at: datetime = Field(sa_type=UTCDateTime)
    keep_until: datetime = Field(sa_type=UTCDateTime)
