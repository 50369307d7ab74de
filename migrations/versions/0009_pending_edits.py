"""pending edits (issue 14 item 7): an edit of an approved idea or comment waits for a moderator

Revision ID: 0009
Revises: 0008

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_edits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_kind', sa.String(length=10), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('challenge_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('tags', sa.String(length=200), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_pending_edits_author_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'],
                                name=op.f('fk_pending_edits_challenge_id_challenges'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_edits')),
        sa.UniqueConstraint('item_kind', 'item_id', name=op.f('uq_pending_edits_item_kind_item_id')),
        # Ids are never reused (SQLite would hand a decided edit's id to the next one), so a moderator's
        # form naming an edit by id and version can never approve a newer edit it did not show.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('pending_edits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_edits_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_edits_challenge_id'), ['challenge_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_edits_challenge_id'))
        batch_op.drop_index(batch_op.f('ix_pending_edits_author_id'))
    op.drop_table('pending_edits')
