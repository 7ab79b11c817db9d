"""The conclusion notice's tables: the lead's draft, the number series, the issued notice and its
stored files.

An issued notice never changes: its content is a frozen snapshot (JSON), its PDF and DOCX are
rendered once from it and kept here, in the database, so that they are written in the same
transaction as the number and travel with every backup. A correction is a new notice that
supersedes the old one (`superseded_by_id`), which stays readable.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from inspection.models import UTCDateTime, created_field


def new_token() -> str:
    """The verification token printed in the QR code and under it: unguessable (160 bits), in
    hex digits, so that a printed address broken across lines is never read as hyphenated."""
    return secrets.token_hex(20)


class NoticeDraft(SQLModel, table=True):
    """The lead's draft of a visit's notice: the narrative paragraphs and choices the record does
    not hold. Figures and deficiencies are read from the record whenever it is shown."""

    __tablename__ = "notice_drafts"
    visit_id: int = Field(foreign_key="visits.id", primary_key=True)
    # {"opening", "results", "requirements", "implementation": str, "areas": {section key: str}}
    narrative: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # The deadline the notice sets for each deficiency: {finding id: "YYYY-MM-DD"}
    due_dates: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    report_due_on: dt.date | None = None  # the unit's written report on its remediation
    recipients: str = Field(default="")  # "Nơi nhận" lines, one per line
    signer_name: str = Field(default="", max_length=120)
    photo_annex: bool = Field(default=False)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: dt.datetime = created_field()
    revision: int = Field(default=0)  # increases with every save (stale edits are refused)


class NoticeSeries(SQLModel, table=True):
    """One number series: an issuer's notice code in one year. `last` is the last number given;
    numbers are taken by incrementing it under the row's lock, never reused."""

    __tablename__ = "notice_series"
    issuer: str = Field(primary_key=True, max_length=200)
    code: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class Notice(SQLModel, table=True):
    """An issued conclusion notice (Thông báo kết luận kiểm tra): immutable once stored."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("issuer", "code", "year", "sequence"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    issuer: str = Field(max_length=200)
    code: str = Field(max_length=40)
    year: int
    sequence: int  # the number in the series
    number: str = Field(max_length=64)  # as printed: "05/TB-ĐKT"
    issued_on: dt.date
    issued_at: dt.datetime = created_field()
    issued_by_id: int | None = Field(default=None, foreign_key="users.id")
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # the snapshot
    sha256: str = Field(max_length=64)  # of the stored PDF
    token: str = Field(default_factory=new_token, max_length=64, unique=True, index=True)
    supersedes_id: int | None = Field(default=None, foreign_key="notices.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="notices.id")
    superseded_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str = Field(default="")  # why it supersedes the one before


class NoticeFile(SQLModel, table=True):
    """A rendering of a notice, stored when it was issued: `pdf` (the record) or `docx`."""

    __tablename__ = "notice_files"
    notice_id: int = Field(foreign_key="notices.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=8)
    media_type: str = Field(max_length=120)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    size: int
