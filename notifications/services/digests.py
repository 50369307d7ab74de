"""Digests: the notifications a member chose to read daily or weekly, in one e-mail at their local morning.

Members have no time zone on their profile yet, so "local morning" is
DIGEST_HOUR UTC. One digest per member per day (or ISO week) is keyed in
`outgoing_emails.key`: two scheduler ticks at once create one.
"""
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app import clock, jobs
from app.extensions import db
from notifications.models import Notification, OutgoingEmail

DIGEST_HOUR = 8  # UTC
WEEKLY_DAY = 0  # Monday


def due_periods(now):
    """(delivery, period key) pairs whose digest is due at `now`."""
    if now.hour < DIGEST_HOUR:
        return []
    periods = [("daily", now.strftime("%Y-%m-%d"))]
    if now.weekday() == WEEKLY_DAY:
        year, week, _ = now.isocalendar()
        periods.append(("weekly", f"{year}-W{week:02d}"))
    return periods


def collect_digests(now=None):
    """Create the due digests (each once) and enqueue their sending; returns the new e-mail ids."""
    from notifications import jobs as notification_jobs

    now = now or clock.now()
    created = []
    for delivery, period in due_periods(now):
        waiting = db.session.scalars(
            select(Notification.user_id).where(Notification.delivery == delivery, Notification.email_id.is_(None),
                                               Notification.created_at <= now).distinct()
        ).all()
        for user_id in waiting:
            email_id = _insert_once(user_id, delivery, f"digest:{delivery}:{user_id}:{period}", now)
            if email_id is None:
                continue  # this period's digest exists already; what came since waits for the next one
            db.session.execute(
                update(Notification)
                .where(Notification.user_id == user_id, Notification.delivery == delivery,
                       Notification.email_id.is_(None), Notification.created_at <= now)
                .values(email_id=email_id).execution_options(synchronize_session=False)
            )
            jobs.enqueue(notification_jobs.send_email, email_id)
            created.append(email_id)
    db.session.flush()
    return created


def _insert_once(user_id, delivery, key, now):
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutgoingEmail)
    return db.session.scalar(
        insert.values(user_id=user_id, key=key, kind=delivery, created_at=now, skipped=False, subject="",
                      last_error="").on_conflict_do_nothing().returning(OutgoingEmail.id)
    )
