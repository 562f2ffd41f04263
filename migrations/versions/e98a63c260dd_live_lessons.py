"""Live lessons (issue 14): the lesson, its room (messages, hands, polls and votes, sanctions), attendance
rows and replay views

Revision ID: e98a63c260dd
Revises: ace5a205f795
Create Date: 2026-11-30 05:25:40.249876

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = 'e98a63c260dd'
down_revision = 'ace5a205f795'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('live_lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('expected_minutes', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('scheduled', 'live', 'reconnecting', 'ended', 'cancelled', name='live_lesson_state', native_enum=False, length=20), nullable=False),
    sa.Column('ingest', sa.Enum('browser', 'rtmp', name='live_ingest_kind', native_enum=False, length=15), nullable=True),
    sa.Column('went_live_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('ended_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('reconnecting_since', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('grace_seconds', sa.Integer(), nullable=False),
    sa.Column('stream_key_hash', sa.String(length=64), nullable=True),
    sa.Column('stream_key_set_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('stream_path', sa.String(length=64), nullable=False),
    sa.Column('reminder_minutes', sa.Integer(), nullable=False),
    sa.Column('reminded_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('announced_live_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('late_after_minutes', sa.Integer(), nullable=False),
    sa.Column('present_min_percent', sa.Integer(), nullable=False),
    sa.Column('slow_mode_seconds', sa.Integer(), nullable=False),
    sa.Column('all_muted', sa.Boolean(), nullable=False),
    sa.Column('likes', sa.Integer(), nullable=False),
    sa.Column('replay_media_id', sa.Integer(), nullable=True),
    sa.Column('replay_state', sa.String(length=20), nullable=True),
    sa.Column('gradebook_assignment_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_live_lessons_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_live_lessons_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['gradebook_assignment_id'], ['assignments.id'], name=op.f('fk_live_lessons_gradebook_assignment_id_assignments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replay_media_id'], ['media.id'], name=op.f('fk_live_lessons_replay_media_id_media'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_lessons')),
    sa.UniqueConstraint('stream_path', name=op.f('uq_live_lessons_stream_path'))
    )
    with op.batch_alter_table('live_lessons', schema=None) as batch_op:
        batch_op.create_index('ix_live_lessons_circle_starts', ['circle_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_live_lessons_remind', ['state', 'reminded_at', 'starts_at'], unique=False)

    op.create_table('live_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('left_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['lesson_id'], ['live_lessons.id'], name=op.f('fk_live_attendance_lesson_id_live_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_attendance_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_attendance'))
    )
    with op.batch_alter_table('live_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_live_attendance_lesson_user', ['lesson_id', 'user_id'], unique=False)
        batch_op.create_index('ix_live_attendance_user', ['user_id'], unique=False)

    op.create_table('live_hands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('lowered_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('lowered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['lesson_id'], ['live_lessons.id'], name=op.f('fk_live_hands_lesson_id_live_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lowered_by_id'], ['users.id'], name=op.f('fk_live_hands_lowered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_hands_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_hands'))
    )
    with op.batch_alter_table('live_hands', schema=None) as batch_op:
        batch_op.create_index('ix_live_hands_lesson', ['lesson_id', 'lowered_at'], unique=False)

    op.create_table('live_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('offset_seconds', sa.Float(), nullable=True),
    sa.Column('deleted_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('pinned_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('answered_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_live_messages_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_live_messages_deleted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lesson_id'], ['live_lessons.id'], name=op.f('fk_live_messages_lesson_id_live_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_messages_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_messages'))
    )
    with op.batch_alter_table('live_messages', schema=None) as batch_op:
        batch_op.create_index('ix_live_messages_lesson_created', ['lesson_id', 'created_at'], unique=False)

    op.create_table('live_polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('closed_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_live_polls_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lesson_id'], ['live_lessons.id'], name=op.f('fk_live_polls_lesson_id_live_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_polls'))
    )
    with op.batch_alter_table('live_polls', schema=None) as batch_op:
        batch_op.create_index('ix_live_polls_lesson', ['lesson_id'], unique=False)

    op.create_table('live_replay_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('watched', sa.JSON(), nullable=False),
    sa.Column('seconds_watched', sa.Float(), nullable=False),
    sa.Column('last_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['live_lessons.id'], name=op.f('fk_live_replay_views_lesson_id_live_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_replay_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_replay_views')),
    sa.UniqueConstraint('lesson_id', 'user_id', name=op.f('uq_live_replay_views_lesson_id'))
    )
    op.create_table('live_sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('lifted_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_live_sanctions_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lesson_id'], ['live_lessons.id'], name=op.f('fk_live_sanctions_lesson_id_live_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_sanctions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_sanctions'))
    )
    with op.batch_alter_table('live_sanctions', schema=None) as batch_op:
        batch_op.create_index('ix_live_sanctions_lesson_user', ['lesson_id', 'user_id'], unique=False)

    op.create_table('live_poll_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['live_polls.id'], name=op.f('fk_live_poll_votes_poll_id_live_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_poll_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_poll_votes')),
    sa.UniqueConstraint('poll_id', 'user_id', name=op.f('uq_live_poll_votes_poll_id'))
    )


def downgrade():
    op.drop_table('live_poll_votes')
    with op.batch_alter_table('live_sanctions', schema=None) as batch_op:
        batch_op.drop_index('ix_live_sanctions_lesson_user')

    op.drop_table('live_sanctions')
    op.drop_table('live_replay_views')
    with op.batch_alter_table('live_polls', schema=None) as batch_op:
        batch_op.drop_index('ix_live_polls_lesson')

    op.drop_table('live_polls')
    with op.batch_alter_table('live_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_live_messages_lesson_created')

    op.drop_table('live_messages')
    with op.batch_alter_table('live_hands', schema=None) as batch_op:
        batch_op.drop_index('ix_live_hands_lesson')

    op.drop_table('live_hands')
    with op.batch_alter_table('live_attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_live_attendance_user')
        batch_op.drop_index('ix_live_attendance_lesson_user')

    op.drop_table('live_attendance')
    with op.batch_alter_table('live_lessons', schema=None) as batch_op:
        batch_op.drop_index('ix_live_lessons_remind')
        batch_op.drop_index('ix_live_lessons_circle_starts')

    op.drop_table('live_lessons')
