"""audit_events: the target and action indexes serve prefix filters

Revision ID: 0010
Revises: 0009

The audit log filters target and action exactly or, ending in ``*``, by
prefix (``LIKE 'x%'``). A btree in the database's collation serves the
equality but not the prefix unless that collation is plain "C" (C.UTF-8
and en_US.UTF-8 are not): with 2M events a prefix that matched little or
nothing walked the whole (at) index, ~0.2 s. The pattern-ops operator class
compares bytes, so it serves both (its equality is the same as the
default's), and the events' order still comes from ``at``.

SQLite: unchanged (its LIKE is case-insensitive and skips such indexes;
the embedded case is small).
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = ("target", "action")


def _rebuild(bind, column: str, opclass: str) -> None:
    name = f"ix_audit_events_{column}_at"
    bind.exec_driver_sql(f"DROP INDEX {name}")
    bind.exec_driver_sql(f"CREATE INDEX {name} ON audit_events ({column}{opclass}, at)")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for column in COLUMNS:
            _rebuild(bind, column, " varchar_pattern_ops")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for column in COLUMNS:
            _rebuild(bind, column, "")
