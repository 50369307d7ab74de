"""Pages that look finished (issue 15, items 12-15)."""
import re

from app import clock
from app.text import plain_text, plural, snippet
from app.ux import user_initials
from challenges.models import ChallengeFollow, IdeaFollow
from moderation.services import decisions, items
from tests.conftest import login
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory


def test_plural_agrees_with_the_number():
    assert plural(1, "follower") == "1 follower" and plural(2, "follower") == "2 followers"
    assert plural(0, "idea") == "0 ideas" and plural(1_200, "idea") == "1,200 ideas"
    assert plural(1, "more second", "more seconds") == "1 more second"


def test_plain_text_and_snippets_come_from_rendered_html():
    assert plain_text("<p>A <strong>bold</strong> &amp; kind idea</p>") == "A bold & kind idea"
    assert plain_text("<p>Cut inside a <a href=\"https://exa") == "Cut inside a"
    assert snippet("<p>" + "word " * 60 + "</p>", 30).endswith("…") and len(snippet("<p>" + "word " * 60, 30)) <= 31


def test_initials_for_avatars(session):
    assert user_initials(UserFactory(display_name="Léa Bénévole")) == "LB"
    assert user_initials(UserFactory(display_name="noah")) == "N"


def test_challenge_page_tabs_tools_cards_and_counts(client, session):
    challenge = ChallengeFactory()
    IdeaFactory(challenge=challenge, description="Volunteers **carry** crates to the food bank every evening.")
    challenge.follower_count = 1
    login(client, challenge.owner)
    page = client.get(f"/challenges/{challenge.slug}?sort=top").get_data(as_text=True)
    assert re.search(r'aria-current="true" class="tab tab-current"[^>]*>Most supported<', page)
    tools = re.search(r'<ul class="tool-links">(.*?)</ul>', page, re.S).group(1)
    assert "Pairwise ranking" in tools and 'class="tag"' not in tools  # buttons, not tag pills
    card = re.search(r'<li class="idea-card card".*?</li>', page, re.S).group(0)
    assert "Volunteers carry crates to the food bank every evening." in card and "**" not in card
    assert 'class="avatar avatar-' in card
    assert "1 idea ·" in page and "0 comments" in page


def test_pairwise_ranking_reads_as_words(client, session):
    from voting.services import pairwise

    challenge = ChallengeFactory()
    ideas = IdeaFactory.create_batch(2, challenge=challenge)
    challenge.idea_count = 2
    round_ = pairwise.open_pairwise_round(challenge.owner, challenge)
    pairwise.record_pairwise_vote(UserFactory(), challenge, round_, ideas[0], ideas[1], ideas[0].id)
    page = client.get(f"/challenges/{challenge.slug}/pairwise/ranking").get_data(as_text=True)
    assert "Score =" not in page and "(wins + 1)" not in page
    assert re.search(r"the chance, out of 100,\s+that an idea wins against another one, from\s+1 answer\.", page)
    assert 'data-label="Score"' in page and "table-stack" in page


def test_the_moderation_log_is_readable(moderator_client, session, moderator):
    challenge = ChallengeFactory(title="How might we plant more trees?")
    idea = IdeaFactory(challenge=challenge)
    decisions.decide(moderator, items.load_item("idea", idea.id), "lock")
    decisions.decide(moderator, items.load_item("idea", idea.id), "reject", reason="off_topic", note="Parking")
    page = moderator_client.get("/moderation/log").get_data(as_text=True)
    table = re.search(r"<table.*?</table>", page, re.S).group(0)
    assert "True" not in table and "False" not in table and "off_topic" not in table
    assert "Off topic" in table and ("comments locked: yes" in table or "comments locked: no" in table)
    assert re.search(r'<td data-label="When" class="nowrap"><time[^>]*>\d\d \w{3} \d{4} \d\d:\d\d</time>', table)
    assert re.search(rf'<select name="challenge">.*<option value="{challenge.id}"\s*>How might we plant more trees\?',
                     page, re.S)
    filtered = moderator_client.get(f"/moderation/log?challenge={challenge.id}").get_data(as_text=True)
    assert "Off topic" in filtered
    assert "Off topic" not in moderator_client.get(f"/moderation/log?challenge={challenge.id + 1}").get_data(
        as_text=True).split("<table")[1]


def test_library_messages_become_messages_about_the_field(member_client):
    response = member_client.post("/challenges/new", data={"format": "bogus", "moderation_policy": "x",
                                                           "submission_at": "soon"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for default in ("Not a valid choice", "Invalid Choice", "could not coerce", "Not a valid date", "Field cannot"):
        assert default not in page
    assert "Choose one of the options for “Format”." in page
    assert "Give “Ideas open” as a date, like 2026-12-31." in page


def test_the_admin_page_mentions_no_settings_that_do_not_exist(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "site settings" not in page and "watched words" in page


def test_a_visitor_sees_the_hero_and_a_member_sees_their_own_things(client, session, count_queries):
    open_challenge = ChallengeFactory(title="How might we share more tools?")
    me = UserFactory(display_name="Noor Member")
    mine = IdeaFactory(author=me, challenge=open_challenge, title="A tool library in every school")
    followed = IdeaFactory(challenge=open_challenge, title="Repair cafés on Saturdays")
    session.add_all([IdeaFollow(user_id=me.id, idea_id=followed.id),
                     ChallengeFollow(user_id=me.id, challenge_id=open_challenge.id)])
    CommentFactory(idea=followed, created_at=clock.now())
    session.flush()
    visitor = client.get("/").get_data(as_text=True)
    assert "Put your community to work on real problems." in visitor and "Welcome back" not in visitor
    login(client, me)
    with count_queries as counted:
        page = client.get("/").get_data(as_text=True)
    assert "Welcome back, Noor Member" in page and 'class="hero"' not in page
    assert "Your ideas" in page and mine.title in page and "Gathering support" in page
    assert "You follow" in page and followed.title in page and open_challenge.title in page
    assert "1 new comment on your ideas and the ideas you follow" in page
    assert "Open challenges" in page
    assert counted.count <= 12
    # The next look counts from this one: nothing new since.
    assert "Nothing new on your ideas" in client.get("/").get_data(as_text=True)


def test_empty_states_say_what_to_do_next(client, session):
    member = UserFactory()
    challenge = ChallengeFactory()
    login(client, member)
    home = client.get("/").get_data(as_text=True)
    assert "You have not shared an idea yet." in home and "You follow nothing yet." in home
    page = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert f'<a href="/challenges/{challenge.slug}/ideas/new">Share the first one</a>' in page
    filtered = client.get(f"/challenges/{challenge.slug}?tag=nothing").get_data(as_text=True)
    assert "No idea matches these filters." in filtered and "Show every idea" in filtered
