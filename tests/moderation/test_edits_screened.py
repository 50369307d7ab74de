"""Issue 14, item 7 (in part): every edit by a member is screened and lands in the audit log."""
import json

from sqlalchemy import select

from app.extensions import db
from challenges.models import Idea
from moderation.models import AuditEntry, ModerationCase
from moderation.services import watched_words
from tests.conftest import login
from tests.factories import CommentFactory, IdeaFactory, UserFactory


def _edits(kind, item_id, action="edit"):
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.item_kind == kind, AuditEntry.item_id == item_id)).all()


def test_an_idea_edit_lands_in_the_audit_log_with_before_and_after(client, session):
    author = UserFactory()
    idea = IdeaFactory(author=author, title="The original title of it")
    login(client, author)
    response = client.post(f"/ideas/{idea.id}/edit", data={
        "title": "A better title for this idea", "description": "Cheap solar lamps clipped to existing posts.",
        "tags": "light"})
    assert response.status_code == 302
    [entry] = _edits("idea", idea.id)
    assert entry.actor_id == author.id and entry.subject_id == author.id
    assert json.loads(entry.before_json)["title"] == "The original title of it"
    assert json.loads(entry.after_json)["title"] == "A better title for this idea"
    admin = UserFactory(is_admin=True)
    login(client, admin)
    assert "Edited by its author" in client.get("/moderation/log").get_data(as_text=True)


def test_a_comment_edit_is_logged_and_a_watched_word_holds_it_in_the_queue(client, session):
    admin = UserFactory(is_admin=True)
    watched_words.add_watched_word(admin, "crypto", "queue")
    db.session.commit()
    author = UserFactory()
    comment = CommentFactory(author=author, body="A kind and useful remark.")
    login(client, author)
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Earn crypto fast, ask me how."})
    assert response.status_code in (200, 302)
    # "Send it to the queue" holds the edit (issue 14, item 7): the approved words stay public meanwhile.
    [entry] = _edits("comment", comment.id, "edit_held")
    assert json.loads(entry.before_json) == {"body": "A kind and useful remark."}
    assert json.loads(entry.after_json) == {"body": "Earn crypto fast, ask me how."}
    db.session.expire_all()
    assert comment.body == "A kind and useful remark."
    case = db.session.scalar(select(ModerationCase).where(ModerationCase.item_kind == "comment",
                                                          ModerationCase.item_id == comment.id))
    assert case is not None and "crypto" in case.note


def test_a_newcomer_cannot_edit_links_into_an_idea(client, session):
    author = UserFactory()  # joined today: a new member
    idea = IdeaFactory(author=author, description="Plain words only.")
    login(client, author)
    spam = " ".join(f"https://spam{n}.example/" for n in range(6))
    response = client.post(f"/ideas/{idea.id}/edit", data={
        "title": idea.title, "description": f"Buy now {spam}", "tags": ""})
    assert response.status_code == 422 and "links" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).description == "Plain words only."
    assert _edits("idea", idea.id) == []
