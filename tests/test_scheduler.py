from datetime import timedelta

from app import clock, scheduler
from app.extensions import db
from tests.factories import ChallengeFactory


def test_periodic_jobs_run_when_due_and_move_phases(session):
    challenge = ChallengeFactory(voting_at=clock.now() - timedelta(minutes=5),
                                 phase_changed_at=clock.now() - timedelta(days=1))
    last_runs = {}
    due = scheduler.run_due(last_runs)
    assert "challenges.jobs:tick_phases" in due
    db.session.refresh(challenge)
    assert challenge.phase == "voting"
    assert scheduler.run_due(last_runs) == []  # not due again within its interval
    later = clock.now() + timedelta(minutes=2)
    assert "challenges.jobs:tick_phases" in scheduler.run_due(last_runs, now=later)
