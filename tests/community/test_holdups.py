"""Hold-ups in community health: registration and attendance targets, hold-up badges, through the pages."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from challenges.holdups.models import Note
from community import jobs
from community.models import Badge, EngagementTarget
from community.services import recognition
from tests.conftest import login
from tests.factories import ChallengeFactory, UserFactory
from tests.holdups.conftest import make_holdup


def target_row(html, label):
    """The cells of the targets table's row for `label`, as text."""
    row = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(label) + r"</th>(.*?)</tr>", html, re.S)
    assert row, f"no target row for {label}"
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]


REGISTRATIONS = "Hold-up registrations (seats and waitlist)"
ATTENDANCE = "Hold-up attendance (registered members who took part on the board)"


@pytest.fixture
def holdup_with_people(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "HOLDUP_NOTE_PACE_SECONDS", 0)
    challenge, holdup = make_holdup(capacity=2, moderation_policy="post")
    ana, ben, cy = (UserFactory(username=name) for name in ("ana", "ben", "cy"))
    for person in (ana, ben, cy):  # cy lands on the waitlist
        response = login(app.test_client(), person).post(f"/challenges/{challenge.slug}/register", data={"accept_norms": "y"})
        assert response.status_code == 303
    return challenge, holdup, ana, ben, cy


def run_session(app, challenge, holdup, ana, ben):
    """Ana posts a note; Ben's only note is hidden by the facilitator; Cy, on the waitlist, cannot write."""
    clock.freeze(clock.aware(holdup.starts_at))
    owner = login(app.test_client(), challenge.owner)
    slug = challenge.slug
    assert owner.post(f"/challenges/{slug}/live/console", data={"action": "start", "from_step": "0"}).status_code == 303
    for step in (1, 2):  # pitch, questions → diverge
        owner.post(f"/challenges/{slug}/live/console", data={"action": "next", "from_step": str(step)})
    assert login(app.test_client(), ana).post(f"/challenges/{slug}/live/notes", data={"body": "Salads by bike"}).status_code == 303
    assert login(app.test_client(), ben).post(f"/challenges/{slug}/live/notes", data={"body": "Buy my course"}).status_code == 303
    note_id = db.session.scalar(select(Note.id).where(Note.challenge_id == challenge.id, Note.author_id == ben.id))
    assert owner.post(f"/challenges/{slug}/live/notes/{note_id}/status", data={"status": "hidden"}).status_code == 303


def test_holdup_targets_are_set_on_the_plan_and_shown_with_progress(app, holdup_with_people):
    challenge, holdup, ana, ben, _cy = holdup_with_people
    owner = login(app.test_client(), challenge.owner)
    plan = owner.get(f"/challenges/{challenge.slug}/plan").get_data(as_text=True)
    assert REGISTRATIONS in plan and "who only listened" in plan  # the attendance definition is on the form
    due = (clock.now().date() + timedelta(days=30)).isoformat()
    form = {"goal": "Help Lina launch her salad bar", "groups": "cooks", "registrations_value": "4",
            "registrations_due": due, "attendance_value": "2", "attendance_due": due}
    refused = owner.post(f"/challenges/{challenge.slug}/plan", data={**form, "attendance_value": "2.5"})
    assert refused.status_code == 422 and "Count members in whole numbers." in refused.get_data(as_text=True)
    assert owner.post(f"/challenges/{challenge.slug}/plan", data=form).status_code == 302

    before = owner.get(f"/challenges/{challenge.slug}/insights").get_data(as_text=True)
    assert target_row(before, REGISTRATIONS)[:2] == ["4", "3"]  # two seats and one on the waitlist
    assert target_row(before, ATTENDANCE)[:2] == ["2", "—"]  # nothing to count before the session
    assert "Kindling keeps no attendance list" in before

    run_session(app, challenge, holdup, ana, ben)
    after = owner.get(f"/challenges/{challenge.slug}/insights").get_data(as_text=True)
    attendance = target_row(after, ATTENDANCE)
    assert attendance[:2] == ["2", "1"]  # Ben's hidden note does not make him an attendee
    assert attendance[-1] == "50 % 50 %"
    assert target_row(after, REGISTRATIONS)[-1] == "75 % 75 %"


def test_holdup_targets_are_not_offered_on_other_challenges(app, session):
    challenge = ChallengeFactory()
    owner = login(app.test_client(), challenge.owner)
    assert REGISTRATIONS not in owner.get(f"/challenges/{challenge.slug}/plan").get_data(as_text=True)
    due = (clock.now().date() + timedelta(days=30)).isoformat()
    response = owner.post(f"/challenges/{challenge.slug}/plan", data={
        "goal": "More ideas", "ideas_value": "10", "ideas_due": due,
        "registrations_value": "4", "registrations_due": due})
    assert response.status_code == 302
    saved = session.scalars(select(EngagementTarget.metric).where(EngagementTarget.challenge_id == challenge.id))
    assert list(saved) == ["ideas"]


def test_holdup_badges_are_awarded_once_and_shown_on_profiles(app, holdup_with_people):
    challenge, holdup, ana, ben, cy = holdup_with_people
    jobs.recognise()
    assert not recognition.badges_of(ana.id)  # registering is not taking part
    run_session(app, challenge, holdup, ana, ben)
    jobs.recognise()
    jobs.recognise()
    held = select(Badge.user_id, Badge.kind).where(Badge.kind.like("holdup-%"))
    assert sorted(db.session.execute(held).all()) == sorted(
        [(ana.id, "holdup-participant"), (challenge.owner.id, "holdup-facilitator")])
    visitor = app.test_client()
    profile = visitor.get(f"/users/{ana.username}").get_data(as_text=True)
    assert profile.count("Hold-up participant") == 1
    assert "Hold-up participant" not in visitor.get(f"/users/{ben.username}").get_data(as_text=True)
    assert "Hold-up facilitator" in visitor.get(f"/users/{challenge.owner.username}").get_data(as_text=True)


def test_taking_part_in_a_holdup_counts_toward_contributor_of_the_month(app, holdup_with_people):
    challenge, holdup, ana, ben, _cy = holdup_with_people
    run_session(app, challenge, holdup, ana, ben)
    month = date(clock.now().year, clock.now().month, 1)
    parts = recognition.scores(challenge.id, month)
    assert parts[ana.id]["holdups"] == 1
    assert ben.id not in parts  # a hidden note earns nothing
    owner = login(app.test_client(), challenge.owner)
    assert "per hold-up taken part in" in owner.get(f"/challenges/{challenge.slug}/insights").get_data(as_text=True)
