"""login throttle and session times

Failed logins counted in the database (login_throttles); login sessions that expire after an idle
time (last_seen_at) and an absolute time; a random session stamp per user instead of a value
derived from the password hash in the session cookie.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 05:43:27.929398
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import inspection.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", inspection.models.UTCDateTime(), nullable=False),
        sa.Column("last_failure_at", inspection.models.UTCDateTime(), nullable=False),
        sa.Column("locked_until", inspection.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttles_last_failure_at"), ["last_failure_at"], unique=False
        )

    # Added nullable, filled, then made NOT NULL: existing rows need a value first.
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", inspection.models.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE login_sessions SET last_seen_at = created_at")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.alter_column(
            "last_seen_at", existing_type=inspection.models.UTCDateTime(), nullable=False
        )

    # Not in batch mode: on SQLite that rebuilds the table, and dropping `users` while plans,
    # visits and answers point at it fails their foreign keys (they cannot be switched off
    # inside the upgrade's transaction). A plain ADD COLUMN needs a constant default to be NOT
    # NULL; PostgreSQL drops it once every row has its stamp, SQLite keeps it (it cannot drop a
    # default without the rebuild), harmlessly: the application always writes a stamp.
    stamp_type = sqlmodel.sql.sqltypes.AutoString(length=32)
    op.add_column(
        "users", sa.Column("session_stamp", stamp_type, nullable=False, server_default="")
    )
    _stamp_every_user()
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("users", "session_stamp", existing_type=stamp_type, server_default=None)


def _stamp_every_user() -> None:
    """A random stamp for each existing account. Their current sessions end (the cookie's
    reference no longer matches): everyone logs in once more after the upgrade."""
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_stamp", sa.String))
    ids = connection.execute(sa.select(users.c.id)).scalars().all()
    for user_id in ids:
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_stamp=secrets.token_urlsafe(16))
        )


def downgrade() -> None:
    op.drop_column("users", "session_stamp")  # native on SQLite ≥ 3.35: no rebuild of users

    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")

    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_last_failure_at"))

    op.drop_table("login_throttles")
