"""Issue 14, item 7: under pre-moderation an edit of an approved idea or comment waits for a moderator.

Everything goes through the real routes: the author edits, other members and
visitors keep seeing the approved version (idea page, challenge list, search),
the queue shows the edit, a moderator approves or rejects it.
"""
import json
import re

import pytest
from sqlalchemy import select

from app import jobs
from app.extensions import db
from challenges.models import ChallengeModerator, Comment, Idea, PendingEdit
from moderation.models import AuditEntry, ModerationCase
from notifications.models import Notification
from search import jobs as search_jobs
from search import services as search_services
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

APPROVED_TITLE = "Solar lamps on every street corner"
APPROVED_TEXT = "Cheap solar lamps clipped to existing lamp posts light the dark streets at night."
SPAM_TITLE = "Replica watches at a megasale discount"
SPAM_TEXT = "Buy replica watches at megasale prices on https://spam.example/ now, only while stocks last."


@pytest.fixture(autouse=True)
def search_index(app, tmp_path):
    """A fresh, empty whoosh index of this test's own."""
    previous = app.config["SEARCH_INDEX_DIR"], app.config.get("SEARCH_BACKEND")
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    app.config["SEARCH_BACKEND"] = "whoosh"
    with app.app_context():
        search_services.rebuild()
    yield
    app.config["SEARCH_INDEX_DIR"], app.config["SEARCH_BACKEND"] = previous


def client_for(app, user=None):
    client = app.test_client()
    return login(client, user) if user is not None else client


def settle():
    """Commit the test's own rows and run the jobs waiting for the commit (search, notifications)."""
    db.session.commit()
    jobs.dispatch()


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def search_hits(client, words, idea):
    return f'href="/ideas/{idea.id}"' in page(client, f"/search?q={words}")


def comment_found(client, words, comment):
    return f"#comment-{comment.id}" in page(client, f"/search?q={words}")


def decide(client, kind, item_id, action, **data):
    """Post a decision from the item's moderation page, with the hidden fields that page carries."""
    form = page(client, f"/moderation/items/{kind}/{item_id}")
    hidden = dict(re.findall(r'name="(case_id|edit_id|edit_version)" value="(\d+)"', form))
    return client.post(f"/moderation/items/{kind}/{item_id}/{action}", data=hidden | data)


def open_case(kind, item_id):
    return db.session.scalar(select(ModerationCase).where(
        ModerationCase.item_kind == kind, ModerationCase.item_id == item_id, ModerationCase.decided_at.is_(None)))


def messages_of(user):
    return [n.message for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


@pytest.fixture
def premoderated(session):
    """A "pre-moderate everything" challenge with an approved idea, indexed for search."""
    challenge = ChallengeFactory(moderation_policy="pre_all", is_open=True)
    author = UserFactory()
    idea = IdeaFactory(challenge=challenge, author=author, title=APPROVED_TITLE, description=APPROVED_TEXT)
    settle()
    search_jobs.index_challenge_content(challenge.id)
    return challenge, author, idea


def edit_into_spam(app, author, idea):
    response = client_for(app, author).post(f"/ideas/{idea.id}/edit", data={
        "title": SPAM_TITLE, "description": SPAM_TEXT, "tags": "watches"})
    assert response.status_code == 302
    jobs.dispatch()
    return response


def assert_public_sees_approved_version(app, challenge, idea):
    for viewer in (None, UserFactory()):
        client = client_for(app, viewer)
        idea_page = page(client, f"/ideas/{idea.id}")
        assert APPROVED_TITLE in idea_page and "megasale" not in idea_page and "waiting for a moderator" not in idea_page
        listing = page(client, f"/challenges/{challenge.slug}")
        assert APPROVED_TITLE in listing and "megasale" not in listing
        assert search_hits(client, "solar", idea) and not search_hits(client, "megasale", idea)


def test_an_approved_idea_edited_into_spam_waits_and_the_public_keeps_the_approved_text(app, session, premoderated):
    challenge, author, idea = premoderated
    edit_into_spam(app, author, idea)

    assert_public_sees_approved_version(app, challenge, idea)
    # The author sees their waiting text, with a clear notice.
    own = page(client_for(app, author), f"/ideas/{idea.id}")
    assert "Your edit is waiting for a moderator; others still see the approved version." in own
    assert SPAM_TITLE in own and "megasale prices" in own and APPROVED_TITLE in own
    # The queue shows it as an edit, with what changes.
    moderator = UserFactory(is_moderator=True)
    desk = client_for(app, moderator)
    queue = page(desk, "/moderation/")
    assert "Edit awaiting approval" in queue
    assert re.search(r"<ins>[^<]*megasale[^<]*</ins>", queue) and re.search(r"<del>[^<]*Solar[^<]*</del>", queue)
    assert "Approve edit" in queue and "Reject edit" in queue
    # The edit is in the audit log, as sent to the queue.
    held = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "edit_held", AuditEntry.item_id == idea.id))
    assert json.loads(held.after_json)["title"] == SPAM_TITLE

    response = decide(desk, "idea", idea.id, "approve_edit")
    assert response.status_code == 303
    jobs.dispatch()
    visitor = client_for(app)
    assert SPAM_TITLE in page(visitor, f"/ideas/{idea.id}")
    assert SPAM_TITLE in page(visitor, f"/challenges/{challenge.slug}")
    assert search_hits(visitor, "megasale", idea) and not search_hits(visitor, "solar", idea)
    assert db.session.scalar(select(PendingEdit)) is None and open_case("idea", idea.id) is None
    approved = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "approve_edit"))
    assert approved.actor_id == moderator.id and json.loads(approved.before_json)["title"] == APPROVED_TITLE
    assert any("edit" in m and "approved" in m for m in messages_of(author))
    # The approved text it replaced is kept in the idea's history.
    assert APPROVED_TEXT in page(visitor, f"/ideas/{idea.id}")


def test_a_rejected_edit_leaves_the_approved_text_and_the_author_is_told_why(app, session, premoderated):
    challenge, author, idea = premoderated
    edit_into_spam(app, author, idea)
    desk = client_for(app, UserFactory(is_moderator=True))
    response = decide(desk, "idea", idea.id, "reject_edit", reason="spam", note="No adverts, please.")
    assert response.status_code == 303
    jobs.dispatch()

    assert_public_sees_approved_version(app, challenge, idea)
    own = page(client_for(app, author), f"/ideas/{idea.id}")
    assert "waiting for a moderator" not in own and "megasale" not in own
    [told] = [m for m in messages_of(author) if "not accepted" in m]
    assert "Spam or advertising" in told and "No adverts, please." in told and "earlier version stays" in told
    rejected = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reject_edit"))
    assert rejected.reason == "spam" and json.loads(rejected.before_json)["title"] == SPAM_TITLE
    assert open_case("idea", idea.id) is None
    standing = page(client_for(app, author), "/my/moderation")
    assert "Edit rejected" in standing and "Spam or advertising" in standing


def test_a_rejection_needs_a_reason(app, session, premoderated):
    _, author, idea = premoderated
    edit_into_spam(app, author, idea)
    desk = client_for(app, UserFactory(is_moderator=True))
    decide(desk, "idea", idea.id, "reject_edit", reason="")
    assert "Choose a reason" in page(desk, f"/moderation/items/idea/{idea.id}")
    assert db.session.scalar(select(PendingEdit)) is not None


def test_a_second_edit_replaces_the_waiting_one_and_a_stale_form_decides_nothing(app, session, premoderated):
    _, author, idea = premoderated
    edit_into_spam(app, author, idea)
    desk = client_for(app, UserFactory(is_moderator=True))
    stale = page(desk, f"/moderation/items/idea/{idea.id}")
    # The edit form starts from the waiting version, and says so.
    form = page(client_for(app, author), f"/ideas/{idea.id}/edit")
    assert SPAM_TITLE in form and "still waiting for a moderator" in form
    client_for(app, author).post(f"/ideas/{idea.id}/edit", data={
        "title": "Solar lamps on every street corner, twice", "description": APPROVED_TEXT + " Also parks.",
        "tags": ""})
    [pending] = db.session.scalars(select(PendingEdit)).all()
    assert pending.title.endswith("twice") and pending.version == 2
    assert db.session.scalars(select(ModerationCase).where(ModerationCase.item_id == idea.id)).all() == [
        open_case("idea", idea.id)]
    # The moderator read version 1: approving it now would publish text they never saw.
    hidden = dict(re.findall(r'name="(case_id|edit_id|edit_version)" value="(\d+)"', stale))
    desk.post(f"/moderation/items/idea/{idea.id}/approve_edit", data=hidden)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == APPROVED_TITLE
    assert "author changed this edit" in page(desk, f"/moderation/items/idea/{idea.id}")


def test_a_comment_edited_within_its_window_waits_too(app, session, premoderated):
    challenge, _, idea = premoderated
    commenter = UserFactory()
    comment = CommentFactory(idea=idea, author=commenter, body="Street lamps would help the night bus stop.")
    settle()
    search_jobs.index_challenge_content(challenge.id)
    response = client_for(app, commenter).post(f"/comments/{comment.id}/edit",
                                               data={"body": "Megasale on replica watches, click now!"})
    assert response.status_code == 302
    jobs.dispatch()
    for viewer in (None, UserFactory()):
        shown = page(client_for(app, viewer), f"/ideas/{idea.id}")
        assert "night bus stop" in shown and "replica watches" not in shown
    own = page(client_for(app, commenter), f"/ideas/{idea.id}")
    assert "Your edit is waiting for a moderator" in own and "replica watches" in own
    assert not comment_found(client_for(app), "megasale", comment)
    desk = client_for(app, UserFactory(is_moderator=True))
    assert "Edit awaiting approval" in page(desk, "/moderation/")

    assert decide(desk, "comment", comment.id, "reject_edit", reason="spam").status_code == 303
    jobs.dispatch()
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body == "Street lamps would help the night bus stop."
    assert any("not accepted" in m for m in messages_of(commenter))

    client_for(app, commenter).post(f"/comments/{comment.id}/edit", data={"body": "Lanterns by the night bus stop."})
    jobs.dispatch()
    assert not comment_found(client_for(app), "lanterns", comment)
    assert decide(desk, "comment", comment.id, "approve_edit").status_code == 303
    jobs.dispatch()
    assert "Lanterns by the night bus stop." in page(client_for(app), f"/ideas/{idea.id}")
    assert comment_found(client_for(app), "lanterns", comment)


def test_under_the_default_policy_a_newcomer_waits_and_an_established_member_does_not(app, session):
    challenge = ChallengeFactory(moderation_policy="pre_new")
    newcomer, established = UserFactory(), UserFactory()
    mine = IdeaFactory(challenge=challenge, author=newcomer, title=APPROVED_TITLE, description=APPROVED_TEXT)
    theirs = IdeaFactory(challenge=challenge, author=established, title="Rain barrels for the school garden",
                         description="Collect rain from the school roof to water the vegetable beds.")
    for _ in range(3):  # past their first contributions
        CommentFactory(idea=mine, author=established)
    settle()

    client_for(app, newcomer).post(f"/ideas/{mine.id}/edit", data={
        "title": SPAM_TITLE, "description": SPAM_TEXT, "tags": ""})
    client_for(app, established).post(f"/ideas/{theirs.id}/edit", data={
        "title": "Rain barrels for every school garden", "description": "Collect rain from roofs for the beds.",
        "tags": ""})
    visitor = client_for(app)
    assert APPROVED_TITLE in page(visitor, f"/ideas/{mine.id}")
    assert "Rain barrels for every school garden" in page(visitor, f"/ideas/{theirs.id}")
    assert open_case("idea", mine.id).reason == "edit" and open_case("idea", theirs.id) is None


def test_post_moderated_edits_go_live_as_before(app, session):
    challenge = ChallengeFactory(moderation_policy="post")
    author = UserFactory()
    idea = IdeaFactory(challenge=challenge, author=author, title=APPROVED_TITLE, description=APPROVED_TEXT)
    settle()
    client_for(app, author).post(f"/ideas/{idea.id}/edit", data={
        "title": "Solar lamps on every street corner and square", "description": APPROVED_TEXT, "tags": ""})
    assert "and square" in page(client_for(app), f"/ideas/{idea.id}")
    assert db.session.scalar(select(PendingEdit)) is None


def test_a_moderator_cannot_decide_their_own_pending_edit(app, session, premoderated):
    challenge, _, _ = premoderated
    appointed = UserFactory()
    session.add(ChallengeModerator(challenge_id=challenge.id, user_id=appointed.id))
    idea = IdeaFactory(challenge=challenge, author=appointed, title=APPROVED_TITLE + " again",
                       description=APPROVED_TEXT)
    settle()
    edit_into_spam(app, appointed, idea)
    own_desk = client_for(app, appointed)
    assert "needs another moderator" in page(own_desk, f"/moderation/items/idea/{idea.id}")
    response = own_desk.post(f"/moderation/items/idea/{idea.id}/approve_edit", data={
        "edit_id": db.session.scalar(select(PendingEdit.id))})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == APPROVED_TITLE + " again"
    assert db.session.scalar(select(PendingEdit)) is not None
    # Another moderator may.
    assert decide(client_for(app, UserFactory(is_moderator=True)), "idea", idea.id, "approve_edit").status_code == 303
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == SPAM_TITLE


def test_hiding_an_idea_drops_its_waiting_edit(app, session, premoderated):
    _, author, idea = premoderated
    edit_into_spam(app, author, idea)
    desk = client_for(app, UserFactory(is_moderator=True))
    assert decide(desk, "idea", idea.id, "hide").status_code == 303
    assert db.session.scalar(select(PendingEdit)) is None
    assert client_for(app).get(f"/ideas/{idea.id}").status_code == 404


def test_the_queue_card_decides_the_edit_in_place_with_htmx(app, session, premoderated):
    _, author, idea = premoderated
    edit_into_spam(app, author, idea)
    desk = client_for(app, UserFactory(is_moderator=True))
    card = page(desk, "/moderation/")
    case_id = open_case("idea", idea.id).id
    hidden = dict(re.findall(r'name="(edit_id|edit_version)" value="(\d+)"', card))
    response = desk.post(f"/moderation/items/idea/{idea.id}/approve_edit", data=hidden | {"case_id": case_id},
                         headers={"HX-Request": "true", "HX-Target": f"case-{case_id}"})
    assert response.status_code == 200
    answer = response.get_data(as_text=True)
    assert "Edit approved" in answer and "<html" not in answer
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == SPAM_TITLE


def test_the_second_moderator_is_told_the_edit_was_already_decided(app, session, premoderated):
    _, author, idea = premoderated
    edit_into_spam(app, author, idea)
    first, second = UserFactory(is_moderator=True), UserFactory(is_moderator=True)
    second_desk = client_for(app, second)
    seen = dict(re.findall(r'name="(case_id|edit_id|edit_version)" value="(\d+)"',
                           page(second_desk, f"/moderation/items/idea/{idea.id}")))
    assert decide(client_for(app, first), "idea", idea.id, "approve_edit").status_code == 303
    second_desk.post(f"/moderation/items/idea/{idea.id}/reject_edit", data=seen | {"reason": "spam"})
    assert f"Already decided by {first.name}" in page(second_desk, f"/moderation/items/idea/{idea.id}")
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == SPAM_TITLE
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reject_edit")) is None


def test_while_an_edit_waits_a_further_edit_waits_too_even_once_the_author_would_be_trusted(app, session, premoderated):
    """Approving the older waiting text must never overwrite a newer live edit: so there is no newer live edit."""
    challenge, author, idea = premoderated
    edit_into_spam(app, author, idea)
    challenge.moderation_policy = "post"  # the owner relaxes the policy while the edit waits
    settle()
    client_for(app, author).post(f"/ideas/{idea.id}/edit", data={
        "title": "Solar lamps and benches on every corner", "description": APPROVED_TEXT, "tags": ""})
    jobs.dispatch()
    waiting = db.session.scalars(select(PendingEdit)).all()
    assert [w.title for w in waiting] == ["Solar lamps and benches on every corner"]
    db.session.refresh(idea)
    assert idea.title == APPROVED_TITLE
    desk = client_for(app, UserFactory(is_moderator=True))
    assert decide(desk, "idea", idea.id, "approve_edit").status_code == 303
    db.session.refresh(idea)
    assert idea.title == "Solar lamps and benches on every corner"


def test_an_edit_cannot_go_live_once_the_idea_has_moved_on(app, session, premoderated):
    challenge, author, idea = premoderated
    edit_into_spam(app, author, idea)
    idea.status = "selected"
    settle()
    desk = client_for(app, UserFactory(is_moderator=True))
    refused = decide(desk, "idea", idea.id, "approve_edit")
    assert "moved on since the edit was written" in page(desk, refused.location)
    db.session.refresh(idea)
    assert idea.title == APPROVED_TITLE


def test_a_form_for_a_decided_edit_never_approves_the_next_one(app, session, premoderated):
    challenge, author, idea = premoderated
    edit_into_spam(app, author, idea)
    first, second = client_for(app, UserFactory(is_moderator=True)), client_for(app, UserFactory(is_moderator=True))
    stale_form = page(second, f"/moderation/items/idea/{idea.id}")
    stale = dict(re.findall(r'name="(case_id|edit_id|edit_version)" value="(\d+)"', stale_form))
    assert decide(first, "idea", idea.id, "reject_edit", reason="spam").status_code == 303
    client_for(app, author).post(f"/ideas/{idea.id}/edit", data={
        "title": "Replica watches again, at a megasale", "description": SPAM_TEXT, "tags": ""})
    jobs.dispatch()
    response = second.post(f"/moderation/items/idea/{idea.id}/approve_edit", data=stale)
    assert "changed this edit since you opened it" in page(second, response.location)
    db.session.refresh(idea)
    assert idea.title == APPROVED_TITLE
    without_ids = second.post(f"/moderation/items/idea/{idea.id}/approve_edit", data={})
    assert "changed this edit since you opened it" in page(second, without_ids.location)
    db.session.refresh(idea)
    assert idea.title == APPROVED_TITLE


def test_flags_cannot_be_dismissed_past_a_waiting_edit(app, session, premoderated):
    """Dismissing the flag case would close the only case: the waiting edit would sit in no queue."""
    challenge, author, idea = premoderated
    client_for(app, UserFactory()).post(f"/flag/idea/{idea.id}", data={"reason": "spam"})
    jobs.dispatch()
    edit_into_spam(app, author, idea)
    desk = client_for(app, UserFactory(is_moderator=True))
    refused = decide(desk, "idea", idea.id, "dismiss")
    assert "approve or reject the edit first" in page(desk, refused.location)
    assert open_case("idea", idea.id) is not None
    assert db.session.scalar(select(PendingEdit)) is not None
