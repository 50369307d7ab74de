"""Periodic community work. Jobs take no arguments and are idempotent: a second run changes nothing."""
from app.scheduler import every
from community.services import rollups


def rollup():
    """Roll up every day not rolled up yet (before today), the last days again, and days reported dirty."""
    rollups.run_incremental()


def schedule():
    every(600, rollup)
