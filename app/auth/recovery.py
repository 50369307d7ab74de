"""Sessions and passwords: ending sessions, changing a password, resetting it by e-mail.

Services flush; the caller commits. Reset links are signed tokens naming the
account and its session generation: using one bumps the generation, so a link
works once, and any log-out or password change also retires links sent before.
"""
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import jobs
from app.auth import jobs as auth_jobs
from app.auth.models import User
from app.auth.passwords import password_problem
from app.auth.services import AccountError, find_login
from app.extensions import db
from app.mail import send_mail

RESET_SALT = "kindling.password-reset"


def change_password(user, current_password, new_password):
    if not user.check_password(current_password):
        raise AccountError("current_password", "That is not your current password.")
    _set_password(user, new_password)


def _set_password(user, new_password):
    problem = password_problem(new_password, username=user.username, email=user.email)
    if problem:
        raise AccountError("password", problem)
    user.set_password(new_password)
    user.end_sessions()
    db.session.flush()


def request_password_reset(login, site_url):
    """Queue a reset link for the account named by `login`, if there is one.

    Says nothing either way: the caller shows the same answer whatever happens."""
    user = find_login(login)
    if user is not None:
        jobs.enqueue(auth_jobs.send_password_reset, user.id, site_url)


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def reset_token(user):
    return _serializer().dumps([user.id, user.session_generation])


def user_for_reset_token(token):
    """The account a valid, unused, unexpired link names, or None."""
    try:
        user_id, generation = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(generation, int) or not 0 < user_id < 2**31:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.session_generation == generation else None


def reset_password(token, new_password):
    user = user_for_reset_token(token)
    if user is None:
        raise AccountError("password", "This link has expired or was already used. Ask for a new one.")
    _set_password(user, new_password)
    return user


def send_reset_link(user_id, site_url):
    """The job's work: e-mail a fresh link (valid for PASSWORD_RESET_MAX_AGE seconds)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    link = f"{site_url.rstrip('/')}/password/reset/{reset_token(user)}"
    send_mail(
        user.email,
        "Reset your Kindling password",
        f"Hello {user.name},\n\nsomeone (hopefully you) asked to reset the password of your Kindling account "
        f"“{user.username}”. Choose a new one here within {minutes} minutes:\n\n{link}\n\n"
        "The link works once. If you did not ask for it, ignore this message: your password stays as it is.\n",
    )
