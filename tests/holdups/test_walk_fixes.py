"""What an outside walk through a hold-up found: each a page a member or the owner reads."""
import re
from datetime import timedelta

from icalendar import Calendar

from app import clock
from challenges.holdups.models import Note
from challenges.holdups.services import live
from challenges.holdups.services import registration as reg
from tests.factories import UserFactory
from tests.holdups.conftest import make_holdup
from tests.holdups.test_routes import _started, _to_step, as_user


def _flash_after(client, response):
    assert response.status_code == 303
    return client.get(response.location).get_data(as_text=True)


def _with_a_note(app, session, body):
    """A started session at its diverge step, with one note of the participant's on the board."""
    challenge, _holdup, participant, facilitator = _started(app)
    member = as_user(app, participant)
    _to_step(facilitator, challenge, 3)
    assert member.post(f"/challenges/{challenge.slug}/live/notes", data={"body": body}).status_code == 303
    return challenge, member, facilitator, session.query(Note).one()


def _one_seat_one_waiting():
    challenge, holdup = make_holdup(capacity=1)
    seated, waiting = UserFactory(), UserFactory()
    for user in (seated, waiting):
        reg.register(user, challenge, holdup, accept_norms=True)
    return challenge, holdup, seated, waiting


def test_cancelling_says_a_seat_went_to_someone_only_when_someone_was_waiting(app, session):
    challenge, _holdup, seated, waiting = _one_seat_one_waiting()
    client = as_user(app, seated)
    page = _flash_after(client, client.post(f"/challenges/{challenge.slug}/cancel"))
    assert "your seat went to the next person waiting" in page

    alone = as_user(app, waiting)  # now seated, and nobody waits behind them
    page = _flash_after(alone, alone.post(f"/challenges/{challenge.slug}/cancel"))
    assert "your seat is free for someone else" in page and "next person waiting" not in page


def test_the_calendar_event_and_the_markdown_report_say_hold_up_once(app, session):
    challenge, holdup = make_holdup(title="Hold-up: how might the bakery give away its bread?")
    data = app.test_client().get(f"/challenges/{challenge.slug}/holdup.ics").data
    summary = str(Calendar.from_ical(data).walk("VEVENT")[0]["SUMMARY"])
    assert summary == "Hold-up: how might the bakery give away its bread?"

    clock.freeze(clock.aware(holdup.starts_at))
    as_user(app, challenge.owner).post(f"/challenges/{challenge.slug}/live/console", data={"action": "start", "from_step": "0"})
    as_user(app, challenge.owner).post(f"/challenges/{challenge.slug}/live/console", data={"action": "end", "from_step": "1"})
    markdown = app.test_client().get(f"/challenges/{challenge.slug}/report.md").get_data(as_text=True)
    assert markdown.startswith("# Report: Hold-up: how might the bakery give away its bread?\n")

    other, _ = make_holdup(title="How might the bakery give away its bread?")
    data = app.test_client().get(f"/challenges/{other.slug}/holdup.ics").data
    assert str(Calendar.from_ical(data).walk("VEVENT")[0]["SUMMARY"]).startswith("Hold-up: How might")


def test_the_report_shows_notes_as_the_board_does_and_the_markdown_keeps_its_shape(app, session):
    challenge, member, facilitator, _note = _with_a_note(
        app, session, "A **bread fridge** in every building\nand a rota to fill it")
    live.agenda(challenge.id)[0].title = "Pitch | with questions"
    session.flush()
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "end", "from_step": "3"})

    report = member.get(f"/challenges/{challenge.slug}/report").get_data(as_text=True)
    assert "<strong>bread fridge</strong>" in report and "**bread fridge**" not in report

    markdown = member.get(f"/challenges/{challenge.slug}/report.md").get_data(as_text=True)
    assert markdown.startswith(f"# Hold-up report: {challenge.title}\n")
    assert "- A **bread fridge** in every building\n  and a rota to fill it — " in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| Pitch"))
    assert row.startswith("| Pitch \\| with questions | ") and len(re.findall(r"(?<!\\)\|", row)) == 4


def test_a_paused_step_over_its_time_says_so(app, session):
    challenge, _holdup, participant, facilitator = _started(app)
    clock.freeze(clock.now() + timedelta(minutes=20))  # the 15-minute pitch is 5 minutes over
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "pause", "from_step": "1"})
    board = as_user(app, participant).get(f"/challenges/{challenge.slug}/live").get_data(as_text=True)
    assert re.search(r'<span class="timer-label">over time \(paused\)</span>', board)


def test_dot_and_move_controls_name_the_note_not_its_number(app, session):
    challenge, member, facilitator, note = _with_a_note(app, session, "Bread fridge in every building")
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "3"})
    facilitator.post(f"/challenges/{challenge.slug}/live/clusters", data={"name": "Fridges"})
    page = facilitator.get(f"/challenges/{challenge.slug}/live").get_data(as_text=True)
    assert "Move the note “Bread fridge in every building” to" in page and f"Move note {note.id}" not in page
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "next", "from_step": "4"})
    page = member.get(f"/challenges/{challenge.slug}/live").get_data(as_text=True)
    assert "Place a dot on the note “Bread fridge in every building”" in page
    assert "Place a dot on the cluster “Fridges”" in page and f"note {note.id}<" not in page


def test_the_message_audience_is_a_labelled_group_of_radios(app, session):
    challenge, _ = make_holdup()
    page = as_user(app, challenge.owner).get(f"/challenges/{challenge.slug}/participants").get_data(as_text=True)
    assert '<label for="audience">' not in page
    assert re.search(r'<span class="label" id="audience-label">To</span>\s*'
                     r'<div class="choices" role="radiogroup" aria-labelledby="audience-label">', page)
    for text in ("Registered members", "The waitlist", "Registered and waiting"):
        assert re.search(r'<label class="check"><input[^>]*type="radio"[^>]*> ' + text + "</label>", page)


def test_a_member_still_waiting_when_the_session_starts_is_not_promised_a_seat(app, session):
    challenge, holdup, _seated, waiting = _one_seat_one_waiting()
    member = as_user(app, waiting)
    assert "You get a seat as soon as someone cancels" in member.get(f"/challenges/{challenge.slug}").get_data(
        as_text=True)
    clock.freeze(clock.aware(holdup.starts_at))
    as_user(app, challenge.owner).post(f"/challenges/{challenge.slug}/live/console",
                                       data={"action": "start", "from_step": "0"})
    page = member.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "You get a seat as soon as someone cancels" not in page
    assert "The session started before a seat came free" in page


def test_steps_the_session_never_reached_are_not_shown_as_done(app, session):
    challenge, _holdup, participant, facilitator = _started(app)
    _to_step(facilitator, challenge, 2)
    facilitator.post(f"/challenges/{challenge.slug}/live/console", data={"action": "end", "from_step": "2"})
    board = as_user(app, participant).get(f"/challenges/{challenge.slug}/live").get_data(as_text=True)
    agenda = board[board.index('<ol class="agenda-mini">'):]
    assert re.search(r'class=" agenda-done"\s*>Pitch <span class="muted">15′</span>', agenda)
    assert re.search(r'<li class=""\s*>Wrap-up <span class="muted">15′ · not run</span>', agenda)


def test_the_details_page_says_they_are_locked_once_the_session_started(app, session):
    challenge, _holdup, _participant, facilitator = _started(app)
    page = facilitator.get(f"/challenges/{challenge.slug}/holdup").get_data(as_text=True)
    assert "The session has started: its details can no longer change." in page
    assert 'name="capacity"' not in page and ">Save</button>" not in page


def test_each_save_button_of_the_agenda_says_which_step_it_saves(app, session):
    challenge, _ = make_holdup()
    page = as_user(app, challenge.owner).get(f"/challenges/{challenge.slug}/agenda").get_data(as_text=True)
    for position in range(1, 8):
        assert f'Save<span class="visually-hidden"> step {position}</span></button>' in page


def test_only_members_are_offered_a_time_zone_setting(app, session):
    challenge, _ = make_holdup()
    visitor = app.test_client().get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "(UTC)</time>" in visitor and "Change time zone" not in visitor  # it leads to a page for members only
    member = as_user(app, UserFactory()).get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert 'href="/settings/time-zone">Change time zone</a>' in member


def test_bad_minutes_on_the_console_get_the_fields_message_only(app, session):
    challenge, _holdup, _participant, facilitator = _started(app)
    console = f"/challenges/{challenge.slug}/live/console"
    refused = facilitator.post(console, data={"action": "minutes", "from_step": "1", "minutes": "500"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Add or remove at most 30 minutes." in page
    assert "Use the buttons of the console." not in page
    unknown = facilitator.post(console, data={"action": "rewind", "from_step": "1"})
    assert unknown.status_code == 422
    assert "Use the buttons of the console." in unknown.get_data(as_text=True)
