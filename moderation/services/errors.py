"""Moderation refusals: ModerationError, and AlreadyDecided when another moderator acted first."""
from app import clock
from challenges.services.errors import ChallengeError


class ModerationError(ChallengeError):
    """A decision that cannot be taken as asked: the message says why."""


class AlreadyDecided(ModerationError):
    def __init__(self, who, when):
        name = who.name if who else "Kindling (automatically)"
        stamp = clock.aware(when).strftime("%Y-%m-%d %H:%M UTC") if when else "an earlier moment"
        super().__init__(f"Already decided by {name} at {stamp}; nothing was changed.")
        self.who = who
        self.when = when
