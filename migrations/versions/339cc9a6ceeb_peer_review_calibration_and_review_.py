"""Peer review: calibration (example videos the teacher scores, students' practice reviews, two
settings) and per-student extensions of the review window (issue 13)

Revision ID: 339cc9a6ceeb
Revises: 34b9dd6cc82b
Create Date: 2026-11-30 05:02:32.493088

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = '339cc9a6ceeb'
down_revision = '34b9dd6cc82b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('peer_review_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('criterion_scores', sa.JSON(), nullable=False),
    sa.Column('teacher_comment', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_peer_review_examples_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_peer_review_examples_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_peer_review_examples_media_id_media'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_review_examples'))
    )

    with op.batch_alter_table('peer_review_examples', schema=None) as batch_op:
        batch_op.create_index('ix_peer_review_examples_assignment', ['assignment_id', 'position'], unique=False)

    op.create_table('peer_review_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('closes_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_peer_review_extensions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_peer_review_extensions_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_peer_review_extensions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_review_extensions')),
    sa.UniqueConstraint('assignment_id', 'user_id', name=op.f('uq_peer_review_extensions_assignment_id'))
    )

    op.create_table('peer_practice_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('example_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('criterion_scores', sa.JSON(), nullable=False),
    sa.Column('overall_comment', sa.Text(), nullable=False),
    sa.Column('started_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['example_id'], ['peer_review_examples.id'], name=op.f('fk_peer_practice_reviews_example_id_peer_review_examples'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_peer_practice_reviews_reviewer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_practice_reviews')),
    sa.UniqueConstraint('example_id', 'reviewer_id', name=op.f('uq_peer_practice_reviews_example_id'))
    )

    with op.batch_alter_table('peer_practice_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_practice_reviews_reviewer_id'), ['reviewer_id'], unique=False)

    with op.batch_alter_table('peer_review_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calibration_required', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('weight_by_accuracy', sa.Boolean(), nullable=False, server_default=sa.false()))

    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table('peer_review_settings', schema=None) as batch_op:
        batch_op.drop_column('weight_by_accuracy')
        batch_op.drop_column('calibration_required')

    with op.batch_alter_table('peer_practice_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_practice_reviews_reviewer_id'))
    op.drop_table('peer_practice_reviews')
    op.drop_table('peer_review_extensions')
    with op.batch_alter_table('peer_review_examples', schema=None) as batch_op:
        batch_op.drop_index('ix_peer_review_examples_assignment')
    op.drop_table('peer_review_examples')
