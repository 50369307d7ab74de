"""Kinds of notification, their defaults, and each member's preferences."""
from sqlalchemy import select

from app.extensions import db, insert_if_absent
from notifications.models import DELIVERIES, NotificationPreference

# kind -> (what the member reads on the settings page, default delivery).
# Important events arrive at once; activity on followed things waits for the daily digest.
KINDS = {
    "decisions": ("Moderation decisions on my ideas, comments and account", "immediately"),
    "idea_updates": ("My ideas: milestones, reviews, status changes, owner feedback", "immediately"),
    "comments": ("New comments on my ideas", "daily"),
    "replies": ("Replies to my comments", "immediately"),
    "following": ("Activity on challenges and ideas I follow", "daily"),
    "account": ("My account: roles granted", "immediately"),
    "moderation_queue": ("New items in my moderation queue (moderators)", "immediately"),
    "holdups": ("Hold-ups: registration, waitlist, reminders, reports, messages", "immediately"),
}
DELIVERY_LABELS = {
    "immediately": "Immediately",
    "daily": "Daily digest",
    "weekly": "Weekly digest",
    "off": "Off (in-app only)",
}


class PreferenceError(ValueError):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


def preferences_of(user_id):
    """{kind: delivery} for every kind, defaults filled in."""
    chosen = dict(db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.delivery)
        .where(NotificationPreference.user_id == user_id)
    ).all())
    return {kind: chosen.get(kind, default) for kind, (_label, default) in KINDS.items()}


def preferences_for(user_ids, kind):
    """{user_id: delivery} for one kind and many members (one query)."""
    default = KINDS[kind][1]
    chosen = dict(db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.delivery)
        .where(NotificationPreference.user_id.in_(list(user_ids)), NotificationPreference.kind == kind)
    ).all()) if user_ids else {}
    return {uid: chosen.get(uid, default) for uid in user_ids}


def set_preferences(user, choices):
    """`choices`: {kind: delivery}. Unknown kinds or deliveries are refused with the field named."""
    for kind, delivery in choices.items():
        if kind not in KINDS:
            raise PreferenceError("Unknown kind of notification.", kind)
        if delivery not in DELIVERIES:
            raise PreferenceError("Choose immediately, daily digest, weekly digest or off.", kind)
    for kind, delivery in choices.items():
        _set(user.id, kind, delivery)
    db.session.flush()


def turn_off(user_id, kinds):
    """Unsubscribe: no more e-mail for these kinds (in-app stays)."""
    for kind in kinds:
        if kind in KINDS:
            _set(user_id, kind, "off")
    db.session.flush()


def _set(user_id, kind, delivery):
    if not insert_if_absent(NotificationPreference, user_id=user_id, kind=kind, delivery=delivery):
        row = db.session.get(NotificationPreference, (user_id, kind))
        row.delivery = delivery
