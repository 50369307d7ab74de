"""Periodic hold-up jobs, registered by create_app through schedule()."""
from app.scheduler import every
from challenges.holdups.services import live


def end_forgotten_sessions():
    """End sessions left running long after their planned end (idempotent)."""
    live.end_forgotten_sessions()


def schedule():
    every(600, end_forgotten_sessions)
