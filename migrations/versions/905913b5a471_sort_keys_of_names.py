"""Sort keys of names: users.sort_key, memberships.sort_key and circles.sort_key (lms.core.collation.sort_key).

Lists of people and classes order by the key, so Chinese names sort by pinyin among the Latin ones instead of
by code point, and numbers by value (Class 2 before Class 10). The upgrade writes the key of every existing
name, a thousand rows at a time.

Revision ID: 905913b5a471
Revises: e4a3b0f88505
Create Date: 2026-12-01 14:06:11.218222

"""
from alembic import op
import sqlalchemy as sa

from lms.core.collation import sort_key


# revision identifiers, used by Alembic.
revision = '905913b5a471'
down_revision = 'e4a3b0f88505'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.String(length=200), nullable=False, server_default=''))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.String(length=200), nullable=False, server_default=''))

    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.String(length=200), nullable=False, server_default=''))

    _write_keys('users', 'name')
    _write_keys('memberships', 'display_name')
    _write_keys('circles', 'name')


def downgrade():
    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.drop_column('sort_key')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sort_key')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('sort_key')


def _write_keys(table_name: str, name_column: str) -> None:
    bind = op.get_bind()
    table = sa.table(table_name, sa.column('id', sa.Integer), sa.column(name_column, sa.String),
                     sa.column('sort_key', sa.String))
    update = (table.update().where(table.c.id == sa.bindparam('row_id'))
              .values(sort_key=sa.bindparam('key')))
    last = 0
    while True:
        rows = bind.execute(sa.select(table.c.id, table.c[name_column]).where(table.c.id > last)
                            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(update, [{'row_id': row_id, 'key': sort_key(name)} for row_id, name in rows])
        last = rows[-1][0]
