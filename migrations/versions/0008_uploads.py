"""uploads (issue 15 item 15): member avatars and challenge covers

Revision ID: 0008
Revises: 0006

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_file', sa.String(length=80), nullable=True))
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_file', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_column('cover_file')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('avatar_file')
