"""The settings every new class of an organization takes, and which its classes may not change.

org_class_defaults: one row per organization (none: the site's defaults, nothing locked); `locked` is the
list of locked setting names (lms.orgs.class_defaults.ClassSetting).

Revision ID: a840fe1a02ed
Revises: 1ea715dbf413
Create Date: 2026-12-01 03:15:36.791193

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = 'a840fe1a02ed'
down_revision = '1ea715dbf413'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('org_class_defaults',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('join_policy', sa.Enum('open', 'invite', 'code', 'approval', name='org_default_join_policy', native_enum=False, length=16), nullable=False),
    sa.Column('require_real_name', sa.Boolean(), nullable=False),
    sa.Column('require_student_no', sa.Boolean(), nullable=False),
    sa.Column('who_may_post', sa.Enum('everyone', 'staff', name='org_default_who_may_post', native_enum=False, length=16), nullable=False),
    sa.Column('chat_enabled', sa.Boolean(), nullable=True),
    sa.Column('file_quota_bytes', sa.BigInteger(), nullable=True),
    sa.Column('word_list', sa.Text(), nullable=False),
    sa.Column('locked', sa.JSON(), nullable=False),
    sa.Column('updated_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_org_class_defaults_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_org_class_defaults'))
    )


def downgrade():
    op.drop_table('org_class_defaults')
