"""Personal API tokens (api_tokens: hashed, scoped, expiring, revocable; issue 15)

Revision ID: dffb3908eb01
Revises: 48a5d8b2dc7b
Create Date: 2026-11-30 05:55:41.449426

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = 'dffb3908eb01'
down_revision = '48a5d8b2dc7b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('expires_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')
