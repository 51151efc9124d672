"""An export job: one row per archive a person asked for. The link's token is kept only as a
SHA-256 (the token is in the email alone); the archive's bytes are dropped once downloaded or expired."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class ExportStatus(StrEnum):
    queued = "queued"  # asked for; the exports worker has not started it
    building = "building"  # being written, kind by kind (`progress`, `step`)
    ready = "ready"  # built; the email with the link is on its way
    downloaded = "downloaded"  # the link was used (it works once): the archive is gone
    expired = "expired"  # not downloaded in time: the archive is gone
    failed = "failed"  # could not be built (`error`); ask again


WAITING = (ExportStatus.queued, ExportStatus.building)


class DataExport(SQLModel, table=True):
    __tablename__ = "data_exports"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    user_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(default=ExportStatus.queued, max_length=16, index=True)
    progress: int = 0  # kinds written so far, of `steps`
    steps: int = 0
    step: str = Field(default="", max_length=40)  # the kind being written now
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a builder that died lets go
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    downloaded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    archive: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    size_bytes: int = 0
    error: str = Field(default="", max_length=300)

    # What pages ask of an export's status (they never compare status strings themselves).
    @property
    def is_waiting(self) -> bool:
        """Asked for and not done yet: queued, or being built."""
        return self.status in WAITING

    @property
    def is_building(self) -> bool:
        return self.status == ExportStatus.building

    @property
    def is_ready(self) -> bool:
        return self.status == ExportStatus.ready

    @property
    def is_downloaded(self) -> bool:
        return self.status == ExportStatus.downloaded

    @property
    def is_failed(self) -> bool:
        return self.status == ExportStatus.failed
