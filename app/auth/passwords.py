"""Password rules: long enough, not on a list of common passwords."""
from functools import cache

from app.limits import PASSWORD_MAX, PASSWORD_MIN


@cache
def _common_passwords():
    # zxcvbn ships the 30,000 most common passwords from real leaks.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password, *, username="", email=""):
    """A sentence saying what is wrong with `password`, or None."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    lowered = password.lower()
    if lowered in _common_passwords():
        return "This password is among the most common ones; choose another."
    if username and lowered == username.lower():
        return "Your password must not be your username."
    if email and lowered == email.lower():
        return "Your password must not be your e-mail address."
    if len(set(password)) < 3:
        return "Use more than two different characters."
    return None
