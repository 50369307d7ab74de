from datetime import timedelta

from app import clock, signals
from app.extensions import db
from tests.factories import UserFactory
from tests.voting.helpers import supporters, voting_idea
from voting.models import IdeaMilestone, SupportAnomaly
from voting.services import anomalies, supports


def new_accounts(n):
    return [UserFactory(created_at=clock.now() - timedelta(days=1)) for _ in range(n)]


def test_a_burst_from_new_accounts_sharing_addresses_is_flagged_once(session):
    idea, calm = voting_idea(), voting_idea()
    for n, member in enumerate(new_accounts(12)):
        supports.support_idea(member, idea, idea.challenge, ip="203.0.113.7" if n < 6 else f"198.51.100.{n}")
    for n, member in enumerate(new_accounts(12)):
        supports.support_idea(member, calm, calm.challenge, ip=f"192.0.2.{n}")  # all different addresses
    heard = []
    with signals.vote_anomaly.connected_to(lambda sender, **kw: heard.append(kw)):
        made = anomalies.detect_anomalies()
    assert [h["idea_id"] for h in heard] == [idea.id] and "shared addresses" in heard[0]["note"]
    anomaly = db.session.get(SupportAnomaly, made[0])
    assert len(made) == 1 and anomaly.idea_id == idea.id
    assert (anomaly.supports, anomaly.shared_ip_supports, anomaly.status) == (12, 6, "open")
    assert anomalies.detect_anomalies() == []  # not flagged twice for the same burst
    assert [a.idea_id for a, _ in anomalies.open_anomalies()] == [idea.id]


def test_established_accounts_do_not_look_like_a_burst(session):
    idea = voting_idea()
    for member in [UserFactory(created_at=clock.now() - timedelta(days=400)) for _ in range(12)]:
        supports.support_idea(member, idea, idea.challenge, ip="203.0.113.7")
    assert anomalies.detect_anomalies() == []


def test_addresses_are_stored_only_as_keyed_hashes(session):
    idea, member = voting_idea(), UserFactory()
    supports.support_idea(member, idea, idea.challenge, ip="203.0.113.7")
    from voting.models import Support

    stored = db.session.get(Support, (member.id, idea.id)).ip_hash
    assert stored and "203.0.113.7" not in stored and stored == supports.ip_fingerprint("203.0.113.7")


def test_recount_command_reports_and_repairs_drift(app, session):
    idea, fine = voting_idea(), voting_idea()
    for member in supporters(3):
        supports.support_idea(member, idea, idea.challenge)
    idea.supporter_count = 7  # drift, as a bug or a manual edit would cause
    db.session.flush()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["voting", "recount", "--check"])
    assert f"idea {idea.id}: stored 7, rows 3" in result.output and "1 supporter count(s) found" in result.output
    result = runner.invoke(args=["voting", "recount"])
    assert "1 supporter count(s) repaired" in result.output
    db.session.expire_all()
    assert idea.supporter_count == 3 and fine.supporter_count == 0
    assert "0 supporter count(s) repaired" in runner.invoke(args=["voting", "recount"]).output


def test_tick_command_runs_the_periodic_work(app, session):
    idea = voting_idea()
    supports.support_idea(UserFactory(), idea, idea.challenge)
    clock.freeze(clock.now() + timedelta(days=61))
    result = app.test_cli_runner().invoke(args=["voting", "tick"])
    assert "expired 1" in result.output, result.output
    db.session.expire_all()
    assert idea.status == "expired"
    assert db.session.get(IdeaMilestone, idea.id).reached == 0
