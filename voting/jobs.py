"""Periodic voting work, run by a scheduler (cron or rq-scheduler) through rq or `flask voting tick`.

Jobs take ids (these take none) and are idempotent: a second run finds nothing left to do.
"""
from app import scheduler
from voting.services import anomalies, dots, periodic, supports


def tick():
    """Ladders started, deadlines applied, hot rescored, anomalies flagged."""
    periodic.tick()


def detect_anomalies():
    anomalies.detect_anomalies()


def recount():
    supports.recount_supports(fix=True)
    dots.recount_dots()


def schedule():
    """Called from create_app: idempotent, as the scheduler keeps one entry per job."""
    scheduler.every(600, tick)
