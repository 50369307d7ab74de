"""Who is told: the one function every event goes through.

`notify` drops the actor (nobody hears about their own actions) and anyone
who may no longer see the content (app.permissions), stores one in-app
notification each, moves the stored unread count, and records an e-mail for
those who want this kind immediately. Digests pick up the rest later.
"""
from sqlalchemy import bindparam, insert, select, update

from app import clock, jobs, permissions
from app.auth.models import User
from app.extensions import db
from notifications.models import Notification, OutgoingEmail
from notifications.services.kinds import KINDS, preferences_for

MESSAGE_MAX = 1000


def notify(user_ids, kind, message, *, url="", idea=None, challenge=None, actor_id=None):
    """Tell each member in `user_ids`; returns the ids of the notifications created."""
    assert kind in KINDS, kind
    user_ids = {uid for uid in user_ids if uid and uid != actor_id}
    if not user_ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id)).all()
    if idea is not None and challenge is None:
        from challenges.models import Challenge

        challenge = db.session.get(Challenge, idea.challenge_id)
    users = [user for user in users if permissions.may_hear_about(user, idea=idea, challenge=challenge)]
    if not users:
        return []
    deliveries = preferences_for([user.id for user in users], kind)
    now = clock.now()
    # One multi-row INSERT however many are told (a followed challenge may have thousands of followers);
    # rows come back in any order, so SQLite batches them too: each names its member.
    ids = dict(db.session.execute(
        insert(Notification.__table__).returning(Notification.user_id, Notification.id),
        [dict(user_id=user.id, kind=kind, message=message[:MESSAGE_MAX], url=url or "",
              idea_id=idea.id if idea is not None else None,
              challenge_id=challenge.id if challenge is not None else None,
              count=1, created_at=now, read_at=None, delivery=deliveries[user.id], email_id=None)
         for user in users],
    ).all())
    bump_unread(list(ids))
    email_now({user_id: ids[user_id] for user_id in ids if deliveries[user_id] == "immediately"})
    return sorted(ids.values())


def bump_unread(user_ids, by=1):
    db.session.execute(
        update(User).where(User.id.in_(user_ids))
        .values(unread_notifications=User.unread_notifications + by)
        .execution_options(synchronize_session=False)
    )


def email_now(notification_ids):
    """`notification_ids`: {member id: notification id}. One e-mail row and one send job each, in one INSERT each."""
    from notifications import jobs as notification_jobs

    if not notification_ids:
        return []
    now = clock.now()
    emails = dict(db.session.execute(
        insert(OutgoingEmail.__table__).returning(OutgoingEmail.user_id, OutgoingEmail.id),
        [dict(user_id=user_id, key=f"notification:{notification_id}", kind="immediately", created_at=now,
              skipped=False, subject="", last_error="") for user_id, notification_id in notification_ids.items()],
    ).all())
    table = Notification.__table__
    db.session.execute(  # one executemany
        table.update().where(table.c.id == bindparam("notification_id")).values(email_id=bindparam("new_email_id")),
        [dict(notification_id=notification_ids[user_id], new_email_id=email_id) for user_id, email_id in emails.items()],
    )
    jobs.enqueue_many(notification_jobs.send_email, [(email_id,) for email_id in sorted(emails.values())])
    return sorted(emails.values())
