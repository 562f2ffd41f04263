"""The school console's kept class figures.

class_figures: one row per class whose figures a console viewer counted (lms.orgs.console.figures), with
when; counted again when older than CONSOLE_FIGURES_MAX_AGE. Losing the table loses nothing: the figures
are counted again.

Revision ID: e4a3b0f88505
Revises: a840fe1a02ed
Create Date: 2026-12-01 06:00:03.548514

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = 'e4a3b0f88505'
down_revision = 'a840fe1a02ed'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('class_figures',
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('counted_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_class_figures_circle_id_circles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('circle_id', name=op.f('pk_class_figures'))
    )


def downgrade():
    op.drop_table('class_figures')
