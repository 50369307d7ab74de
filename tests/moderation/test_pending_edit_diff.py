"""The word diff of a waiting edit reads as words: a replaced word and its replacement never run together."""
import re

from app.extensions import db
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory

TEXT = "The tool library has spare multimeters that volunteers could borrow on Saturdays."


def test_a_replaced_word_and_its_replacement_are_apart_in_the_queue(app, session):
    challenge = ChallengeFactory(moderation_policy="pre_all", is_open=True)
    author = UserFactory()
    idea = IdeaFactory(challenge=challenge, author=author, title="Lend spare multimeters", description=TEXT)
    db.session.commit()
    edited = TEXT.replace("could borrow", "might take")
    response = login(app.test_client(), author).post(f"/ideas/{idea.id}/edit", data={
        "title": "Lend spare multimeters", "description": edited, "tags": ""})
    assert response.status_code == 302

    queue = login(app.test_client(), UserFactory(is_moderator=True)).get("/moderation/").get_data(as_text=True)
    assert "volunteers <del>could</del> <ins>might</ins> <del>borrow</del> <ins>take</ins> on Saturdays" in queue
    assert not re.search(r"</del><ins>", queue)
