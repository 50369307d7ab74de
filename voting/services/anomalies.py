"""Vote integrity: supports that look wrong (bursts from new accounts, shared addresses) reported for moderation."""
from datetime import timedelta

from sqlalchemy import func, select

from app import clock, signals
from app.auth.models import User
from app.extensions import db
from challenges.models import Idea
from voting.models import Support, SupportAnomaly

# Anomalies: a burst of supports on one idea from recently created accounts
# sharing addresses.
ANOMALY_WINDOW = timedelta(hours=1)
ANOMALY_NEW_ACCOUNT_AGE = timedelta(days=7)
ANOMALY_MIN_SUPPORTS = 10
ANOMALY_MIN_SHARED = 5


def detect_anomalies(now=None):
    """Flag ideas with a burst of supports from new accounts sharing addresses. Returns new anomaly ids."""
    now = now or clock.now()
    since = now - ANOMALY_WINDOW
    rows = db.session.execute(
        select(Support.idea_id, Support.ip_hash, func.count())
        .join(User, User.id == Support.user_id)
        .where(Support.created_at >= since, User.created_at >= now - ANOMALY_NEW_ACCOUNT_AGE,
               Support.merged_from_id.is_(None))
        .group_by(Support.idea_id, Support.ip_hash)
    ).all()
    totals, shared = {}, {}
    for idea_id, ip_hash, count in rows:
        totals[idea_id] = totals.get(idea_id, 0) + count
        if ip_hash is not None and count > 1:
            shared[idea_id] = shared.get(idea_id, 0) + count
    suspicious = [i for i, total in totals.items()
                  if total >= ANOMALY_MIN_SUPPORTS and shared.get(i, 0) >= ANOMALY_MIN_SHARED]
    if not suspicious:
        return []
    flagged = set(db.session.scalars(
        select(SupportAnomaly.idea_id).where(SupportAnomaly.idea_id.in_(suspicious),
                                             SupportAnomaly.detected_at >= since)
    ))
    made = []
    for idea_id in sorted(set(suspicious) - flagged):
        anomaly = SupportAnomaly(idea_id=idea_id, detected_at=now, window_start=since, supports=totals[idea_id],
                                 shared_ip_supports=shared[idea_id])
        db.session.add(anomaly)
        made.append(anomaly)
    db.session.flush()
    for anomaly in made:
        note = (f"{anomaly.supports} supports within an hour from accounts under "
                f"{ANOMALY_NEW_ACCOUNT_AGE.days} days old, {anomaly.shared_ip_supports} of them from shared addresses.")
        signals.vote_anomaly.send(anomaly, idea_id=anomaly.idea_id, note=note)
    return [a.id for a in made]


def open_anomalies(limit=50):
    """For the moderation queue: open anomalies with their ideas, newest first."""
    return db.session.execute(
        select(SupportAnomaly, Idea).join(Idea, Idea.id == SupportAnomaly.idea_id)
        .where(SupportAnomaly.status == "open").order_by(SupportAnomaly.detected_at.desc()).limit(limit)
    ).all()
