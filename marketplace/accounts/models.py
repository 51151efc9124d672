"""Accounts' tables: users and their roles, hashed API tokens, server-side web sessions, two-factor
secrets (encrypted) and recovery codes (hashed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class Role(StrEnum):
    client = "client"
    tasker = "tasker"
    operator = "operator"


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    display_name: str = Field(default="", max_length=80)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """Bearer tokens are stored as their SHA-256; the token itself is shown once."""

    __tablename__ = "api_tokens"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Written at most once a minute (tokens.LAST_USE_EVERY), never once per request.
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})  # "Firefox on Android"
    name: str = Field(default="", max_length=80, sa_column_kwargs={"server_default": ""})  # the app's own name for it


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random id; only its hash is kept, and signing out
    deletes the row, so a copied cookie stops working at once."""

    __tablename__ = "web_sessions"
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # What lists and ends a session (a page, the API): random and not secret, never the cookie's value.
    public_id: str = Field(max_length=32, unique=True, index=True)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # at most once a minute
    client: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})


class TwoFactor(SQLModel, table=True):
    """A user's TOTP secret, encrypted (marketplace/accounts/two_factor.py). `confirmed_at` is None
    while enrolment waits for its first code; `last_step` is the last time step a code was accepted
    for, so no code works twice."""

    __tablename__ = "two_factor"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    secret_encrypted: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_step: int | None = None


class RecoveryCode(SQLModel, table=True):
    """A one-time recovery code, stored as its SHA-256 (with the user's id); the code is shown once."""

    __tablename__ = "recovery_codes"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    user_id: int = Field(foreign_key="users.id", index=True)
    code_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
