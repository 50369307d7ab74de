"""The one place that decides who may see or do what.

Every function takes the acting user first; an anonymous visitor is passed
as Flask-Login's AnonymousUserMixin (or None) and is treated the same.
"""


def _member(user):
    return user is not None and getattr(user, "is_authenticated", False)


def is_admin(user):
    return _member(user) and user.is_admin


def is_site_moderator(user):
    return _member(user) and (user.is_moderator or user.is_admin)


def can_manage_roles(user):
    return is_admin(user)


def can_edit_profile(user, profile_owner):
    return _member(user) and user.id == profile_owner.id
