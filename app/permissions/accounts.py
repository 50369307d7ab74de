"""Accounts: what a member may still do while suspended."""

__all__ = ["can_appeal"]


def can_appeal(user, author_id):
    """The author appeals a decision on their own item, suspended or not: suspension leaves reading and appealing."""
    return user is not None and getattr(user, "is_authenticated", False) and user.id == author_id
