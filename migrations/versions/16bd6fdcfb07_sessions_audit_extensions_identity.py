"""sessions, registration requests, audit log, extensions, circle time zone, unique identities, derived lateness

Revision ID: 16bd6fdcfb07
Revises: 44e666b9c2ea
Create Date: 2026-11-29 19:28:43.938198

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types
from lms.core.inputs import comparison_key, normalize_number, number_key


# revision identifiers, used by Alembic.
revision = '16bd6fdcfb07'
down_revision = '44e666b9c2ea'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('next_path', sa.String(length=500), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_requests')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_registration_requests_token_hash'))
    )
    with op.batch_alter_table('registration_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_requests_email'), ['email'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=400), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=64), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('target_label', sa.String(length=400), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_circle_id'), ['circle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_audit_events_target', ['target_type', 'target_id'], unique=False)

    # Append-only (lms.audit.models.APPEND_ONLY_DDL, frozen here): only the database's own
    # ON DELETE SET NULL of actor_id may change a row.
    for statement in _APPEND_ONLY_DDL.get(op.get_bind().dialect.name, []):
        op.execute(statement)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('is_remembered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('extension_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('granted', 'changed', 'removed', name='extension_action', native_enum=False, length=15), nullable=False),
    sa.Column('due_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('closes_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_extension_changes_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_extension_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_extension_changes_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_changes'))
    )
    with op.batch_alter_table('extension_changes', schema=None) as batch_op:
        batch_op.create_index('ix_extension_changes_assignment', ['assignment_id', 'changed_at'], unique=False)

    op.create_table('extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('due_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('closes_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_extensions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_extensions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_extensions_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extensions')),
    sa.UniqueConstraint('assignment_id', 'student_id', name=op.f('uq_extensions_assignment_id'))
    )
    with op.batch_alter_table('extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extensions_student_id'), ['student_id'], unique=False)

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))

    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_penalty_waived', sa.Boolean(), nullable=False, server_default=sa.false()))
    # A grade whose frozen penalty was 0 while its submission's was not had the penalty waived.
    op.execute(
        "UPDATE grades SET is_penalty_waived = " + ("true" if op.get_bind().dialect.name == "postgresql" else "1")
        + " WHERE penalty_percent = 0 AND submission_id IN (SELECT id FROM submissions WHERE penalty_percent > 0)"
    )
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_column('penalty_percent')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('is_identity_locked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('student_no_key', sa.String(length=40), nullable=True))
    _normalize_identities()
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_memberships_circle_display_key', ['circle_id', 'display_key'])
        batch_op.create_unique_constraint('uq_memberships_circle_student_no_key', ['circle_id', 'student_no_key'])

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('days_late')
        batch_op.drop_column('is_late')
        batch_op.drop_column('penalty_percent')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('penalty_percent', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('is_late', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('days_late', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint('uq_memberships_circle_student_no_key', type_='unique')
        batch_op.drop_constraint('uq_memberships_circle_display_key', type_='unique')
        batch_op.drop_column('student_no_key')
        batch_op.drop_column('is_identity_locked')
        batch_op.drop_column('display_key')

    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('penalty_percent', sa.Float(), nullable=False, server_default='0'))
        batch_op.drop_column('is_penalty_waived')

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.drop_column('timezone')

    with op.batch_alter_table('extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extensions_student_id'))

    op.drop_table('extensions')
    with op.batch_alter_table('extension_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_extension_changes_assignment')

    op.drop_table('extension_changes')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_target')
        batch_op.drop_index(batch_op.f('ix_audit_events_org_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_circle_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table('registration_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_requests_email'))

    op.drop_table('registration_requests')


_APPEND_ONLY_DDL = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events WHEN NOT (NEW.actor_id IS NULL"
        " AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor_label IS OLD.actor_label"
        " AND NEW.action IS OLD.action AND NEW.target_type IS OLD.target_type AND NEW.target_id IS OLD.target_id"
        " AND NEW.target_label IS OLD.target_label AND NEW.circle_id IS OLD.circle_id AND NEW.org_id IS OLD.org_id"
        " AND NEW.ip IS OLD.ip AND NEW.user_agent IS OLD.user_agent AND NEW.details IS OLD.details)"
        " BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
}

#: memberships whose display name no longer holds a place in the circle (lms.circles: left, rejected)
_NAMELESS_STATUSES = ("left", "rejected")


def _normalize_identities():
    """Student numbers as now stored (normalize_number; empty is NULL), their comparison keys
    (number_key) and display keys, before the uniqueness constraints. Where two members of a circle already share one, the earliest member
    keeps it: the later one's number is cleared (staff set it again) and their name holds no key."""
    bind = op.get_bind()
    memberships = sa.table(
        "memberships", sa.column("id", sa.Integer), sa.column("circle_id", sa.Integer),
        sa.column("status", sa.String), sa.column("display_name", sa.String),
        sa.column("student_no", sa.String), sa.column("student_no_key", sa.String),
        sa.column("display_key", sa.String),
    )
    rows = bind.execute(sa.select(memberships).order_by(memberships.c.id)).all()
    number_keys: set[tuple[int, str]] = set()
    keys: set[tuple[int, str]] = set()
    for row in rows:
        number = normalize_number(row.student_no)
        number_no_key = number_key(number)
        if number_no_key is not None and (row.circle_id, number_no_key) in number_keys:
            number = number_no_key = None
        if number_no_key is not None:
            number_keys.add((row.circle_id, number_no_key))
        key = None
        if row.status not in _NAMELESS_STATUSES:
            key = comparison_key(row.display_name)[:100] or None
            if key is not None and (row.circle_id, key) in keys:
                key = None
            if key is not None:
                keys.add((row.circle_id, key))
        if (number, number_no_key, key) != (row.student_no, row.student_no_key, row.display_key):
            bind.execute(memberships.update().where(memberships.c.id == row.id)
                         .values(student_no=number, student_no_key=number_no_key, display_key=key))
