import re
from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from challenges.models import Challenge, Comment, Idea
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

HX = {"HX-Request": "true"}


def today(offset=0):
    return (clock.now().date() + timedelta(days=offset)).isoformat()


def challenge_form(**changes):
    data = {
        "title": "How might we light up dark streets?", "summary": "Some streets feel unsafe at night.",
        "problem": "Residents avoid **three streets** after dark.", "norms": "Be kind.", "tags": "safety, cities",
        "format": "challenge", "moderation_policy": "pre_new", "submission_at": today(), "voting_at": today(10),
        "review_at": today(20), "results_at": today(30),
    }
    data.update(changes)
    return data


def test_creating_a_challenge_needs_login(client, session):
    response = client.get("/challenges/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_member_creates_a_draft_only_they_see_then_publishes(client, session):
    owner = UserFactory()
    login(client, owner)
    response = client.post("/challenges/new", data=challenge_form())
    assert response.status_code == 302
    slug = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/challenges/{slug}").get_data(as_text=True)
    assert "Only you can see this draft" in page and "<strong>three streets</strong>" in page
    other = app_client(client, UserFactory())
    assert other.get(f"/challenges/{slug}").status_code == 404
    assert slug not in other.get("/challenges").get_data(as_text=True)
    admin = app_client(client, UserFactory(is_admin=True))
    assert admin.get(f"/challenges/{slug}").status_code == 200
    login(client, owner)
    client.post(f"/challenges/{slug}/publish")
    assert other.get(f"/challenges/{slug}").status_code == 200
    assert "light up dark streets" in client.get("/challenges").get_data(as_text=True)


def app_client(client, user):
    """A second browser for another member."""
    other = client.application.test_client()
    return login(other, user)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": ""}, "title", "Give the challenge a title"),
        ({"title": "x" * 121}, "title", "10 to 120"),
        ({"review_at": today(5)}, "review_at", "must come after “Voting opens”"),
        ({"voting_at": ""}, "voting_at", "open challenge"),
        ({"submission_at": "not a date"}, "submission_at", "as a date, like"),
        ({"tags": "ok, <b>"}, "tags", "may only use"),
    ],
)
def test_bad_challenge_input_is_explained_beside_the_field(member_client, changes, field, message):
    response = member_client.post("/challenges/new", data=challenge_form(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]*)', page)
    assert error and message in error.group(1), page[:0]
    assert db.session.query(Challenge).count() == 0


def test_others_cannot_edit_publish_or_move_a_challenge(member_client):
    challenge = ChallengeFactory()
    assert member_client.get(f"/challenges/{challenge.slug}/edit").status_code == 403
    assert member_client.post(f"/challenges/{challenge.slug}/edit", data=challenge_form()).status_code == 403
    assert member_client.post(f"/challenges/{challenge.slug}/phase", data={"phase": "review"}).status_code == 403
    draft = ChallengeFactory(phase="draft")
    assert member_client.post(f"/challenges/{draft.slug}/publish").status_code == 404
    db.session.refresh(challenge)
    assert challenge.phase == "submission"


def test_owner_moves_the_phase_by_hand(client, session):
    challenge = ChallengeFactory()
    owner = db.session.get(type(challenge).owner.property.mapper.class_, challenge.owner_id)
    login(client, owner)
    client.post(f"/challenges/{challenge.slug}/phase", data={"phase": "review"})
    db.session.refresh(challenge)
    assert challenge.phase == "review"
    assert "now in phase “In review”" in client.get("/").get_data(as_text=True)


def test_challenge_list_filters(client, session):
    ChallengeFactory(title="About food waste in markets", phase="submission")
    ChallengeFactory(title="About energy in old buildings", phase="voting", format="holdup")
    ChallengeFactory(title="A secret draft challenge", phase="draft")
    page = client.get("/challenges").get_data(as_text=True)
    assert "food waste" in page and "energy" in page and "secret draft" not in page
    page = client.get("/challenges?phase=voting").get_data(as_text=True)
    assert "energy" in page and "food waste" not in page
    page = client.get("/challenges?format=holdup").get_data(as_text=True)
    assert "energy" in page and "food waste" not in page


def test_idea_list_full_page_and_htmx_fragment_from_one_url(client, session):
    challenge = ChallengeFactory()
    IdeaFactory(challenge=challenge, title="Most supported idea here", supporter_count=9)
    url = f"/challenges/{challenge.slug}?sort=top"
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]
    fragment = client.get(url, headers={**HX, "HX-Target": "idea-list"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Most supported idea here" in body and 'aria-current="true"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    # htmx aimed elsewhere gets the whole page, not a fragment
    assert "<html" in client.get(url, headers={**HX, "HX-Target": "main"}).get_data(as_text=True)


def test_idea_list_pages(client, session):
    challenge = ChallengeFactory()
    for n in range(25):
        IdeaFactory(challenge=challenge, title=f"Numbered idea {n:02d} for paging", supporter_count=n)
    first = client.get(f"/challenges/{challenge.slug}?sort=top").get_data(as_text=True)
    assert "Numbered idea 24" in first and "Numbered idea 04" not in first and "Page 1 of 2" in first
    second = client.get(f"/challenges/{challenge.slug}?sort=top&page=2").get_data(as_text=True)
    assert "Numbered idea 04" in second and "Numbered idea 24" not in second


def idea_form(**changes):
    data = {"title": "Solar lamps on every lamp post", "description": "Cheap solar lamps clipped to existing posts.",
            "tags": "light", "builds_on": "0", "accept_norms": "y"}
    data.update(changes)
    return data


def test_member_submits_an_idea(member_client, member):
    challenge = ChallengeFactory()
    response = member_client.post(f"/challenges/{challenge.slug}/ideas/new", data=idea_form())
    assert response.status_code == 302
    idea = db.session.query(Idea).filter_by(author_id=member.id).one()
    page = member_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Solar lamps on every lamp post" in page and "Gathering support" in page


def test_idea_form_errors_sit_beside_their_fields(member_client):
    challenge = ChallengeFactory()
    response = member_client.post(f"/challenges/{challenge.slug}/ideas/new", data=idea_form(title="short"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="title-error">[^<]*10 to 120', page)
    assert 'value="short"' in page  # what was typed is kept
    response = member_client.post(f"/challenges/{challenge.slug}/ideas/new", data=idea_form(accept_norms=""))
    assert re.search(r'id="accept_norms-error">[^<]*accept', response.get_data(as_text=True))
    assert db.session.query(Idea).count() == 0


def test_submitting_outside_the_phase_says_why(member_client):
    challenge = ChallengeFactory(phase="review")
    page = member_client.get(f"/challenges/{challenge.slug}/ideas/new").get_data(as_text=True)
    assert "no longer takes new ideas" in page
    response = member_client.post(f"/challenges/{challenge.slug}/ideas/new", data=idea_form())
    assert response.status_code == 422 and "no longer takes new ideas" in response.get_data(as_text=True)


def test_hidden_idea_is_404_for_others_but_visible_to_its_author(client, session):
    author = UserFactory()
    idea = IdeaFactory(status="pending", author=author)
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    login(client, author)
    assert "waits for a moderator" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)


def test_editing_someone_elses_idea_is_forbidden(member_client):
    idea = IdeaFactory()
    assert member_client.get(f"/ideas/{idea.id}/edit").status_code == 403
    assert member_client.post(f"/ideas/{idea.id}/edit", data=idea_form()).status_code == 403
    assert member_client.post(f"/ideas/{idea.id}/withdraw").status_code == 403


def test_author_edits_and_the_history_shows_the_old_version(client, session):
    author = UserFactory()
    idea = IdeaFactory(author=author, title="The original title of it")
    login(client, author)
    response = client.post(f"/ideas/{idea.id}/edit", data=idea_form(title="A better title for this idea"))
    assert response.status_code == 302
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "A better title for this idea" in page and "Edit history" in page and "The original title of it" in page


def test_comment_inline_with_htmx_and_as_a_plain_form(member_client):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    response = member_client.post(f"/ideas/{idea.id}/comments", data={"body": "Inline *hello*", "accept_norms": "y"},
                                  headers={**HX, "HX-Target": "comment-form-top"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'hx-swap-oob="afterbegin:#comment-list"' in body and "<em>hello</em>" in body
    parent = db.session.query(Comment).one()
    clock.freeze(clock.now() + timedelta(seconds=31))  # new members post once per 30 seconds
    response = member_client.post(f"/ideas/{idea.id}/comments", data={"body": "Plain reply", "parent_id": parent.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"#comment-{parent.id + 1}")
    page = member_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'id="replies-{parent.id}"' in page and "Plain reply" in page


def test_empty_comment_with_htmx_shows_the_error_in_the_form(member_client):
    idea = IdeaFactory()
    response = member_client.post(f"/ideas/{idea.id}/comments", data={"body": ""},
                                  headers={**HX, "HX-Target": "comment-form-top"})
    assert response.status_code == 422 and "Write something first" in response.get_data(as_text=True)


def test_comment_on_a_closed_challenge_is_refused_with_a_reason(member_client):
    idea = IdeaFactory(challenge=ChallengeFactory(phase="closed"))
    page = member_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Comments are closed" in page
    response = member_client.post(f"/ideas/{idea.id}/comments", data={"body": "hi", "accept_norms": "y"})
    assert response.status_code == 422 and "Comments are closed" in response.get_data(as_text=True)
    assert db.session.query(Comment).count() == 0


def test_others_cannot_edit_or_delete_a_comment(member_client):
    comment = CommentFactory()
    assert member_client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert member_client.post(f"/comments/{comment.id}/delete").status_code == 403


def test_follow_a_challenge_and_an_idea(member_client, member):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    response = member_client.post(f"/challenges/{challenge.slug}/follow", data={"follow": "1"},
                                  headers={**HX, "HX-Target": "challenge-follow"})
    assert "Following" in response.get_data(as_text=True)
    member_client.post(f"/ideas/{idea.id}/follow", data={"follow": "1"})
    db.session.refresh(challenge)
    db.session.refresh(idea)
    assert challenge.follower_count == 1 and idea.follower_count == 1
    member_client.post(f"/ideas/{idea.id}/follow", data={"follow": "0"})
    db.session.refresh(idea)
    assert idea.follower_count == 0


def test_results_are_public_after_announcement(client, session):
    challenge = ChallengeFactory(phase="results")
    IdeaFactory(challenge=challenge, status="selected", title="The winning idea of all", feedback_html="<p>Yes</p>")
    IdeaFactory(challenge=challenge, status="published", title="An idea not decided on")
    page = client.get(f"/challenges/{challenge.slug}/results").get_data(as_text=True)
    assert "The winning idea of all" in page and "An idea not decided on" not in page
    early = ChallengeFactory(phase="review")
    IdeaFactory(challenge=early, status="selected", title="Not yet announced idea")
    page = client.get(f"/challenges/{early.slug}/results").get_data(as_text=True)
    assert "will be announced" in page and "Not yet announced idea" not in page


def test_owner_reviews_with_feedback_the_author_sees(client, session):
    challenge = ChallengeFactory(phase="review")
    author = UserFactory()
    idea = IdeaFactory(challenge=challenge, author=author)
    owner = db.session.get(type(author), challenge.owner_id)
    login(client, owner)
    client.post(f"/ideas/{idea.id}/review", data={"decision": "selected", "feedback": "We fund a **pilot**."})
    login(client, author)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Selected" in page and "<strong>pilot</strong>" in page
    assert app_client(client, UserFactory()).post(
        f"/ideas/{idea.id}/review", data={"decision": "not_selected"}).status_code == 403


def test_home_shows_open_challenges_and_momentum(client, session):
    challenge = ChallengeFactory(title="An open challenge for the home page")
    IdeaFactory(challenge=challenge, title="A hot idea for the home page", hot_score=99)
    IdeaFactory(challenge=challenge, title="A hidden idea never on home", status="hidden", hot_score=100)
    page = client.get("/").get_data(as_text=True)
    assert "An open challenge for the home page" in page and "A hot idea for the home page" in page
    assert "A hidden idea never on home" not in page


def test_tick_command(app, session):
    challenge = ChallengeFactory(voting_at=clock.now() - timedelta(hours=1),
                                 phase_changed_at=clock.now() - timedelta(days=2))
    result = app.test_cli_runner().invoke(args=["challenges", "tick"])
    assert "1 challenge(s) moved" in result.output
    db.session.refresh(challenge)
    assert challenge.phase == "voting"


def test_builds_on_link_to_a_hidden_idea_is_not_shown(client, session):
    challenge = ChallengeFactory()
    parent = IdeaFactory(challenge=challenge, title="A parent idea now hidden away")
    child = IdeaFactory(challenge=challenge, builds_on_id=parent.id)
    assert "A parent idea now hidden away" in client.get(f"/ideas/{child.id}").get_data(as_text=True)
    parent.status = "hidden"
    db.session.flush()
    assert "A parent idea now hidden away" not in client.get(f"/ideas/{child.id}").get_data(as_text=True)


def test_double_follow_and_double_norms_count_once(member_client, member):
    challenge = ChallengeFactory()
    for _ in range(2):
        assert member_client.post(f"/challenges/{challenge.slug}/follow", data={"follow": "1"}).status_code == 302
        assert member_client.post(f"/challenges/{challenge.slug}/norms").status_code == 302
    db.session.refresh(challenge)
    assert challenge.follower_count == 1


@pytest.mark.parametrize("url", ["/ideas/99999999999999999999", "/challenges/x/ideas/new?builds_on=99999999999999999999"])
def test_huge_numbers_in_urls_are_not_errors(member_client, url):
    assert member_client.get(url).status_code == 404


def test_huge_or_odd_query_numbers_fall_back_to_defaults(client, session):
    challenge = ChallengeFactory()
    IdeaFactory(challenge=challenge, title="Still listed whatever the page")
    for query in ("page=99999999999999999999", "page=²", "after=99999999999999999999&sort=random", "page=-5"):
        response = client.get(f"/challenges/{challenge.slug}?{query}")
        assert response.status_code == 200, query
    assert "Still listed" in client.get(f"/challenges/{challenge.slug}?page=²").get_data(as_text=True)


def test_the_idea_page_shows_fifty_threads_newest_first_and_more_on_demand(client, session):
    from datetime import timedelta

    from app import clock
    from tests.factories import CommentFactory

    idea = IdeaFactory()
    start = clock.now() - timedelta(days=2)
    for n in range(55):
        CommentFactory(idea=idea, author=idea.author, body=f"Thread number {n:02d}", body_html=f"<p>Thread number {n:02d}</p>",
                       created_at=start + timedelta(minutes=n))
    first = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert first.index("Thread number 54") < first.index("Thread number 05")
    assert "Thread number 04" not in first and "Show older comments" in first
    more = client.get(f"/ideas/{idea.id}?comments=2", headers={"HX-Request": "true", "HX-Target": "comment-more"})
    fragment = more.get_data(as_text=True)
    assert "Thread number 04" in fragment and "Thread number 00" in fragment and "Thread number 05" not in fragment
    assert "<html" not in fragment and "Show older comments" not in fragment
    assert "HX-Request" in more.headers["Vary"]
    plain = client.get(f"/ideas/{idea.id}?comments=2").get_data(as_text=True)
    assert "<html" in plain and "Thread number 00" in plain and "Newest comments" in plain
