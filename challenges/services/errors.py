"""Refusals of the challenges feature: errors carrying a message for people and the form field.

They derive from app.permissions.Refused, the one base class of refused
actions: a route with a form shows the message beside the field, and the
error handler answers anything uncaught.
"""
from app.permissions import Refused


class ChallengeError(Refused):
    status = 422


class PhaseError(ChallengeError):
    pass


class NormsNotAccepted(ChallengeError):
    pass


class StatusError(ChallengeError):
    pass
