"""SQLModel tables and enums: the system of record.

Status and role values are the strings of API.md; they are stored as plain strings so that a later
value is a code change, not a schema change.
"""

import datetime as dt
import secrets
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Relationship, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a time zone")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: _Row) -> int:
    """The id of a row the database has stored (flushed or loaded): `id` is None only on a row
    not yet added, which no caller of this passes."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: it is not stored yet")
    return row.id


_T = TypeVar("_T")


def relation(attribute: _T) -> QueryableAttribute[_T]:
    """A relationship as SQLAlchemy's loader options take it: `selectinload(relation(Visit.unit))`.
    SQLModel types `Visit.unit` on the class as a Unit, where it is the mapped attribute."""
    if not isinstance(attribute, QueryableAttribute):
        raise TypeError(f"not a mapped attribute: {attribute!r}")
    return attribute


def created_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


def new_session_stamp() -> str:
    """A random value naming the current password in session cookies (never derived from it)."""
    return secrets.token_urlsafe(16)


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    INSPECTOR = "inspector"
    UNIT = "unit"


class UnitKind(StrEnum):
    XA = "xa"
    PHUONG = "phuong"
    THI_TRAN = "thi_tran"
    DAC_KHU = "dac_khu"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    NOTICE_ISSUED = "notice_issued"
    REMEDIATING = "remediating"
    CLOSED = "closed"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class FindingStatus(StrEnum):
    DRAFT = "draft"  # before the notice
    OPEN = "open"
    REPORTED = "reported"  # the unit reported a fix
    RESOLVED = "resolved"  # the team verified it


class Agency(SQLModel, table=True):
    """The inspecting agency: one row, configuration data printed on every document."""

    __tablename__ = "agency"
    id: int | None = Field(default=None, primary_key=True)
    issuer_name: str = Field(max_length=200)  # e.g. "ĐOÀN KIỂM TRA CCHC"
    parent_body: str = Field(default="", max_length=200)  # e.g. "UBND THỊ XÃ NINH HÒA"
    notice_code: str = Field(default="TB-ĐKT", max_length=40)
    place_name: str = Field(default="", max_length=100)  # printed before the date
    signer_name: str = Field(default="", max_length=120)
    signer_title: str = Field(default="TRƯỞNG ĐOÀN", max_length=120)
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)
    remediation_days: int = Field(default=30)


class Unit(SQLModel, table=True):
    """An inspected commune, ward, town or special zone."""

    __tablename__ = "units"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default=UnitKind.XA, max_length=16)
    active: bool = Field(default=True)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=120)
    position: str = Field(default="", max_length=120)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=256)
    active: bool = Field(default=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    created_at: dt.datetime = created_field()
    # Renewed with every new password: sessions opened under the old one end (see get_id).
    session_stamp: str = Field(default_factory=new_session_stamp, max_length=32)

    unit: Unit | None = Relationship()

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session's reference to this user; it changes with the password, so that a new
        password (or a reset by the admin) ends every session opened with the old one. The stamp
        is random: the signed cookie (readable by whoever holds it) says nothing of the password."""
        return f"{self.id}:{self.session_stamp}"


class Plan(SQLModel, table=True):
    """An annual inspection plan (Kế hoạch số 22/KH-UBND) and the decision forming its team."""

    __tablename__ = "plans"
    # One plan per number and year, however the number's letters are cased or composed.
    __table_args__ = (Index("uq_plans_year_number_key", "year", "number_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64)
    number_key: str = Field(max_length=200)  # text.fold(number): casefolding may lengthen it
    issued_on: dt.date | None = None
    decision_number: str = Field(default="", max_length=64)
    decision_on: dt.date | None = None
    year: int
    title: str = Field(max_length=300)
    lead_id: int = Field(foreign_key="users.id", index=True)
    form_key: str = Field(max_length=64)
    form_version: int
    form_sha256: str = Field(max_length=64)
    created_at: dt.datetime = created_field()

    lead: User = Relationship()
    visits: list["Visit"] = Relationship(back_populates="plan")


class VisitInspector(SQLModel, table=True):
    __tablename__ = "visit_inspectors"
    visit_id: int = Field(foreign_key="visits.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True)


class Visit(SQLModel, table=True):
    __tablename__ = "visits"
    # A second visit of one unit on one day in one plan is a double submit, not a plan.
    __table_args__ = (
        Index("uq_visits_plan_unit_day", "plan_id", "unit_id", "scheduled_on", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", index=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    scheduled_on: dt.date
    place: str = Field(default="", max_length=200)
    # The unit's people taking part: [{"name": ..., "position": ...}]
    participants: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    status: str = Field(default=VisitStatus.PLANNED, max_length=16)
    revision: int = Field(default=0)
    created_at: dt.datetime = created_field()

    plan: Plan = Relationship(back_populates="visits")
    unit: Unit = Relationship()
    inspectors: list[User] = Relationship(link_model=VisitInspector)


class Answer(SQLModel, table=True):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("visit_id", "item_key"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    item_key: str = Field(max_length=64)
    value: Any = Field(default=None, sa_column=Column(JSON))
    note: str = Field(default="")
    no_finding_reason: str = Field(default="")
    answered_by_id: int | None = Field(default=None, foreign_key="users.id")
    answered_at: dt.datetime = created_field()  # when the inspector answered
    updated_at: dt.datetime = created_field()  # when the server stored it
    client_id: str | None = Field(default=None, max_length=64)
    revision: int = Field(default=0)  # the visit revision of this answer's last change

    answered_by: User | None = Relationship()


class Photo(SQLModel, table=True):
    """A photo taken during a visit: the received file is the evidence (its SHA-256 its identity,
    one photo per content in a visit); the files live in the store under `folder` (storage.py)."""

    __tablename__ = "photos"
    # AUTOINCREMENT on SQLite: a removed photo's id (and so its file addresses, cached a year by
    # the tablets) never names another photo.
    __table_args__ = (UniqueConstraint("visit_id", "sha256"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    folder: str = Field(max_length=64, unique=True)  # random: UPLOAD_DIR/<visit>/<folder>/
    sha256: str = Field(max_length=64)
    size: int
    media_type: str = Field(max_length=32)
    extension: str = Field(max_length=8)  # of the kept original: original.<extension>
    width: int  # upright, full size
    height: int
    taken_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    latitude: float | None = None
    longitude: float | None = None
    camera: str = Field(default="", max_length=200)
    caption: str = Field(default="")
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    uploaded_at: dt.datetime = created_field()
    revision: int = Field(default=0)  # the visit revision of this photo's last change

    uploaded_by: User | None = Relationship()
    links: list["PhotoLink"] = Relationship(
        back_populates="photo", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )
    finding_links: list["FindingPhoto"] = Relationship(
        back_populates="photo", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class PhotoLink(SQLModel, table=True):
    """What a photo is evidence for: an item of the checklist (`item_key`), or the visit as a
    whole (`item_key` empty). A photo lives as long as something links it."""

    __tablename__ = "photo_links"
    __table_args__ = (UniqueConstraint("photo_id", "item_key"),)

    id: int | None = Field(default=None, primary_key=True)
    photo_id: int = Field(foreign_key="photos.id", index=True)
    item_key: str = Field(default="", max_length=64)
    linked_by_id: int | None = Field(default=None, foreign_key="users.id")
    linked_at: dt.datetime = created_field()

    photo: Photo = Relationship(back_populates="links")


class Finding(SQLModel, table=True):
    """A deficiency the team records: tied to the item that failed (`item_key`) or to none
    (empty). One whose item no longer fails is `withdrawn`: kept, shown struck through, left
    out of the notice."""

    __tablename__ = "findings"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    item_key: str = Field(default="", max_length=64)
    text: str
    remedy: str = Field(default="")
    severity: str = Field(default=Severity.MEDIUM, max_length=8)
    responsible: str = Field(default="", max_length=200)  # the person or office
    due_on: dt.date | None = None
    status: str = Field(default=FindingStatus.DRAFT, max_length=16)
    withdrawn: bool = Field(default=False)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
    client_id: str | None = Field(default=None, max_length=64)
    revision: int = Field(default=0)  # the visit revision of this finding's last change

    created_by: User | None = Relationship()


class FindingPhoto(SQLModel, table=True):
    """A photo as evidence of a deficiency (beside its links to items, PhotoLink)."""

    __tablename__ = "finding_photos"
    photo_id: int = Field(foreign_key="photos.id", primary_key=True)
    finding_id: int = Field(foreign_key="findings.id", primary_key=True, index=True)
    linked_by_id: int | None = Field(default=None, foreign_key="users.id")
    linked_at: dt.datetime = created_field()

    photo: Photo = Relationship(back_populates="finding_links")


class CheckExplanation(SQLModel, table=True):
    """Why a raised consistency check is not an error (CHECKLIST-FORMAT.md); removed when one
    of the check's items changes, so that it is asked for again."""

    __tablename__ = "check_explanations"
    __table_args__ = (UniqueConstraint("visit_id", "check_key"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    check_key: str = Field(max_length=64)
    explanation: str
    explained_by_id: int | None = Field(default=None, foreign_key="users.id")
    explained_at: dt.datetime = created_field()
    revision: int = Field(default=0)

    explained_by: User | None = Relationship()


class ReviewComment(SQLModel, table=True):
    """The lead's remark on an item, a deficiency or the visit (both empty) during review.
    A return sends the unsent ones to the team (`sent_at`), who see them as a to-do list until
    they submit again (`closed_at`)."""

    __tablename__ = "review_comments"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visits.id", index=True)
    item_key: str = Field(default="", max_length=64)
    finding_id: int | None = Field(default=None, foreign_key="findings.id")
    text: str
    author_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = created_field()
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

    author: User | None = Relationship()


class ClientRequest(SQLModel, table=True):
    """A retried create or write, remembered by its client-generated id so a replay returns the
    first result instead of acting twice."""

    __tablename__ = "client_requests"
    client_id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id")
    scope: str = Field(max_length=64)  # e.g. "answer:12:kh-cchc"
    payload_sha256: str = Field(max_length=64)
    result: Any = Field(default=None, sa_column=Column(JSON))  # the first response's body
    created_at: dt.datetime = created_field()


class LoginSession(SQLModel, table=True):
    """One login on one device. The session cookie names it; logging out ends it here, so a
    copy of the cookie (a shared tablet, a stolen one) opens nothing afterwards."""

    __tablename__ = "login_sessions"
    id: str = Field(primary_key=True, max_length=64)  # random, kept in the signed cookie
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: dt.datetime = created_field()
    # Refreshed at most every few minutes (login_sessions.TOUCH_EVERY), not on every request.
    last_seen_at: dt.datetime = created_field()
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Recent failed logins of one username or one client address, in the database so that
    every worker process counts them together (services/login_throttle.py holds the rule)."""

    __tablename__ = "login_throttles"
    key: str = Field(primary_key=True, max_length=80)  # "user:<sha256 of name>", "addr:<ip>"
    failures: int = Field(default=0)  # since window_started_at
    window_started_at: dt.datetime = created_field()
    last_failure_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only: who changed what, when, from what to what."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=64)  # e.g. "answer.update"
    entity: str = Field(max_length=32)  # e.g. "answer"
    entity_id: str = Field(max_length=64)
    visit_id: int | None = Field(default=None, index=True)
    before: Any = Field(default=None, sa_column=Column(JSON))
    after: Any = Field(default=None, sa_column=Column(JSON))


# The conclusion notice's tables live in their own module (imported here so that every table is
# registered, and importable from here, as the others are).
from inspection.models.notices import Notice as Notice  # noqa: E402
from inspection.models.notices import NoticeDraft as NoticeDraft  # noqa: E402
from inspection.models.notices import NoticeFile as NoticeFile  # noqa: E402
from inspection.models.notices import NoticeSeries as NoticeSeries  # noqa: E402
