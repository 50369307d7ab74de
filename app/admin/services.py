"""Granting and revoking site-wide roles."""
from sqlalchemy import func, or_, select

from app import permissions, signals
from app.auth.models import User
from app.auth.services import count_admins, username_key
from app.extensions import db

ROLES = ("moderator", "admin")
USERS_PER_PAGE = 50


class RoleError(ValueError):
    pass


def set_role(actor, user, role, granted):
    permissions.require(permissions.can_manage_roles(actor))
    if role not in ROLES:
        raise RoleError(f"Unknown role “{role}”.")
    if role == "admin" and not granted and user.is_admin and count_admins() <= 1:
        raise RoleError("Kindling needs at least one admin: grant the role to someone else first.")
    before = list(user.roles)
    setattr(user, f"is_{role}", granted)
    db.session.flush()
    signals.roles_changed.send(user, user_id=user.id, actor_id=actor.id, before=before, after=list(user.roles))
    return user


def list_users(query, page):
    """One page of members, matched on username, name or e-mail."""
    statement = select(User).order_by(User.is_admin.desc(), User.is_moderator.desc(), User.username_key)
    query = (query or "").strip()
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                User.username_key.like(f"%{username_key(query)}%"),
                func.lower(User.display_name).like(pattern),
                User.email.like(pattern),
            )
        )
    return db.paginate(statement, page=page, per_page=USERS_PER_PAGE, error_out=False)
