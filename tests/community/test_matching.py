"""Members who could help, invitations through the community_invitation signal, challenges for you, alumni."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock, signals
from app.auth import services as auth
from app.extensions import db
from app.tags import tags_named
from community.models import Invitation
from community.services import rollups
from tests.conftest import login
from tests.factories import ChallengeFactory, IdeaFactory, UserFactory


@pytest.fixture
def invitations():
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    signals.community_invitation.connect(receiver)
    yield sent
    signals.community_invitation.disconnect(receiver)


@pytest.fixture
def challenge(session):
    challenge = ChallengeFactory()
    challenge.tags = tags_named(["energy", "data"])
    db.session.flush()
    return challenge


def member(name, skills=(), interests=(), **fields):
    user = UserFactory(username=name, **fields)
    auth.update_profile(user, display_name=name.capitalize(), bio="", skills=list(skills), interests=list(interests))
    return user


def test_owner_sees_members_ranked_by_overlap_without_suspended_or_opted_out(client, challenge):
    both = member("both", skills=["energy"], interests=["data"])
    one = member("one", interests=["energy"])
    member("none", skills=["gardening"])
    member("banned", skills=["energy"], suspended_until=clock.now() + timedelta(days=2))
    shy = member("shy", skills=["energy", "data"])
    login(client, shy)
    client.post("/settings/community", data={"no_invitations": "y"})
    login(client, challenge.owner)
    html = client.get(f"/challenges/{challenge.slug}/could-help").get_data(as_text=True)
    assert html.index("@both") < html.index("@one")
    assert "@none" not in html and "@banned" not in html and "@shy" not in html
    assert both and one


def test_owner_invites_with_a_message_once_each(client, challenge, invitations):
    helpers = [member(f"helper{n}", skills=["energy"]) for n in range(3)]
    login(client, challenge.owner)
    response = client.post(f"/challenges/{challenge.slug}/could-help",
                           data={"members": [str(u.id) for u in helpers[:2]], "message": "Your energy skills!"})
    assert response.status_code == 302
    assert invitations == [{"challenge_id": challenge.id, "user_ids": sorted(u.id for u in helpers[:2]),
                            "message": "Your energy skills!", "actor_id": challenge.owner.id}]
    html = client.get(f"/challenges/{challenge.slug}/could-help").get_data(as_text=True)
    assert "@helper2" in html and "@helper0" not in html  # invited members leave the list


def test_bad_invitations_are_refused_beside_the_field(client, challenge, invitations):
    helper = member("helper", skills=["energy"])
    stranger = member("stranger", skills=["cooking"])
    login(client, challenge.owner)
    response = client.post(f"/challenges/{challenge.slug}/could-help", data={"members": [str(helper.id)],
                                                                            "message": ""})
    assert response.status_code == 422 and "Write a short message" in response.get_data(as_text=True)
    response = client.post(f"/challenges/{challenge.slug}/could-help", data={"message": "Hello"})
    assert response.status_code == 422 and "Choose at least one member" in response.get_data(as_text=True)
    response = client.post(f"/challenges/{challenge.slug}/could-help",
                           data={"members": [str(stranger.id)], "message": "Hello"})
    assert response.status_code == 422 and "Choose among the members listed" in response.get_data(as_text=True)
    assert invitations == []


def test_only_the_owner_invites(client, challenge, member_client):
    assert member_client.get(f"/challenges/{challenge.slug}/could-help").status_code == 403
    assert member_client.post(f"/challenges/{challenge.slug}/could-help", data={"message": "x"}).status_code == 403


def test_invite_limit_is_fifty(challenge):
    from community.services import matching

    with pytest.raises(matching.InvitationError, match="at most 50"):
        matching.invite(challenge.owner, challenge, list(range(1, 52)), "Hi")


def test_challenges_for_you_from_tags_and_collaborators(client, session):
    clock.freeze(clock.now())
    me = member("me", skills=["energy"])
    friend = UserFactory()
    matching_tags = ChallengeFactory(title="How might we store solar energy in every street?")
    matching_tags.tags = tags_named(["energy"])
    past = ChallengeFactory()
    IdeaFactory(challenge=past, author=me, created_at=clock.now() - timedelta(days=3))
    IdeaFactory(challenge=past, author=friend, created_at=clock.now() - timedelta(days=3))
    friends_challenge = ChallengeFactory(title="How might we share bicycles between neighbours?")
    IdeaFactory(challenge=friends_challenge, author=friend, created_at=clock.now() - timedelta(days=2))
    ChallengeFactory(title="How might we plant more trees in the old town?")
    rollups.run_incremental()
    login(client, me)
    html = client.get("/").get_data(as_text=True)
    section = html[html.index("Challenges for you"):html.index("Open challenges")]
    assert "store solar energy" in section and "share bicycles" in section
    assert "plant more trees" not in section
    assert section.index("store solar energy") < section.index("share bicycles")


def test_alumni_are_invited_to_a_newer_challenge_in_one_step(client, session, invitations):
    clock.freeze(clock.now())
    owner = UserFactory()
    old = ChallengeFactory(owner=owner, phase="results", published_at=clock.now() - timedelta(days=100))
    alumni = [UserFactory() for _ in range(3)]
    for user in alumni:
        IdeaFactory(challenge=old, author=user, created_at=clock.now() - timedelta(days=50))
    new = ChallengeFactory(owner=owner, published_at=clock.now() - timedelta(days=1))
    rollups.run_incremental()
    login(client, owner)
    page = client.get(f"/challenges/{old.slug}/could-help").get_data(as_text=True)
    assert "3 members contributed here" in page
    response = client.post(f"/challenges/{old.slug}/invite-alumni",
                           data={"alumni-target": str(new.id), "alumni-message": "Round two!"})
    assert response.status_code == 302
    assert invitations[0]["user_ids"] == sorted(u.id for u in alumni)
    assert invitations[0]["challenge_id"] == new.id
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 3
    response = client.post(f"/challenges/{old.slug}/invite-alumni",
                           data={"alumni-target": str(old.id), "alumni-message": "Again"})
    assert response.status_code == 422
