"""What the idea page reads: a page of comment threads in one query, the idea's tags, its edit history."""
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.tags import tags_named
from challenges.services import comments, listings
from challenges.services import ideas as challenge_ideas
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(minutes):
    return START + timedelta(minutes=minutes)


def shape(threads):
    return [(thread.comment.body, shape(thread.replies)) for thread in threads]


def test_a_page_holds_its_threads_newest_first_with_their_replies_oldest_first(session, monkeypatch):
    monkeypatch.setattr(comments, "COMMENT_THREADS_PER_PAGE", 2)
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    old, middle, new = (CommentFactory(idea=idea, body=body, created_at=at(minutes))
                        for body, minutes in (("old", 0), ("middle", 10), ("new", 20)))
    for parent, body, minutes in ((new, "to new, later", 40), (new, "to new, sooner", 30), (old, "to old", 50)):
        CommentFactory(idea=idea, body=body, parent_id=parent.id, depth=1, created_at=at(minutes))
    deep = CommentFactory(idea=idea, body="to middle", parent_id=middle.id, depth=1, created_at=at(60))
    CommentFactory(idea=idea, body="deeper", parent_id=deep.id, depth=2, created_at=at(70))
    CommentFactory(idea=IdeaFactory(), body="elsewhere", created_at=at(80))
    viewer = UserFactory()

    first = comments.comment_threads(viewer, idea, challenge)
    assert first.has_more and shape(first.threads) == [
        ("new", [("to new, sooner", []), ("to new, later", [])]),
        ("middle", [("to middle", [("deeper", [])])]),
    ]
    second = comments.comment_threads(viewer, idea, challenge, page=2)
    assert not second.has_more and shape(second.threads) == [("old", [("to old", [])])]


def test_hidden_and_deleted_comments_on_a_page(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    writer = UserFactory()
    hidden = CommentFactory(idea=idea, author=writer, body="hidden", status="hidden", created_at=at(0))
    CommentFactory(idea=idea, body="under hidden", parent_id=hidden.id, depth=1, created_at=at(5))
    gone = CommentFactory(idea=idea, body="", status="deleted", created_at=at(10))
    CommentFactory(idea=idea, body="under deleted", parent_id=gone.id, depth=1, created_at=at(15))
    CommentFactory(idea=idea, body="", status="deleted", created_at=at(20))

    visitor_sees = shape(comments.comment_threads(UserFactory(), idea, challenge).threads)
    assert visitor_sees == [("", [("under deleted", [])])]
    writer_sees = shape(comments.comment_threads(writer, idea, challenge).threads)
    assert writer_sees == [("", [("under deleted", [])]), ("hidden", [("under hidden", [])])]


def tagged_idea(*names):
    idea = IdeaFactory()
    set_committed_value(idea, "tags", [])  # a new idea has none
    idea.tags = tags_named(list(names))
    db.session.flush()
    idea_id, title = idea.id, idea.title
    db.session.expunge_all()
    return idea_id, title


def test_the_idea_comes_with_its_tags_and_only_an_edited_idea_reads_its_history(session, count_queries):
    idea_id, title = tagged_idea("parks", "bikes")
    with count_queries as counted:
        idea = listings.get_idea(idea_id)
        assert [tag.name for tag in idea.tags] == ["bikes", "parks"] and idea.challenge and idea.author
        assert listings.idea_history(idea) == []
    assert counted.count == 2  # the idea with its author and challenge, its tags; never edited: no history
    assert listings.get_idea(0) is None
    challenge_ideas.edit_idea(idea.author, idea, title="A new title for it", description=idea.description,
                              tags=["bikes"])
    assert idea.edited_at and [revision.title for revision in listings.idea_history(idea)] == [title]


def test_a_refused_comment_shows_the_page_again_with_the_tags(client, session):
    idea_id, _title = tagged_idea("bikes")
    login(client, UserFactory())
    response = client.post(f"/ideas/{idea_id}/comments", data={"body": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Write something first" in page and "bikes" in page
