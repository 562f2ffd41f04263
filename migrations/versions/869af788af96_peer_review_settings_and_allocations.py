"""Peer review (issue 13): per-assignment settings and the review allocations of each round

Revision ID: 869af788af96
Revises: 4bb9c56ac4af
Create Date: 2026-11-30 02:03:05.388716

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = '869af788af96'
down_revision = '4bb9c56ac4af'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('peer_review_settings',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('reviews_per_submission', sa.Integer(), nullable=False),
    sa.Column('opens_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('closes_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('anonymity', sa.Enum('double_blind', 'reviewers_named', 'authors_named', name='peer_review_anonymity', native_enum=False, length=23), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=True),
    sa.Column('comment_min_length', sa.Integer(), nullable=False),
    sa.Column('min_timestamped_comments', sa.Integer(), nullable=False),
    sa.Column('score_share', sa.Float(), nullable=False),
    sa.Column('reviewing_share', sa.Float(), nullable=False),
    sa.Column('non_submitters_review', sa.Boolean(), nullable=False),
    sa.Column('separate_groups', sa.Boolean(), nullable=False),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('last_round_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('shortfall', sa.JSON(), nullable=False),
    sa.Column('idle', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_peer_review_settings_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubrics.id'], name=op.f('fk_peer_review_settings_rubric_id_rubrics'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_peer_review_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_peer_review_settings'))
    )
    op.create_table('review_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('assigned', 'draft', 'submitted', 'reassigned', name='review_allocation_state', native_enum=False, length=18), nullable=False),
    sa.Column('is_by_hand', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('reassigned_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_review_allocations_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_allocations_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_review_allocations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_review_allocations_reviewer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_review_allocations_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_allocations')),
    sa.UniqueConstraint('assignment_id', 'reviewer_id', 'author_id', name=op.f('uq_review_allocations_assignment_id'))
    )
    with op.batch_alter_table('review_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_review_allocations_author', ['assignment_id', 'author_id'], unique=False)
        batch_op.create_index('ix_review_allocations_reviewer', ['reviewer_id', 'assignment_id'], unique=False)



def downgrade():
    with op.batch_alter_table('review_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_review_allocations_reviewer')
        batch_op.drop_index('ix_review_allocations_author')

    op.drop_table('review_allocations')
    op.drop_table('peer_review_settings')
