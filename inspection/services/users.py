"""Users: creation, passwords, activation, authentication."""

import re
import secrets
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from inspection import audit, text
from inspection.errors import N_, Conflict, NotFound, ValidationError
from inspection.formatting import vi_sort_key
from inspection.models import Role, Unit, User, new_session_stamp, relation
from inspection.services import units
from inspection.services.validation import Input, choice_rule, problem, text_rule

USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
LOGIN_FIELD_MAX = 1000  # a username or a password as typed at login: longer is refused unread
USERNAME_LOOKUP_MAX = 200  # a name looked up, spaces around it included (the column holds 64)
MIN_PASSWORD = 8
# Werkzeug's default (scrypt). Tests lower the cost; nothing else should.
HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


# No look-alikes (0/O, 1/l/I): a generated password is often read out or written on paper.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


def generate_password(length: int = 14) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def _username(value: Any) -> str:
    """A username as stored: lowercase, ends trimmed."""
    username = value.strip().lower() if isinstance(value, str) else ""
    if not USERNAME.fullmatch(username):
        raise problem(N_("3–64 characters: lowercase letters, digits, '.', '_' or '-'"))
    return username


def _password(value: Any) -> str:
    """A new password, as typed: refused when too short, or when it is no text the login form
    accepts (one line, no control characters, at most LOGIN_FIELD_MAX characters), which would
    lock the user out."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise problem(N_("must be a string"))
    if len(value) < MIN_PASSWORD:
        raise problem(N_("must have at least 8 characters"))
    if text.text_problem(value, limit=LOGIN_FIELD_MAX, multiline=False):
        raise problem(N_("must be plain text on one line"))
    return value


def _unit_code(value: Any) -> str | None:
    """A unit's code, looked up by the service (get_by_code); empty is none."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise problem(N_("unknown unit"))
    return value


def _yes_or_no(value: Any) -> bool:
    if not isinstance(value, bool):
        raise problem(N_("is not valid"))
    return value


ROLES = frozenset(role.value for role in Role)
PersonName = Annotated[str, text_rule(120, required=True)]  # User.full_name's column
Position = Annotated[str, text_rule(120)]
UnitCode = Annotated[str | None, BeforeValidator(_unit_code)]
# Never shown in a repr (a log line, a traceback).
NewPassword = Annotated[str, BeforeValidator(_password), Field(repr=False)]


class UserCreate(Input):
    """A new account; a unit account names its unit (and only a unit account does)."""

    username: Annotated[str, BeforeValidator(_username)]
    role: Annotated[
        str, choice_rule(lambda: ROLES, N_("must be one of admin, lead, inspector, unit"))
    ]
    full_name: PersonName
    position: Position = ""
    password: NewPassword
    unit_code: UnitCode = None


class UserUpdate(Input):
    """An account's corrected fields, all given again (the role and the username stay)."""

    full_name: PersonName
    position: Position = ""
    active: Annotated[bool, BeforeValidator(_yes_or_no)]
    unit_code: UnitCode = None


class PasswordSet(Input):
    """A user's new password: typed by its owner, or generated for an admin's reset."""

    password: NewPassword


def user_public(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "position": user.position,
        "role": user.role,
        "active": user.active,
        "unit_code": user.unit.code if user.unit else None,
    }


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("This user does not exist."))
    return user


def list_users(session: Session) -> list[User]:
    """Every account with its unit, active ones first, then by username."""
    query = select(User).options(selectinload(relation(User.unit)))
    return list(session.exec(query.order_by(col(User.active).desc(), User.username)))


def active_inspectors(session: Session) -> list[User]:
    """The people who may be assigned to a visit, in Vietnamese alphabetical order."""
    query = select(User).where(User.role == Role.INSPECTOR, col(User.active))
    return sorted(session.exec(query), key=lambda u: (vi_sort_key(u.full_name), u.username))


def find_by_username(session: Session, username: str) -> User | None:
    """The user of this name; None for a name no account can have (a NUL, which PostgreSQL
    cannot even compare, or a surrogate)."""
    if text.text_problem(username, limit=USERNAME_LOOKUP_MAX, multiline=False):
        return None
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def create_user(session: Session, *, actor_id: int | None, data: UserCreate) -> User:
    fields = dict(data.errors)
    role = None if "role" in fields else data.role
    unit = _unit_for(session, role, data.unit_code, fields)
    if fields:
        raise ValidationError(N_("The user could not be saved."), fields=fields)
    if find_by_username(session, data.username):
        raise Conflict(N_("This username is taken."), fields={"username": N_("is taken")})
    user = User(
        username=data.username,
        role=data.role,
        full_name=data.full_name,
        position=data.position,
        password_hash=hash_password(data.password),
        unit_id=unit.id if unit else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="user.create",
        entity="user",
        entity_id=user.id,
        after=user_public(user),
    )
    session.commit()
    return user


def _unit_for(
    session: Session, role: str | None, unit_code: str | None, fields: dict[str, str]
) -> Unit | None:
    """The unit of a unit account (`role`: None when it could not be read). A problem with the
    code is recorded in `fields`, unless one already is."""
    if "unit_code" in fields:
        return None
    if role != Role.UNIT:
        if unit_code:
            fields["unit_code"] = N_("only a unit user belongs to a unit")
        return None
    if not unit_code:
        fields["unit_code"] = N_("a unit user must belong to a unit")
        return None
    unit = units.get_by_code(session, unit_code)
    if unit is None:
        fields["unit_code"] = N_("unknown unit")
    return unit


def update_user(
    session: Session,
    *,
    actor_id: int,
    user: User,
    data: UserUpdate,
) -> User:
    before = user_public(user)
    fields = dict(data.errors)
    if actor_id == user.id and "active" not in fields and not data.active:
        fields["active"] = N_("you cannot deactivate yourself")
    unit = _unit_for(session, user.role, data.unit_code, fields)
    if fields:
        raise ValidationError(N_("The user could not be saved."), fields=fields)
    user.full_name, user.position, user.active = data.full_name, data.position, data.active
    user.unit_id = unit.id if unit else None
    session.add(user)
    session.flush()
    session.refresh(user)
    audit.record(
        session,
        actor_id=actor_id,
        action="user.update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=user_public(user),
    )
    session.commit()
    return user


def set_password(session: Session, *, actor_id: int, user: User, data: PasswordSet) -> None:
    """An admin resets a password, or a user changes their own (after `check_password`)."""
    if data.errors:
        raise ValidationError(N_("The password could not be changed."), fields=data.errors)
    user.password_hash = hash_password(data.password)
    user.session_stamp = new_session_stamp()  # every session of the old password ends
    session.add(user)
    audit.record(
        session, actor_id=actor_id, action="user.password", entity="user", entity_id=user.id
    )
    session.commit()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = find_by_username(session, username or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")  # same work whether or not it exists
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


_DUMMY_HASH = generate_password_hash("not-a-real-password")
