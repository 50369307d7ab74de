"""Periodic challenge work: phases move when their dates pass."""
from app import scheduler
from challenges.services import challenges as challenge_phases


def tick_phases():
    """Move challenges whose phase dates have passed."""
    challenge_phases.tick_phases()


def schedule():
    """Called from create_app: idempotent, as the scheduler keeps one entry per job."""
    scheduler.every(60, tick_phases)
