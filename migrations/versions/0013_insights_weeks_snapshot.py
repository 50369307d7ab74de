"""community insights (issue 12): members summed per week, the job's snapshot of the current day

Revision ID: 0013
Revises: 0011

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('community_member_weeks',
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ideas', sa.Integer(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('supports', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_community_member_weeks_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scope_id', 'week', 'user_id', name=op.f('pk_community_member_weeks'))
    )
    with op.batch_alter_table('community_rollup_state') as batch_op:
        batch_op.add_column(sa.Column('snapshot_at', sa.DateTime(timezone=True), nullable=True))
    # The next run of the job fills every week (it finds the table empty) and sets snapshot_at; until
    # then the dashboards read the current day live, as before.


def downgrade():
    with op.batch_alter_table('community_rollup_state') as batch_op:
        batch_op.drop_column('snapshot_at')
    op.drop_table('community_member_weeks')
