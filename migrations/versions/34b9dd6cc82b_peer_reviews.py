"""Peer reviews (issue 13): the reviews with their comments at moments of the video, and when the
reviews were released to their authors

Revision ID: 34b9dd6cc82b
Revises: 869af788af96
Create Date: 2026-11-30 02:20:23.420632

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = '34b9dd6cc82b'
down_revision = '869af788af96'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('peer_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('criterion_scores', sa.JSON(), nullable=False),
    sa.Column('overall_comment', sa.Text(), nullable=False),
    sa.Column('started_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('draft_saved_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('submitted_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.Column('reopened_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('helpful', sa.Boolean(), nullable=True),
    sa.Column('flagged_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('flag_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['allocation_id'], ['review_allocations.id'], name=op.f('fk_peer_reviews_allocation_id_review_allocations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['users.id'], name=op.f('fk_peer_reviews_reopened_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_reviews')),
    sa.UniqueConstraint('allocation_id', name=op.f('uq_peer_reviews_allocation_id'))
    )
    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('at_seconds', sa.Float(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['peer_reviews.id'], name=op.f('fk_review_comments_review_id_peer_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.create_index('ix_review_comments_review', ['review_id', 'at_seconds'], unique=False)

    with op.batch_alter_table('peer_review_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_at', lms.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('released_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('announced_at', lms.core.types.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_peer_review_settings_released_by_id_users'), 'users', ['released_by_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('peer_review_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_peer_review_settings_released_by_id_users'), type_='foreignkey')
        batch_op.drop_column('announced_at')
        batch_op.drop_column('released_by_id')
        batch_op.drop_column('released_at')

    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_review_comments_review')

    op.drop_table('review_comments')
    op.drop_table('peer_reviews')
