"""Who is told: the one function every event goes through.

`notify` drops the actor (nobody hears about their own actions) and anyone
who may no longer see the content (app.permissions), stores one in-app
notification each, moves the stored unread count, and records an e-mail for
those who want this kind immediately. Digests pick up the rest later.
"""
from sqlalchemy import select, update

from app import clock, jobs, permissions
from app.auth.models import User
from app.extensions import db
from notifications.models import Notification, OutgoingEmail
from notifications.services.kinds import KINDS, preferences_for

MESSAGE_MAX = 1000


def notify(user_ids, kind, message, *, url="", idea=None, challenge=None, actor_id=None):
    """Tell each member in `user_ids`; returns the notifications created."""
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
    created = []
    for user in users:
        created.append(Notification(
            user_id=user.id, kind=kind, message=message[:MESSAGE_MAX], url=url or "",
            idea_id=idea.id if idea is not None else None,
            challenge_id=challenge.id if challenge is not None else None,
            created_at=now, delivery=deliveries[user.id],
        ))
    db.session.add_all(created)
    db.session.flush()
    bump_unread([user.id for user in users])
    for notification in created:
        if notification.delivery == "immediately":
            email_now(notification)
    return created


def bump_unread(user_ids, by=1):
    db.session.execute(
        update(User).where(User.id.in_(user_ids))
        .values(unread_notifications=User.unread_notifications + by)
        .execution_options(synchronize_session=False)
    )


def email_now(notification):
    from notifications import jobs as notification_jobs

    email = OutgoingEmail(user_id=notification.user_id, key=f"notification:{notification.id}",
                          kind="immediately", created_at=clock.now())
    db.session.add(email)
    db.session.flush()
    notification.email_id = email.id
    jobs.enqueue(notification_jobs.send_email, email.id)
    return email
