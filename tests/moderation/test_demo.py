from sqlalchemy import select

from app import demo
from app.extensions import db
from challenges.models import Idea, PendingEdit
from moderation.services import queue


def test_the_demo_shows_an_edit_waiting_beside_its_approved_text(session):
    assert demo.seed_demo()
    compost = db.session.scalar(select(Idea).where(Idea.title == "Compost bins at every market exit"))
    assert compost.is_public
    assert "free bag of compost" not in compost.description, "everyone else still reads the approved text"
    waiting = db.session.scalar(select(PendingEdit).where(PendingEdit.item_kind == "idea",
                                                          PendingEdit.item_id == compost.id))
    assert "free bag of compost" in waiting.description
    assert queue.open_case_for("idea", compost.id) is not None
