"""Account rules. Services flush; the caller commits."""
import re
import secrets
import unicodedata
from functools import cache

from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock, jobs, signals
from app.auth import jobs as auth_jobs
from app.auth.models import User
from app.auth.passwords import password_problem
from app.extensions import db
from app.limits import USERNAME_MAX, USERNAME_MIN
from app.mail import send_mail
from app.tags import tags_named

_USERNAME_PATTERN = re.compile(r"^\w[\w.-]*$")


class AccountError(ValueError):
    """A problem with one field, named so the form can show it beside it."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def username_key(username):
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def normalize_email(email):
    return email.strip().lower()


def username_problem(username):
    username = unicodedata.normalize("NFKC", username)
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        return f"Use {USERNAME_MIN} to {USERNAME_MAX} characters."
    if not _USERNAME_PATTERN.match(username):
        return "Use only letters, digits, dots, dashes and underscores, starting with a letter or digit."
    return None


def register_user(username, email, password):
    """Create a member account, or raise AccountError naming the bad field."""
    username = unicodedata.normalize("NFKC", username.strip())
    email = normalize_email(email)
    problem = username_problem(username)
    if problem:
        raise AccountError("username", problem)
    if db.session.scalar(select(User.id).where(User.username_key == username_key(username))):
        raise AccountError("username", "This username is taken; try another.")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError("email", "An account already uses this e-mail address. Log in instead?")
    problem = password_problem(password, username=username, email=email)
    if problem:
        raise AccountError("password", problem)
    user = User(username=username, username_key=username_key(username), email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    signals.user_registered.send(user, user_id=user.id)
    jobs.enqueue(auth_jobs.send_welcome_email, user.id)
    return user


def find_login(login):
    """The user named by a username or an e-mail address, or None."""
    login = login.strip()
    return db.session.scalar(
        select(User).where(or_(User.username_key == username_key(login), User.email == normalize_email(login)))
    )


def authenticate(login, password):
    user = find_login(login)
    if user is None:
        # As slow as a wrong password, so the answer's timing does not tell who has an account.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password):
        return None
    user.last_login_at = clock.now()
    return user


@cache
def _dummy_hash():
    return generate_password_hash(secrets.token_hex(16))


def end_sessions(user):
    """Log out: every session and remember-me cookie issued to `user` so far stops working."""
    user.end_sessions()
    db.session.flush()


def get_by_username(username):
    return db.session.scalar(select(User).where(User.username_key == username_key(username)))


def update_profile(user, *, display_name, bio, skills, interests):
    user.display_name = display_name
    user.bio = bio
    user.skills = tags_named(skills)
    user.interests = tags_named(interests)
    db.session.flush()
    return user


def count_admins():
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(True)))


def create_admin(username, email, password):
    """The CLI's `users create-admin`: a new admin, or promote an existing account."""
    user = get_by_username(username)
    if user is None:
        user = register_user(username, email, password)
    user.is_admin = True
    user.is_moderator = True
    db.session.flush()
    return user


def welcome_member(user_id):
    """Greet a new member once; `welcomed_at` makes a second run a no-op."""
    user = db.session.get(User, user_id)
    if user is None or user.welcomed_at is not None:
        return
    send_mail(
        user.email,
        "Welcome to Kindling",
        f"Hello {user.name},\n\nyour Kindling account “{user.username}” is ready. "
        "Browse the open challenges, join a hold-up, and share your ideas.\n",
    )
    user.welcomed_at = clock.now()
