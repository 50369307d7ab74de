import re
from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.permissions import Refused
from challenges.models import Idea
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory
from tests.voting.helpers import hx, voting_idea
from voting.models import Support
from voting.services import supports
from voting.services.errors import VotingError


def rows(idea):
    return db.session.query(Support).filter_by(idea_id=idea.id).count()


def test_support_counts_once_and_withdraw_takes_it_back(session):
    idea, member = voting_idea(), UserFactory()
    assert supports.support_idea(member, idea, idea.challenge) is True
    assert supports.support_idea(member, idea, idea.challenge) is False
    assert idea.supporter_count == 1 and rows(idea) == 1
    assert supports.withdraw_support(member, idea, idea.challenge) is True
    assert supports.withdraw_support(member, idea, idea.challenge) is False
    assert idea.supporter_count == 0 and rows(idea) == 0


def test_the_count_is_stored_in_the_same_transaction(session):
    idea = voting_idea()
    for member in (UserFactory(), UserFactory()):
        supports.support_idea(member, idea, idea.challenge)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).supporter_count == 2


def test_the_database_refuses_a_second_support_row(session):
    idea, member = voting_idea(), UserFactory()
    supports.support_idea(member, idea, idea.challenge)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Support(user_id=member.id, idea_id=idea.id))
        db.session.flush()


def test_no_support_on_ones_own_idea(session):
    idea = voting_idea()
    with pytest.raises(VotingError, match="your own idea"):
        supports.support_idea(idea.author, idea, idea.challenge)


@pytest.mark.parametrize("status", ["pending", "hidden", "expired", "in_review", "merged"])
def test_only_gathering_ideas_take_supports(session, status):
    idea, moderator = voting_idea(status=status), UserFactory(is_moderator=True)
    with pytest.raises(VotingError, match="gathering support"):
        supports.support_idea(moderator, idea, idea.challenge)


@pytest.mark.parametrize("phase, is_open, allowed", [
    ("submission", False, False), ("voting", False, True), ("submission", True, True),
    ("review", False, False), ("results", True, False),
])
def test_supports_only_in_a_phase_that_takes_votes(session, phase, is_open, allowed):
    idea = voting_idea(challenge=ChallengeFactory(phase=phase, is_open=is_open))
    member = UserFactory()
    if allowed:
        assert supports.support_idea(member, idea, idea.challenge)
    else:
        with pytest.raises(VotingError, match="Voting is closed"):
            supports.support_idea(member, idea, idea.challenge)


def test_suspended_members_cannot_support(session):
    idea = voting_idea()
    member = UserFactory(suspended_until=clock.now() + timedelta(days=2))
    with pytest.raises(Refused):
        supports.support_idea(member, idea, idea.challenge)


def test_withdraw_only_while_gathering(session):
    idea, member = voting_idea(), UserFactory()
    supports.support_idea(member, idea, idea.challenge)
    idea.challenge.phase = "review"
    with pytest.raises(VotingError, match="Voting is closed"):
        supports.withdraw_support(member, idea, idea.challenge)
    assert idea.supporter_count == 1


def test_supported_ids_is_one_query_and_only_the_members(session, count_queries):
    ideas = [voting_idea() for _ in range(5)]
    member, other = UserFactory(), UserFactory()
    supports.support_idea(member, ideas[1], ideas[1].challenge)
    supports.support_idea(member, ideas[3], ideas[3].challenge)
    supports.support_idea(other, ideas[0], ideas[0].challenge)
    with count_queries as counted:
        found = supports.supported_ids(member, [i.id for i in ideas])
    assert found == {ideas[1].id, ideas[3].id} and counted.count == 1


# Over HTTP


def test_plain_form_supports_and_redirects_back(client, session):
    idea, member = voting_idea(), UserFactory()
    login(client, member)
    back = f"/challenges/{idea.challenge.slug}?sort=top"
    response = client.post(f"/ideas/{idea.id}/support", data={"next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    assert "HX-Request" in response.headers["Vary"]
    assert rows(idea) == 1
    page = client.get(back).get_data(as_text=True)
    assert "You support" in page


def test_plain_form_refuses_a_foreign_next(client, session):
    idea = voting_idea()
    login(client, UserFactory())
    response = client.post(f"/ideas/{idea.id}/support", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/ideas/{idea.id}"


def test_htmx_swaps_the_card_fragment(client, session):
    idea = voting_idea()
    login(client, UserFactory())
    response = client.post(f"/ideas/{idea.id}/support", headers=hx(f"support-card-{idea.id}"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<div class="support-box support-box-card" id="support-card-{idea.id}"')
    assert "<strong>1</strong>" in html and 'aria-pressed="true"' in html and "<html" not in html
    response = client.post(f"/ideas/{idea.id}/support/withdraw", headers=hx(f"support-card-{idea.id}"))
    html = response.get_data(as_text=True)
    assert "<strong>0</strong>" in html and 'aria-pressed="false"' in html


def test_htmx_swaps_the_idea_page_fragment_with_the_milestone_bar(client, session):
    idea = voting_idea()
    login(client, UserFactory())
    html = client.post(f"/ideas/{idea.id}/support", headers=hx(f"support-{idea.id}")).get_data(as_text=True)
    assert f'id="support-{idea.id}"' in html and "Next milestone" in html
    assert re.search(r'<progress[^>]*max="100" value="1"', html)


def test_htmx_with_an_unknown_target_gets_the_plain_answer(client, session):
    idea = voting_idea()
    login(client, UserFactory())
    response = client.post(f"/ideas/{idea.id}/support", headers=hx("something-else"))
    assert response.status_code == 302


def test_refusal_is_a_message_in_the_fragment_not_an_error_page(client, session):
    idea = voting_idea()
    login(client, idea.author)
    response = client.post(f"/ideas/{idea.id}/support", headers=hx(f"support-{idea.id}"))
    assert response.status_code == 422
    assert "You cannot support your own idea." in response.get_data(as_text=True)
    response = client.post(f"/ideas/{idea.id}/support", follow_redirects=True)
    assert response.status_code == 200 and "You cannot support your own idea." in response.get_data(as_text=True)


def test_visitors_are_sent_to_log_in_and_come_back_to_the_idea(client, session):
    idea, member = voting_idea(), UserFactory()
    response = client.post(f"/ideas/{idea.id}/support")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/ideas/{idea.id}"
    response = client.post(f"/ideas/{idea.id}/support", headers=hx(f"support-card-{idea.id}"))
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/login?next=/ideas/{idea.id}"
    client.get(f"/login?next=/ideas/{idea.id}")
    from tests.factories import PASSWORD

    response = client.post("/login", data={"login": member.username, "password": PASSWORD})
    assert response.headers["Location"] == f"/ideas/{idea.id}"


def test_hidden_ideas_cannot_be_supported_or_seen(client, session):
    idea = voting_idea(status="hidden")
    login(client, UserFactory())
    assert client.post(f"/ideas/{idea.id}/support").status_code == 404
    assert client.post("/ideas/999999/support").status_code == 404
    assert rows(idea) == 0


def test_suspended_member_gets_403(client, session):
    idea = voting_idea()
    login(client, UserFactory(suspended_until=clock.now() + timedelta(days=1)))
    assert client.post(f"/ideas/{idea.id}/support").status_code == 403


def test_list_shows_what_the_viewer_supports(client, session):
    challenge = ChallengeFactory(is_open=True, voting_at=None)
    liked, other = IdeaFactory(challenge=challenge), IdeaFactory(challenge=challenge)
    member = UserFactory()
    supports.support_idea(member, liked, challenge)
    login(client, member)
    html = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    liked_box = html.split(f'id="support-card-{liked.id}"')[1].split("</div>")[0]
    other_box = html.split(f'id="support-card-{other.id}"')[1].split("</div>")[0]
    assert "Supported" in liked_box and 'aria-pressed="true"' in liked_box
    assert 'aria-pressed="false"' in other_box


def test_visitors_see_a_login_link_on_cards(client, session):
    idea = voting_idea()
    html = client.get(f"/challenges/{idea.challenge.slug}").get_data(as_text=True)
    assert f'href="/login?next=/ideas/{idea.id}"' in html and "Log in to support" in html


def test_rate_limit_answers_429_with_retry_after(client, session):
    ideas = [voting_idea() for _ in range(3)]
    login(client, UserFactory())
    for n in range(60):
        idea = ideas[n % 3]
        action = "support" if (n // 3) % 2 == 0 else "withdraw"
        assert client.post(f"/ideas/{idea.id}/" + ("support" if action == "support" else "support/withdraw")).status_code == 302
    response = client.post(f"/ideas/{ideas[0].id}/support")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
