"""Periodic community work. Jobs take no arguments and are idempotent: a second run changes nothing."""
from app.scheduler import every
from community.services import recognition, rollups


def rollup():
    """Roll up every day not rolled up yet (before today), the last days again, and days reported dirty."""
    rollups.run_incremental()


def recognise():
    """Award the badges earned and not yet held; refresh this month's contributor proposals."""
    recognition.award_badges()
    recognition.propose_all()


def schedule():
    every(600, rollup)
    every(3600, recognise)
