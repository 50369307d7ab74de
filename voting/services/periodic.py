"""Everything periodic in voting, in one idempotent call."""
from app import clock
from voting.services.anomalies import detect_anomalies
from voting.services.milestones import start_ladders, tick_milestones
from voting.services.rankings import rescore_hot


def tick(now=None):
    """Everything periodic, idempotent: ladders started, deadlines applied, hot rescored, anomalies flagged."""
    now = now or clock.now()
    started = start_ladders(now)
    expired, completed = tick_milestones(now)
    rescored = rescore_hot(now)
    anomalies = detect_anomalies(now)
    return {"started": started, "expired": expired, "completed": completed, "rescored": rescored,
            "anomalies": anomalies}
