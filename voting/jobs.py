"""Periodic voting work, run by a scheduler (cron or rq-scheduler) through rq or `flask voting tick`.

Jobs take ids (these take none) and are idempotent: a second run finds nothing left to do.
"""
from app.scheduler import every
from voting import services


def tick():
    """Ladders started, deadlines applied, hot rescored, anomalies flagged."""
    services.tick()


def detect_anomalies():
    services.detect_anomalies()


def recount():
    services.recount_supports(fix=True)
    services.recount_dots()


every(600, tick)
