"""community insights (issue 12): idea facts summed per day, duration buckets for exact medians

Revision ID: 0011
Revises: 0009

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('community_fact_days',
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('ideas', sa.Integer(), nullable=False),
    sa.Column('supporters', sa.Integer(), nullable=False),
    sa.Column('milestone', sa.Integer(), nullable=False),
    sa.Column('shortlisted', sa.Integer(), nullable=False),
    sa.Column('selected', sa.Integer(), nullable=False),
    sa.Column('builds_on', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope_id', 'day', name=op.f('pk_community_fact_days'))
    )
    op.create_table('community_speed_buckets',
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('low', sa.Float(), nullable=False),
    sa.Column('high', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('scope_id', 'metric', 'day', 'bucket', name=op.f('pk_community_speed_buckets'))
    )
    # Filled by the next run of the rollup job for the recent days; `flask insights rebuild` fills them all.


def downgrade():
    op.drop_table('community_speed_buckets')
    op.drop_table('community_fact_days')
