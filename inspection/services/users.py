"""Users: creation, passwords, activation, authentication."""

import re
import secrets

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from inspection import audit
from inspection.errors import Conflict, NotFound, ValidationError
from inspection.models import Role, Unit, User

USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
MIN_PASSWORD = 8
# Werkzeug's default (scrypt). Tests lower the cost; nothing else should.
HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"must have at least {MIN_PASSWORD} characters"
    return None


def user_public(user: User) -> dict:
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
        raise NotFound("user not found")
    return user


def find_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def create_user(
    session: Session,
    *,
    actor_id: int | None,
    username: str,
    role: str,
    full_name: str,
    password: str,
    position: str = "",
    unit_code: str | None = None,
) -> User:
    username = username.strip().lower()
    fields: dict[str, str] = {}
    if not USERNAME.match(username):
        fields["username"] = "3–64 characters: lowercase letters, digits, '.', '_' or '-'"
    if role not in set(Role):
        fields["role"] = "must be one of " + ", ".join(Role)
    if not full_name.strip():
        fields["full_name"] = "is required"
    if problem := password_problem(password):
        fields["password"] = problem
    unit = _unit_for(session, role, unit_code, fields)
    if fields:
        raise ValidationError("invalid user", fields=fields)
    if find_by_username(session, username):
        raise Conflict(f"username '{username}' is taken", fields={"username": "is taken"})
    user = User(
        username=username,
        role=role,
        full_name=full_name.strip(),
        position=position.strip(),
        password_hash=hash_password(password),
        unit_id=unit.id if unit else None,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor_id=actor_id, action="user.create", entity="user",
                 entity_id=user.id, after=user_public(user))  # fmt: skip
    session.commit()
    return user


def _unit_for(session: Session, role: str, unit_code: str | None, fields: dict) -> Unit | None:
    if role != Role.UNIT:
        if unit_code:
            fields["unit_code"] = "only a unit user belongs to a unit"
        return None
    if not unit_code:
        fields["unit_code"] = "a unit user must belong to a unit"
        return None
    unit = session.exec(select(Unit).where(Unit.code == unit_code)).first()
    if unit is None:
        fields["unit_code"] = f"unknown unit '{unit_code}'"
    return unit


def update_user(
    session: Session,
    *,
    actor_id: int,
    user: User,
    full_name: str,
    position: str,
    active: bool,
    unit_code: str | None,
) -> User:
    before = user_public(user)
    fields: dict[str, str] = {}
    if not full_name.strip():
        fields["full_name"] = "is required"
    if actor_id == user.id and not active:
        fields["active"] = "you cannot deactivate yourself"
    unit = _unit_for(session, user.role, unit_code, fields)
    if fields:
        raise ValidationError("invalid user", fields=fields)
    user.full_name, user.position, user.active = full_name.strip(), position.strip(), active
    user.unit_id = unit.id if unit else None
    session.add(user)
    session.flush()
    session.refresh(user)
    audit.record(session, actor_id=actor_id, action="user.update", entity="user",
                 entity_id=user.id, before=before, after=user_public(user))  # fmt: skip
    session.commit()
    return user


def set_password(session: Session, *, actor_id: int, user: User, password: str) -> None:
    """An admin resets a password, or a user changes their own (after `check_password`)."""
    if problem := password_problem(password):
        raise ValidationError("invalid password", fields={"password": problem})
    user.password_hash = hash_password(password)
    session.add(user)
    audit.record(session, actor_id=actor_id, action="user.password", entity="user",
                 entity_id=user.id)  # fmt: skip
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
