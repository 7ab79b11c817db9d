"""unique plan numbers per year and visits per unit and day

The services refused a plan number used twice in a year and a second visit of one unit on one
day in one plan, but two requests racing past the check could both be stored. Unique indexes
make the database refuse the second. A plan's number is compared folded (text.fold: case and
accent composition aside), so the folded form is stored as `number_key`.

Duplicates stored before this revision stop the upgrade, untouched, with one line naming them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 06:40:00
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from inspection.migrate import MigrationRefused
from inspection.text import fold

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLANS = sa.table(
    "plans",
    sa.column("id", sa.Integer),
    sa.column("number", sa.String),
    sa.column("year", sa.Integer),
    sa.column("number_key", sa.String),
)
VISITS = sa.table(
    "visits",
    sa.column("id", sa.Integer),
    sa.column("plan_id", sa.Integer),
    sa.column("unit_id", sa.Integer),
    sa.column("scheduled_on", sa.Date),
)


def upgrade() -> None:
    connection = op.get_bind()
    plans = connection.execute(sa.select(PLANS.c.id, PLANS.c.number, PLANS.c.year)).all()
    _refuse_duplicates(plans, connection)
    # Added in place with a default, not by rebuilding `plans` (SQLite's batch mode would copy
    # the table, which the foreign keys of visits refuse inside the upgrade's transaction).
    key_type = sqlmodel.sql.sqltypes.AutoString(length=200)
    op.add_column("plans", sa.Column("number_key", key_type, nullable=False, server_default=""))
    for plan_id, number, _year in plans:
        connection.execute(
            PLANS.update().where(PLANS.c.id == plan_id).values(number_key=fold(number))
        )
    if connection.dialect.name != "sqlite":  # SQLite cannot drop a default in place
        op.alter_column("plans", "number_key", existing_type=key_type, server_default=None)
    op.create_index("uq_plans_year_number_key", "plans", ["year", "number_key"], unique=True)
    op.create_index(
        "uq_visits_plan_unit_day", "visits", ["plan_id", "unit_id", "scheduled_on"], unique=True
    )


def _refuse_duplicates(plans: Sequence[sa.Row], connection: sa.Connection) -> None:
    numbered: dict[tuple[int, str], list[str]] = defaultdict(list)
    for plan_id, number, year in plans:
        numbered[(year, fold(number))].append(f"#{plan_id} {number!r}")
    problems = [
        f"plans {', '.join(ids)} share a number in {year}"
        for (year, _key), ids in sorted(numbered.items())
        if len(ids) > 1
    ]
    visits = connection.execute(
        sa.select(VISITS.c.plan_id, VISITS.c.unit_id, VISITS.c.scheduled_on, sa.func.count())
        .group_by(VISITS.c.plan_id, VISITS.c.unit_id, VISITS.c.scheduled_on)
        .having(sa.func.count() > 1)
        .order_by(VISITS.c.plan_id, VISITS.c.unit_id, VISITS.c.scheduled_on)
    ).all()
    problems += [
        f"plan #{plan_id} visits unit #{unit_id} {count} times on {day}"
        for plan_id, unit_id, day, count in visits
    ]
    if problems:
        raise MigrationRefused(
            "Cannot upgrade the database: "
            + "; ".join(problems)
            + ". Renumber or remove the duplicates (each must be unique), then run init-db again."
        )


def downgrade() -> None:
    op.drop_index("uq_visits_plan_unit_day", table_name="visits")
    op.drop_index("uq_plans_year_number_key", table_name="plans")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("number_key")
