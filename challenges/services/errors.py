"""Refusals of the challenges feature: one base error carrying a message for people and the form field."""


class ChallengeError(ValueError):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class PhaseError(ChallengeError):
    pass


class NormsNotAccepted(ChallengeError):
    pass


class StatusError(ChallengeError):
    pass


def require(allowed, message="You are not allowed to do that."):
    if not allowed:
        raise PermissionError(message)
