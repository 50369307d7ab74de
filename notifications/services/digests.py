"""Digests: the notifications a member chose to read daily or weekly, in one e-mail at their local morning.

A member's morning is DIGEST_HOUR in their own time zone (the profile
setting; UTC when they chose none), and the period a digest covers (the
day, or the ISO week starting on Monday) is counted in that zone too. One
digest per member per period is keyed in `outgoing_emails.key`: two
scheduler ticks at once create one. A digest carries what arrived before
its morning; what came later waits for the next one.

Each tick works out, per time zone in use (a few hundred at most, not one
per member), which periods are due there, then asks SQL for the members of
those zones who have something waiting and no digest for the period yet,
DIGEST_BATCH at a time; a full batch enqueues the next one.
"""
from datetime import UTC

from sqlalchemy import String, cast, exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app import clock, jobs
from app.extensions import db
from challenges.holdups.models import MemberTimeZone
from challenges.holdups.services.zones import zone
from notifications.models import Notification, OutgoingEmail

DIGEST_HOUR = 8  # in the member's own time zone
WEEKLY_DAY = 0  # Monday
DIGEST_BATCH = 2000  # members per job; a full batch enqueues the next


def due_periods(local):
    """(delivery, period key, cutoff) for the digests due at the local time `local`.

    A digest carries what arrived before its morning (the cutoff); what comes later in the day waits
    for the next one, even when this one goes late (the scheduler was down at DIGEST_HOUR).
    """
    if local.hour < DIGEST_HOUR:
        return []
    cutoff = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0).astimezone(UTC)
    periods = [("daily", local.strftime("%Y-%m-%d"), cutoff)]
    if local.weekday() == WEEKLY_DAY:
        year, week, _ = local.isocalendar()
        periods.append(("weekly", f"{year}-W{week:02d}", cutoff))
    return periods


def due_zones(now):
    """{(delivery, period, cutoff): [stored zone names]} due at `now`; None stands for members without one (UTC).

    One entry per UTC offset and local date in use, a few dozen, however many members there are.
    """
    stored = db.session.scalars(select(MemberTimeZone.time_zone).distinct()).all()
    due = {}
    for name in [None, *stored]:
        local = now.astimezone(zone(name) if name else UTC)  # an unknown name counts as UTC, like on pages
        for period in due_periods(local):
            due.setdefault(period, []).append(name)
    return due


def collect_digests(now=None, batch=DIGEST_BATCH):
    """Create the due digests (each once) and enqueue their sending; returns the new e-mail ids."""
    from notifications import jobs as notification_jobs

    now = now or clock.now()
    created, full = [], False
    for (delivery, period, cutoff), names in due_zones(now).items():
        waiting = _waiting_members(delivery, period, names, cutoff, batch)
        full = full or len(waiting) == batch
        if not waiting:
            continue
        # Set-based: one INSERT for the batch's e-mails (a row another tick made meanwhile is skipped),
        # one UPDATE handing each member's waiting items to their digest, one INSERT for the send jobs.
        made = _insert_once(waiting, delivery, period, now)
        if not made:
            continue
        email_ids = [email_id for email_id, _user_id in made]
        db.session.execute(
            update(Notification)
            .where(Notification.user_id.in_([user_id for _email_id, user_id in made]), Notification.delivery == delivery,
                   Notification.email_id.is_(None), Notification.created_at <= cutoff)
            .values(email_id=select(OutgoingEmail.id).where(OutgoingEmail.key == _key_sql(delivery, period))
                    .scalar_subquery())
            .execution_options(synchronize_session=False)
        )
        jobs.enqueue_many(notification_jobs.send_email, [(email_id,) for email_id in email_ids])
        created += email_ids
    db.session.flush()
    if full:
        jobs.enqueue(notification_jobs.collect_digests)  # the rest of the morning, right after this commits
    return created


def _key_sql(delivery, period):
    """The digest's `outgoing_emails.key` for the notification row's member, in SQL."""
    return literal(f"digest:{delivery}:", String) + cast(Notification.user_id, String) + literal(f":{period}", String)


def _waiting_members(delivery, period, names, cutoff, limit):
    """Members in the zones `names` with digest items waiting and no digest for `period` yet (one query)."""
    member_zone = MemberTimeZone.time_zone
    in_zones = [member_zone.in_([name for name in names if name])] if any(names) else []
    if None in names:
        in_zones.append(member_zone.is_(None))
    # Members who have this period's digest already are left out in SQL, not in a loop.
    return db.session.scalars(
        select(Notification.user_id).distinct()
        .outerjoin(MemberTimeZone, MemberTimeZone.user_id == Notification.user_id)
        .where(Notification.delivery == delivery, Notification.email_id.is_(None), Notification.created_at <= cutoff,
               or_(*in_zones), ~exists().where(OutgoingEmail.key == _key_sql(delivery, period)))
        .order_by(Notification.user_id).limit(limit)
    ).all()


def _insert_once(user_ids, delivery, period, now):
    """(e-mail id, member id) of the digest rows made, in one INSERT; a key that exists already is skipped
    (another tick made it: what it carries is that tick's)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutgoingEmail)
    return [tuple(row) for row in db.session.execute(
        insert.values([dict(user_id=user_id, key=f"digest:{delivery}:{user_id}:{period}", kind=delivery,
                            created_at=now, skipped=False, subject="", last_error="") for user_id in user_ids])
        .on_conflict_do_nothing().returning(OutgoingEmail.id, OutgoingEmail.user_id)
    ).all()]
