"""Hold-ups through their pages, as members, the facilitator and visitors would use them."""
import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from app import clock
from challenges.holdups.models import Holdup, Note
from challenges.holdups.services import live
from challenges.holdups.services import registration as reg
from tests.conftest import login
from tests.factories import ChallengeFactory, UserFactory
from tests.holdups.conftest import make_holdup


@pytest.fixture(autouse=True)
def _no_note_pace(app, monkeypatch):
    monkeypatch.setitem(app.config, "HOLDUP_NOTE_PACE_SECONDS", 0)


def as_user(app, user):
    return login(app.test_client(), user)


def test_owner_sets_up_a_holdup_with_the_default_agenda(app, session):
    owner = UserFactory()
    challenge = ChallengeFactory(owner=owner, format="holdup")
    client = as_user(app, owner)
    page = client.get(f"/challenges/{challenge.slug}")
    assert "Set up the hold-up" in page.get_data(as_text=True)
    day = (clock.now() + timedelta(days=10)).date().isoformat()
    bad = client.post(f"/challenges/{challenge.slug}/holdup", data={
        "day": day, "at": "18:00", "time_zone": "Mars/Olympus", "duration_minutes": "120", "capacity": "15",
        "dot_budget": "3", "place": "La Ruche"})
    assert bad.status_code == 422 and "Choose one of the options for" in bad.get_data(as_text=True)
    response = client.post(f"/challenges/{challenge.slug}/holdup", data={
        "day": day, "at": "18:00", "time_zone": "America/New_York", "duration_minutes": "120", "capacity": "15",
        "dot_budget": "3", "place": "", "online_link": "javascript:alert(1)"})
    assert response.status_code == 422 and "https://" in response.get_data(as_text=True)
    response = client.post(f"/challenges/{challenge.slug}/holdup", data={
        "day": day, "at": "18:00", "time_zone": "America/New_York", "duration_minutes": "120", "capacity": "15",
        "dot_budget": "3", "place": "Community hall", "public_can_watch": "y"})
    assert response.status_code == 303
    session.expire_all()
    holdup = session.get(Holdup, challenge.id)
    assert clock.aware(holdup.starts_at).hour in (22, 23)  # 18:00 in New York, in UTC
    agenda = client.get(f"/challenges/{challenge.slug}/agenda").get_data(as_text=True)
    assert "120 minutes planned for a session of 120 minutes" in agenda
    for title in ("Pitch", "Questions", "Diverge", "Cluster", "Dot-vote", "Action plan", "Wrap-up"):
        assert f'value="{title}"' in agenda
    steps = live.agenda(challenge.id)
    response = client.post(f"/challenges/{challenge.slug}/agenda/{steps[0].id}",
                           data={f"s{steps[0].id}-title": "Pitch", f"s{steps[0].id}-minutes": "20",
                                 f"s{steps[0].id}-kind": "pitch", "action": "save"})
    assert response.status_code == 303
    assert "125 minutes planned for a session of 120 minutes: 5 minutes too many" in \
        client.get(f"/challenges/{challenge.slug}/agenda").get_data(as_text=True)
    client.post(f"/challenges/{challenge.slug}/agenda/{steps[6].id}", data={"action": "up"})
    session.expire_all()
    assert [s.title for s in live.agenda(challenge.id)][-2:] == ["Wrap-up", "Action plan"]
    member = as_user(app, UserFactory())
    assert member.post(f"/challenges/{challenge.slug}/agenda/{steps[0].id}", data={"action": "remove"}).status_code == 403


def test_registration_waitlist_and_place_shown_only_to_registered(app, session):
    challenge, holdup = make_holdup(capacity=1)
    first, second = UserFactory(), UserFactory()
    page = as_user(app, first).get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "La Ruche" not in page and "Shown to registered participants" in page
    refused = as_user(app, first).post(f"/challenges/{challenge.slug}/register", data={"credited": "y"})
    assert refused.status_code == 422 and "accept the norms" in refused.get_data(as_text=True)
    ok = as_user(app, first).post(f"/challenges/{challenge.slug}/register", data={"accept_norms": "y", "credited": "y"})
    assert ok.status_code == 303
    page = as_user(app, first).get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "La Ruche" in page and "You are registered" in page
    again = as_user(app, first).post(f"/challenges/{challenge.slug}/register", data={"accept_norms": "y"})
    assert again.status_code == 422 and "already registered" in again.get_data(as_text=True)
    client = as_user(app, second)
    client.post(f"/challenges/{challenge.slug}/register", data={"accept_norms": "y"})
    page = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "waitlist, in position <strong>1</strong>" in page and "La Ruche" not in page
    calendar = Calendar.from_ical(client.get(f"/challenges/{challenge.slug}/holdup.ics").data)
    assert "location" not in calendar.walk("VEVENT")[0]
    as_user(app, first).post(f"/challenges/{challenge.slug}/cancel")
    session.expire_all()
    assert reg.registration_of(second, challenge.id).status == "registered"
    calendar = Calendar.from_ical(client.get(f"/challenges/{challenge.slug}/holdup.ics").data)
    assert "La Ruche" in str(calendar.walk("VEVENT")[0]["location"])
    owner = as_user(app, challenge.owner)
    listing = owner.get(f"/challenges/{challenge.slug}/participants").get_data(as_text=True)
    assert second.name in listing
    sent = owner.post(f"/challenges/{challenge.slug}/participants", data={"audience": "registered", "body": "Bring pens"})
    assert sent.status_code == 303
    assert "Bring pens" in client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert as_user(app, first).get(f"/challenges/{challenge.slug}/participants").status_code == 403
    clock.freeze(clock.aware(holdup.starts_at) + timedelta(minutes=1))
    late = as_user(app, UserFactory()).post(f"/challenges/{challenge.slug}/register", data={"accept_norms": "y"})
    assert late.status_code == 422 and "closed when the session started" in late.get_data(as_text=True)


def _started(app, public=True, also=()):
    challenge, holdup = make_holdup(public_can_watch=public, moderation_policy="post")
    participant = UserFactory()
    for person in (participant, *also):
        reg.register(person, challenge, holdup, accept_norms=True)
    clock.freeze(clock.aware(holdup.starts_at))
    facilitator = as_user(app, challenge.owner)
    assert facilitator.post(f"/challenges/{challenge.slug}/live/console",
                            data={"action": "start", "from_step": "0"}).status_code == 303
    return challenge, holdup, participant, facilitator


def _to_step(client, challenge, count):
    for step in range(1, count):
        client.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": str(step)})


def test_the_console_and_bad_input_on_the_board(app, session):
    challenge, holdup, participant, facilitator = _started(app)
    member = as_user(app, participant)
    early = member.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "Too early"})
    assert early.status_code == 422
    text = early.get_data(as_text=True)
    assert "Notes are posted during the diverge step (now: Pitch)" in text and "Too early</textarea>" in text
    refused = member.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "1"})
    assert refused.status_code == 403
    assert "Only the facilitator moves the session along." in refused.get_data(as_text=True)
    _to_step(facilitator, challenge, 3)
    twice = facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "2"})
    assert twice.status_code == 303
    session.expire_all()
    assert session.get(Holdup, challenge.id).current_step == 3
    long = member.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "x" * 5000})
    assert long.status_code == 422 and "under 280 characters (this one has 5,000)" in long.get_data(as_text=True)
    control = member.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "bad\x07bell"})
    assert control.status_code == 422 and "control or invisible" in control.get_data(as_text=True)
    assert member.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "Shared fridge"}).status_code == 303
    visitor = app.test_client()
    response = visitor.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "hi"})
    assert response.status_code == 302 and "/login" in response.location
    watcher = as_user(app, UserFactory())
    refused = watcher.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "hi"})
    assert refused.status_code == 403 and "Only registered participants write on the board" in refused.get_data(as_text=True)
    board = visitor.get(f"/challenges/{challenge.slug}/live").get_data(as_text=True)
    assert "Shared fridge" in board and "Post the note" not in board
    assert session.query(Note).count() == 1


def test_private_board_and_conditional_polling(app, session, count_queries):
    other = UserFactory()
    challenge, holdup, participant, facilitator = _started(app, public=False, also=[other])
    visitor = app.test_client()
    assert visitor.get(f"/challenges/{challenge.slug}/live").status_code == 302
    assert as_user(app, UserFactory()).get(f"/challenges/{challenge.slug}/live").status_code == 403
    member = as_user(app, participant)
    first = member.get(f"/challenges/{challenge.slug}/live/board", headers={"HX-Request": "true",
                                                                          "HX-Target": "board"})
    assert first.status_code == 200 and 'id="board"' in first.get_data(as_text=True)
    assert "<html" not in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    with count_queries as counted:
        unchanged = member.get(f"/challenges/{challenge.slug}/live/board",
                               headers={"HX-Request": "true", "HX-Target": "board", "If-None-Match": etag})
    assert unchanged.status_code == 304 and counted.count == 1
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "1"})
    changed = member.get(f"/challenges/{challenge.slug}/live/board",
                         headers={"HX-Request": "true", "HX-Target": "board", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Questions" in changed.get_data(as_text=True)
    with count_queries as counted:
        member.get(f"/challenges/{challenge.slug}/live/board", headers={"HX-Request": "true", "HX-Target": "board"})
    assert counted.count <= 16
    # Another participant polling the same changed board gets the copy rendered for the first: no board queries
    # (rendering it reads the board: questions, notes, clusters, actions, the agenda, the dot round).
    other_client = as_user(app, other)
    other_client.get(f"/challenges/{challenge.slug}/live/board", headers={"HX-Request": "true", "HX-Target": "board"})
    with count_queries as counted:
        again = other_client.get(f"/challenges/{challenge.slug}/live/board",
                                 headers={"HX-Request": "true", "HX-Target": "board"})
    assert again.status_code == 200 and "Questions" in again.get_data(as_text=True)
    # Challenge, hold-up, member, registration, challenge moderators: what the viewer is.
    assert counted.count <= 5, "\n".join(counted.statements)


def test_dots_hidden_until_closed_then_report_markdown_promotion_and_follow_up(app, session):
    challenge, holdup, participant, facilitator = _started(app)
    member = as_user(app, participant)
    _to_step(facilitator, challenge, 3)
    member.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "Bread fridge in every building"})
    note = session.query(Note).one()
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "3"})
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "4"})
    for _ in range(3):
        assert member.post(f"/challenges/{challenge.slug}/live/dots",
                           data={"target_kind": "note", "target_id": note.id}).status_code == 303
    over = member.post(f"/challenges/{challenge.slug}/live/dots", data={"target_kind": "note", "target_id": note.id})
    assert over.status_code == 422 and "all 3 of your dots" in over.get_data(as_text=True)
    page = as_user(app, UserFactory()).get(f"/challenges/{challenge.slug}/live").get_data(as_text=True)
    assert "3 dots" not in page and "Totals stay hidden" in page
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "close_vote", "from_step": "5"})
    assert "3 dots" in as_user(app, UserFactory()).get(f"/challenges/{challenge.slug}/live").get_data(as_text=True)
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "5"})
    due = (clock.now() + timedelta(days=14)).date().isoformat()
    assert member.post(f"/challenges/{challenge.slug}/live/actions", data={
        "what": "Ask the bakeries", "who_id": challenge.owner_id, "due_on": due, "cluster_id": "0"}).status_code == 303
    ended = facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "end", "from_step": "6"})
    assert ended.status_code == 303 and ended.location.endswith("/report")
    assert member.post(f"/challenges/{challenge.slug}/live/notes", data={"body": "late"}).status_code == 403

    report = app.test_client().get(f"/challenges/{challenge.slug}/report").get_data(as_text=True)
    assert "Bread fridge in every building" in report and "Ask the bakeries" in report and participant.name in report
    markdown = app.test_client().get(f"/challenges/{challenge.slug}/report.md")
    assert markdown.mimetype == "text/markdown" and "## Action plan" in markdown.get_data(as_text=True)
    promoted = facilitator.post(f"/challenges/{challenge.slug}/report/promote",
                                data={"kind": "note", "target_id": note.id})
    assert promoted.status_code == 303
    session.refresh(note)
    assert note.idea_id and "Now an idea" in facilitator.get(f"/challenges/{challenge.slug}/report").get_data(as_text=True)
    assert member.post(f"/challenges/{challenge.slug}/report/promote",
                       data={"kind": "note", "target_id": note.id}).status_code == 403
    empty = facilitator.post(f"/challenges/{challenge.slug}/report/follow-up", data={"follow_up": ""})
    assert empty.status_code == 422 and "Write the follow-up first" in empty.get_data(as_text=True)
    facilitator.post(f"/challenges/{challenge.slug}/report/follow-up", data={"follow_up": "We built the fridge."})
    assert "We built the fridge." in member.get(f"/users/{participant.username}").get_data(as_text=True)


def test_board_and_report_run_a_fixed_number_of_queries(app, session, count_queries):
    from challenges.holdups.services import board

    challenge, holdup = make_holdup(moderation_policy="post")
    participant, *others = [UserFactory() for _ in range(7)]
    for person in (participant, *others):
        reg.register(person, challenge, holdup, accept_norms=True)
    clock.freeze(clock.aware(holdup.starts_at))
    live.start_session(challenge.owner, challenge, holdup)
    live.move(challenge.owner, challenge, holdup, 1, +1)
    live.move(challenge.owner, challenge, holdup, 2, +1)
    session.flush()
    member = as_user(app, participant)
    path = f"/challenges/{challenge.slug}/live/board"
    headers = {"HX-Request": "true", "HX-Target": "board"}

    def post_notes(people):
        for person in people:
            board.post_note(person, challenge, holdup, reg.registration_of(person, challenge.id), f"note by {person.id}")
        session.flush()

    post_notes(others[:1])
    with count_queries as few:
        assert member.get(path, headers=headers).status_code == 200
    post_notes(others[1:])
    with count_queries as many:
        page = member.get(path, headers=headers)
    assert page.get_data(as_text=True).count('class="note') >= 6
    assert many.count == few.count == 10, (few.count, many.count)
    # Another participant at the same version gets the board rendered for the first one (with their own token).
    other = as_user(app, others[0])
    with count_queries as shared:
        again = other.get(path, headers=headers)
    assert shared.count == 5 and again.get_data(as_text=True) .count('class="note') >= 6
    assert "\x00" not in again.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', again.get_data(as_text=True)).group(1)
    posted = other.post(f"/challenges/{challenge.slug}/live/notes",
                        data={"body": "with the shared board's token", "csrf_token": token})
    assert posted.status_code == 303
    live.end_session(challenge.owner, challenge, holdup)
    session.flush()
    with count_queries as report_queries:
        assert member.get(f"/challenges/{challenge.slug}/report").status_code == 200
    assert report_queries.count == 12, report_queries.count


def test_numbers_out_of_range_are_refused_not_crashed(app, session):
    challenge, holdup, participant, facilitator = _started(app)
    member = as_user(app, participant)
    huge = str(10**30)
    for path, data in (("live/dots", {"target_kind": "note", "target_id": huge}),
                       ("live/notes/1/move", {"cluster_id": huge}),
                       ("live/console", {"action": "next", "from_step": huge}),
                       ("live/actions", {"what": "x", "who_id": huge, "due_on": "2030-01-01", "cluster_id": huge})):
        response = member.post(f"/challenges/{challenge.slug}/{path}", data=data)
        assert response.status_code in (403, 404, 422), (path, response.status_code)
    response = facilitator.post(f"/challenges/{challenge.slug}/live/console",
                                data={"action": "minutes", "from_step": "1", "minutes": huge})
    assert response.status_code == 422 and "at most 30 minutes" in response.get_data(as_text=True)


def test_one_setup_submission_names_every_problem_beside_its_field(app, session):
    owner = UserFactory()
    challenge = ChallengeFactory(owner=owner, format="holdup")
    client = as_user(app, owner)
    yesterday = (clock.now() - timedelta(days=1)).date().isoformat()
    response = client.post(f"/challenges/{challenge.slug}/holdup", data={
        "day": yesterday, "at": "18:00", "time_zone": "Europe/Paris", "duration_minutes": "120",
        "capacity": "0",  # refused by the form
        "dot_budget": "3", "place": "", "online_link": "ftp://files.example.org",
        "facilitator": "nobody-by-that-name"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Capacity is 1 to 500 participants.", "Choose a start in the future.",
                    "The online link starts with https:// (or http://).", "No member is called “nobody-by-that-name”."):
        assert page.count(message) == 1, message
    assert session.get(Holdup, challenge.id) is None


@pytest.mark.parametrize("capacity", ["15", "0"])
def test_a_date_at_the_calendars_edge_is_refused_beside_the_day(app, session, capacity):
    owner = UserFactory()
    challenge = ChallengeFactory(owner=owner, format="holdup")
    response = as_user(app, owner).post(f"/challenges/{challenge.slug}/holdup", data={
        "day": "9999-12-31", "at": "23:30", "time_zone": "America/Los_Angeles", "duration_minutes": "120",
        "capacity": capacity, "dot_budget": "3", "place": "Community hall"})
    assert response.status_code == 422
    assert "Choose a real date, in the coming years." in response.get_data(as_text=True)


def test_a_started_session_says_so_first(app, session):
    challenge, holdup = make_holdup()
    holdup.status = "live"
    session.flush()
    response = as_user(app, challenge.owner).post(f"/challenges/{challenge.slug}/holdup", data={
        "day": "", "at": "18:00", "time_zone": "Europe/Paris", "duration_minutes": "120", "capacity": "0",
        "dot_budget": "3", "place": "Community hall"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "The session has started: its details can no longer change." in page
    assert "Capacity is 1 to 500 participants." not in page
