"""The rules of hold-ups, one module per concern.

Like every service, these take the acting user, check app.permissions,
change rows and stored counts in one transaction, flush and signal; they
never commit. A broken rule raises HoldupError with a message for people
(and the form field it concerns); PermissionError means 403.
"""
from challenges.holdups.services.common import HoldupError, get_holdup, registration_of  # noqa: F401
