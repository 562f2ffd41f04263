"""Circle groups: a circle's students in named groups, one group per person (issue 13: peer review keeps
group mates apart)

Revision ID: ace5a205f795
Revises: 339cc9a6ceeb
Create Date: 2026-11-30 05:07:29.857085

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = 'ace5a205f795'
down_revision = '339cc9a6ceeb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('circle_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_key', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_circle_groups_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_circle_groups_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_groups')),
    sa.UniqueConstraint('circle_id', 'name_key', name='uq_circle_groups_circle_name_key'),
    sa.UniqueConstraint('id', 'circle_id', name='uq_circle_groups_id_circle')
    )
    op.create_table('group_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id', 'circle_id'], ['circle_groups.id', 'circle_groups.circle_id'], name='fk_group_members_group_circle', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_members')),
    sa.UniqueConstraint('circle_id', 'user_id', name='uq_group_members_circle_user')
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index('ix_group_members_group', ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_members_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_user_id'))
        batch_op.drop_index('ix_group_members_group')
    op.drop_table('group_members')
    op.drop_table('circle_groups')
