"""What hold-ups hear from other features, connected from create_app through connect()."""
from app import signals
from app.extensions import db


def refresh_reports_of_promoted_idea(sender, idea_id, before=None, after=None, **_):
    """A promoted note's idea changed status (hidden, merged…): reports link to it, so their boards refresh."""
    from sqlalchemy import or_, select, update

    from challenges.holdups.models import Cluster, Holdup, Note

    challenge_ids = set(db.session.scalars(select(Note.challenge_id).where(Note.idea_id == idea_id)))
    challenge_ids |= set(db.session.scalars(select(Cluster.challenge_id).where(Cluster.idea_id == idea_id)))
    if challenge_ids:
        db.session.execute(update(Holdup).where(or_(*(Holdup.challenge_id == cid for cid in challenge_ids)))
                           .values(version=Holdup.version + 1).execution_options(synchronize_session=False))


def connect():
    signals.idea_status_changed.connect(refresh_reports_of_promoted_idea)
