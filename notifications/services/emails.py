"""E-mail: one message per immediate notification, or a digest; sent only by jobs.

Each message has a stable Message-ID (from its row), plain text and HTML
from templates, and List-Unsubscribe / List-Unsubscribe-Post (RFC 8058)
headers whose link works without logging in (a signed, expiring token).
The row is marked sent only after the SMTP server accepted the message.
"""
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app import clock, mail, permissions
from app.auth.models import User
from app.extensions import db
from challenges.models import Challenge, Idea
from notifications.models import Notification, OutgoingEmail
from notifications.services.kinds import KINDS

UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 90  # a link in a three-month-old e-mail still works
_SALT = "kindling-unsubscribe"


def site_url():
    return current_app.config.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/")


def absolute(path):
    return path if path.startswith(("http://", "https://")) else site_url() + (path or "/")


# Unsubscribe tokens


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user_id, kinds):
    return _serializer().dumps({"u": user_id, "k": sorted(kinds)})


def read_unsubscribe_token(token):
    """(user_id, kinds), or None for a forged, mangled or expired token."""
    try:
        data = _serializer().loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), list):
        return None
    return data["u"], [kind for kind in data["k"] if kind in KINDS]


# Sending


def send(email_id):
    """Send one e-mail row once. Idempotent: a sent (or skipped) row is left alone."""
    email = db.session.get(OutgoingEmail, email_id)
    if email is None or email.sent_at is not None or email.skipped:
        return False
    user = db.session.get(User, email.user_id)
    items = _still_visible(user, db.session.scalars(
        select(Notification).where(Notification.email_id == email.id).order_by(Notification.id.desc())
    ).all())
    if not items:
        email.skipped = True  # everything it would say is hidden from them now: never send it empty
        return False
    message = build_message(email, user, items)
    mail.deliver(message)
    email.sent_at = clock.now()
    email.subject = message["Subject"]
    return True


def _still_visible(user, notifications):
    idea_ids = {n.idea_id for n in notifications if n.idea_id}
    ideas = {idea.id: idea for idea in db.session.scalars(select(Idea).where(Idea.id.in_(idea_ids)))} if idea_ids else {}
    challenge_ids = {n.challenge_id for n in notifications if n.challenge_id} | {i.challenge_id for i in ideas.values()}
    challenges = {c.id: c for c in db.session.scalars(select(Challenge).where(Challenge.id.in_(challenge_ids)))} \
        if challenge_ids else {}
    kept = []
    for notification in notifications:
        idea = ideas.get(notification.idea_id)
        challenge = challenges.get(idea.challenge_id if idea else notification.challenge_id)
        if permissions.may_hear_about(user, idea=idea, challenge=challenge):
            kept.append(notification)
    return kept


def group_by_idea(notifications, ideas=None):
    """[(heading, [notifications])], newest group first, newest first inside; items about no idea stand alone."""
    groups, index = [], {}
    for notification in sorted(notifications, key=lambda n: (n.created_at, n.id), reverse=True):
        if notification.idea_id:
            key = notification.idea_id
            if key in index:
                groups[index[key]][1].append(notification)
                continue
            index[key] = len(groups)
        groups.append((notification.idea_id, [notification]))
    return groups


def build_message(email, user, items):
    config = current_app.config
    kinds = {n.kind for n in items} if email.kind == "immediately" else {
        kind for kind, delivery in _deliveries(user.id).items() if delivery == email.kind}
    token = unsubscribe_token(user.id, kinds or {n.kind for n in items})
    unsubscribe = absolute(f"/notifications/unsubscribe/{token}")
    ideas = _idea_titles(items)
    groups = group_by_idea(items)
    if email.kind == "immediately":
        subject = _subject(items[0].message)
    else:
        period = "daily" if email.kind == "daily" else "weekly"
        subject = f"Your {period} Kindling digest: {len(items)} update{'s' if len(items) != 1 else ''}"
    context = dict(user=user, email=email, items=items, groups=groups, ideas=ideas, unsubscribe_url=unsubscribe,
                   settings_url=absolute("/settings/notifications"), absolute=absolute, subject=subject,
                   kind_labels={k: label for k, (label, _d) in KINDS.items()})
    template = "message" if email.kind == "immediately" else "digest"
    # Long lines rather than folding: List-Unsubscribe must stay one plain <URL>, never an encoded word.
    message = EmailMessage(policy=email_policy.default.clone(max_line_length=998))
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = user.email
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id(email)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template(f"notifications/email/{template}.txt", **context))
    message.add_alternative(render_template(f"notifications/email/{template}.html", **context), subtype="html")
    return message


def message_id(email):
    """The same on every try, so a receiving server can drop a message that arrives twice."""
    domain = urlsplit(site_url()).hostname or "localhost"
    return f"<kindling.email.{email.id}.{email.key.replace(':', '.')}@{domain}>"


def _subject(text):
    return text if len(text) <= 120 else text[:117] + "…"


def _deliveries(user_id):
    from notifications.services.kinds import preferences_of

    return preferences_of(user_id)


def _idea_titles(items):
    idea_ids = {n.idea_id for n in items if n.idea_id}
    if not idea_ids:
        return {}
    return dict(db.session.execute(select(Idea.id, Idea.title).where(Idea.id.in_(idea_ids))).all())
