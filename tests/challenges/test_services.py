from datetime import date, timedelta

import pytest

from app import clock
from app.markdown import render_markdown, render_markdown_lite
from app.permissions import Refused
from challenges.models import IdeaRevision
from challenges.services import challenges as challenge_phases
from challenges.services import comments, errors, follows, listings, screening
from challenges.services import ideas as challenge_ideas
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

TITLE = "Share leftover bread with neighbours"
TEXT = "Bakeries leave unsold bread in a shared box that neighbours can open with a code."


def schedule(start=0, is_open=False):
    day = clock.now().date() + timedelta(days=start)
    return challenge_phases.Schedule(
        submission_at=challenge_phases.day_start(day),
        voting_at=None if is_open else challenge_phases.day_start(day + timedelta(days=10)),
        review_at=challenge_phases.day_start(day + timedelta(days=20)),
        results_at=challenge_phases.day_start(day + timedelta(days=30)),
    )


def challenge_fields(**changes):
    fields = dict(title="How might we share more food?", summary="Less waste.", problem="**Food** is wasted.",
                  norms="Be kind.", format="challenge", is_open=False, moderation_policy="post", tags=["food"],
                  schedule=schedule())
    fields.update(changes)
    return fields


def test_new_challenge_is_a_draft_with_a_unique_slug(session):
    owner = UserFactory()
    first = challenge_phases.create_challenge(owner, **challenge_fields())
    second = challenge_phases.create_challenge(owner, **challenge_fields())
    assert first.phase == second.phase == "draft"
    assert first.slug == "how-might-we-share-more-food"
    assert second.slug == "how-might-we-share-more-food-2"
    assert first.problem_html == "<p><strong>Food</strong> is wasted.</p>\n"
    assert follows.follows_challenge(owner, first)


def test_schedule_that_goes_backwards_is_explained(session):
    bad = schedule()
    bad.review_at = bad.voting_at - timedelta(days=1)
    with pytest.raises(errors.ChallengeError) as error:
        challenge_phases.create_challenge(UserFactory(), **challenge_fields(schedule=bad))
    assert error.value.field == "review_at" and "must come after" in error.value.message


def test_closed_challenge_needs_voting_date_open_one_does_not(session):
    no_voting = schedule()
    no_voting.voting_at = None
    with pytest.raises(errors.ChallengeError) as error:
        challenge_phases.create_challenge(UserFactory(), **challenge_fields(schedule=no_voting))
    assert error.value.field == "voting_at"
    challenge = challenge_phases.create_challenge(UserFactory(), **challenge_fields(is_open=True, schedule=no_voting))
    assert challenge.voting_at is None


def test_publish_sets_phase_from_dates_and_only_owner_may(session):
    owner = UserFactory()
    challenge = challenge_phases.create_challenge(owner, **challenge_fields())
    with pytest.raises(Refused):
        challenge_phases.publish_challenge(UserFactory(), challenge)
    challenge_phases.publish_challenge(owner, challenge)
    assert challenge.phase == "submission" and challenge.published_at is not None
    with pytest.raises(errors.PhaseError):
        challenge_phases.publish_challenge(owner, challenge)


def test_tick_moves_phases_on_their_dates_and_is_idempotent(session):
    owner = UserFactory()
    challenge = challenge_phases.create_challenge(owner, **challenge_fields())
    challenge_phases.publish_challenge(owner, challenge)
    start = clock.aware(challenge.submission_at)
    clock.freeze(start + timedelta(days=10, hours=1))
    assert challenge_phases.tick_phases() == [challenge.id]
    assert challenge.phase == "voting"
    assert challenge_phases.tick_phases() == []
    clock.freeze(start + timedelta(days=31))
    challenge_phases.tick_phases()
    assert challenge.phase == "results"


def test_phase_moved_by_hand_is_not_undone_by_an_old_date(session):
    owner = UserFactory()
    challenge = challenge_phases.create_challenge(owner, **challenge_fields())
    challenge_phases.publish_challenge(owner, challenge)
    start = clock.aware(challenge.submission_at)
    clock.freeze(start + timedelta(days=12))
    challenge_phases.tick_phases()
    challenge_phases.move_phase(owner, challenge, "submission")  # reopen for late ideas
    challenge_phases.tick_phases()
    assert challenge.phase == "submission"
    clock.freeze(start + timedelta(days=21))
    challenge_phases.tick_phases()
    assert challenge.phase == "review"


def test_move_phase_rules(session):
    challenge = ChallengeFactory(is_open=True, voting_at=None)
    owner = challenge.owner if hasattr(challenge, "owner") else None
    from app.auth.models import User
    from app.extensions import db

    owner = db.session.get(User, challenge.owner_id)
    with pytest.raises(errors.PhaseError, match="open challenge"):
        challenge_phases.move_phase(owner, challenge, "voting")
    with pytest.raises(Refused):
        challenge_phases.move_phase(UserFactory(), challenge, "review")
    challenge_phases.move_phase(owner, challenge, "review")
    assert challenge.phase == "review"


def submit(author, challenge, **changes):
    fields = dict(title=TITLE, description=TEXT, tags=["food"], accept_norms=True)
    fields.update(changes)
    return challenge_ideas.submit_idea(author, challenge, **fields)


def test_submission_outside_the_submission_phase_is_explained(session):
    challenge = ChallengeFactory(phase="voting")
    with pytest.raises(errors.PhaseError, match="no longer takes new ideas"):
        submit(UserFactory(), challenge)
    future = ChallengeFactory(submission_at=clock.now() + timedelta(days=3))
    with pytest.raises(errors.PhaseError, match="takes ideas from"):
        submit(UserFactory(), future)


def test_norms_must_be_accepted_once(session):
    challenge = ChallengeFactory()
    member = UserFactory()
    with pytest.raises(errors.NormsNotAccepted) as error:
        submit(member, challenge, accept_norms=False)
    assert error.value.field == "accept_norms"
    submit(member, challenge)
    submit(member, challenge, accept_norms=False, title="A second idea about bread boxes")
    assert screening.has_accepted_norms(member, challenge)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": "Too short"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "too short"}, "description"),
        ({"description": "x" * 10_001}, "description"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"builds_on_id": 999_999}, "builds_on"),
    ],
)
def test_idea_limits(session, changes, field):
    with pytest.raises(errors.ChallengeError) as error:
        submit(UserFactory(), ChallengeFactory(), **changes)
    assert error.value.field == field


def test_builds_on_must_be_public_and_in_the_same_challenge(session):
    challenge = ChallengeFactory()
    elsewhere = IdeaFactory()
    hidden = IdeaFactory(challenge=challenge, status="hidden")
    for target in (elsewhere, hidden):
        with pytest.raises(errors.ChallengeError, match="builds on"):
            submit(UserFactory(), challenge, builds_on_id=target.id)
    parent = IdeaFactory(challenge=challenge)
    child = submit(UserFactory(), challenge, builds_on_id=parent.id)
    assert [i.id for i in listings.ideas_building_on(parent)] == [child.id]


def test_premoderation_of_new_members_under_the_default_policy(session):
    challenge = ChallengeFactory(moderation_policy="pre_new")
    newcomer = UserFactory()
    idea = submit(newcomer, challenge)
    assert idea.status == "pending" and challenge.idea_count == 0
    for n in range(3):
        IdeaFactory(author=newcomer, title=f"An earlier published idea {n}")
    trusted = submit(newcomer, challenge, title="Now I am trusted by the platform")
    assert trusted.status == "published" and challenge.idea_count == 1


def test_pre_all_holds_everyone_post_publishes_at_once(session):
    assert submit(UserFactory(), ChallengeFactory(moderation_policy="pre_all")).status == "pending"
    idea = submit(UserFactory(), ChallengeFactory(moderation_policy="post"))
    assert idea.status == "published" and idea.published_at is not None


def test_author_follows_own_idea(session):
    author = UserFactory()
    idea = submit(author, ChallengeFactory())
    assert follows.follows_idea(author, idea) and idea.follower_count == 1


def test_status_changes_keep_counters_and_refuse_impossible_moves(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    CommentFactory(idea=idea)
    challenge.comment_count = 1
    challenge_ideas.set_idea_status(idea, "hidden")
    assert challenge.idea_count == 0 and challenge.comment_count == 0
    challenge_ideas.set_idea_status(idea, idea.previous_status)
    assert challenge.idea_count == 1 and challenge.comment_count == 1
    with pytest.raises(errors.StatusError, match="cannot become"):
        challenge_ideas.set_idea_status(idea, "pending")
    withdrawn = IdeaFactory(challenge=challenge, status="withdrawn")
    with pytest.raises(errors.StatusError):
        challenge_ideas.set_idea_status(withdrawn, "published")


def test_edit_keeps_history_and_stops_at_100_supporters(session):
    author = UserFactory()
    idea = submit(author, ChallengeFactory())
    challenge_ideas.edit_idea(author, idea, title="Share leftover bread, every evening", description=TEXT + " Daily.",
                              tags=["bread"])
    [revision] = session.query(IdeaRevision).filter_by(idea_id=idea.id).all()
    assert revision.title == TITLE and revision.tags == "food"
    assert idea.title.endswith("every evening") and idea.edited_at is not None
    with pytest.raises(Refused):
        challenge_ideas.edit_idea(UserFactory(), idea, title=TITLE, description=TEXT)
    idea.supporter_count = 100
    with pytest.raises(Refused, match="100 supporters"):
        challenge_ideas.edit_idea(author, idea, title=TITLE, description=TEXT)


def test_withdraw_hides_the_idea(session):
    challenge = ChallengeFactory()
    author = UserFactory()
    idea = submit(author, challenge)
    with pytest.raises(Refused):
        challenge_ideas.withdraw_idea(UserFactory(), idea)
    challenge_ideas.withdraw_idea(author, idea)
    assert idea.status == "withdrawn" and challenge.idea_count == 0


def test_review_only_in_review_phase_by_owner(session):
    from app.auth.models import User
    from app.extensions import db

    challenge = ChallengeFactory()
    owner = db.session.get(User, challenge.owner_id)
    idea = IdeaFactory(challenge=challenge)
    with pytest.raises(errors.PhaseError):
        challenge_ideas.review_idea(owner, idea, challenge, "selected", "Great")
    challenge.phase = "review"
    with pytest.raises(Refused):
        challenge_ideas.review_idea(UserFactory(), idea, challenge, "selected", "Great")
    challenge_ideas.review_idea(owner, idea, challenge, "selected", "We will *pilot* it.")
    assert idea.status == "selected" and "<em>pilot</em>" in idea.feedback_html
    assert [i.id for i in listings.result_ideas(challenge)] == [idea.id]


def test_comments_thread_three_levels_then_reply_beside(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    member = UserFactory()
    screening.accept_norms(member, challenge)
    top = comments.post_comment(member, idea, challenge, "Level one")
    second = comments.post_comment(member, idea, challenge, "Level two", top.id)
    third = comments.post_comment(member, idea, challenge, "Level three", second.id)
    fourth = comments.post_comment(member, idea, challenge, "Would be four", third.id)
    assert (top.depth, second.depth, third.depth, fourth.depth) == (0, 1, 2, 2)
    assert fourth.parent_id == second.id
    assert idea.comment_count == 4 and challenge.comment_count == 4


def test_comment_limits_and_phases(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    member = UserFactory()
    with pytest.raises(errors.ChallengeError, match="under 2,000"):
        comments.post_comment(member, idea, challenge, "x" * 2001, accept_norms=True)
    with pytest.raises(errors.ChallengeError, match="Write something"):
        comments.post_comment(member, idea, challenge, "   ", accept_norms=True)
    challenge.phase = "closed"
    with pytest.raises(errors.PhaseError, match="Comments are closed"):
        comments.post_comment(member, idea, challenge, "Hello", accept_norms=True)


def test_comment_edit_window_and_tombstone(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    author = UserFactory()
    comment = comments.post_comment(author, idea, challenge, "First words", accept_norms=True)
    reply = comments.post_comment(UserFactory(), idea, challenge, "A reply", comment.id, accept_norms=True)
    comments.edit_comment(author, comment, "Better words")
    assert comment.body == "Better words" and comment.edited_at
    clock.freeze(clock.aware(comment.created_at) + timedelta(minutes=11))
    with pytest.raises(Refused, match="10 minutes"):
        comments.edit_comment(author, comment, "Too late")
    comments.delete_comment(author, comment, idea)
    assert comment.status == "deleted" and comment.body == ""
    assert idea.comment_count == 1
    threads = comments.comment_threads(author, idea, challenge).threads
    assert threads[0].comment.is_deleted and threads[0].replies[0].comment.id == reply.id


def test_deleted_comment_without_replies_disappears(session):
    challenge = ChallengeFactory()
    idea = IdeaFactory(challenge=challenge)
    author = UserFactory()
    comment = comments.post_comment(author, idea, challenge, "Oops", accept_norms=True)
    comments.delete_comment(author, comment, idea)
    assert comments.comment_threads(author, idea, challenge).threads == []


def test_pending_comment_shows_only_to_its_author(session):
    challenge = ChallengeFactory(moderation_policy="pre_all")
    idea = IdeaFactory(challenge=challenge)
    author = UserFactory()
    comment = comments.post_comment(author, idea, challenge, "Waiting", accept_norms=True)
    assert comment.status == "pending" and idea.comment_count == 0
    assert comments.comment_threads(author, idea, challenge).threads[0].comment.id == comment.id
    assert comments.comment_threads(UserFactory(), idea, challenge).threads == []
    assert comments.comment_threads(UserFactory(is_moderator=True), idea, challenge).threads


def test_hidden_statuses_stay_out_of_lists_and_counts(session):
    challenge = ChallengeFactory()
    public = IdeaFactory(challenge=challenge)
    author = UserFactory()
    hidden = [IdeaFactory(challenge=challenge, status=s, author=author) for s in
              ("pending", "rejected", "hidden", "merged", "withdrawn")]
    visitor = UserFactory()
    for sort in listings.IDEA_SORTS:
        page = listings.list_ideas(visitor, challenge, sort=sort, seed=0)
        assert [i.id for i in page.ideas] == [public.id]
    assert challenge.idea_count == 1
    assert [i.id for i in listings.momentum_ideas()] == [public.id]
    assert listings.ideas_by_author(visitor, author) == []
    assert len(listings.ideas_by_author(author, author)) == len(hidden)


def test_random_order_is_stable_per_seed_and_walks_every_idea_once(session):
    challenge = ChallengeFactory()
    ideas = [IdeaFactory(challenge=challenge) for _ in range(45)]
    seed = sorted(i.random_key for i in ideas)[20]
    seen, cursor = [], {}
    while True:
        page = listings.list_ideas(None, challenge, sort="random", seed=seed, **cursor)
        seen += [i.id for i in page.ideas]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(i.id for i in ideas) and len(seen) == 45
    again = listings.list_ideas(None, challenge, sort="random", seed=seed)
    assert [i.id for i in again.ideas] == seen[:listings.IDEAS_PER_PAGE]
    assert seen[0] != min(ideas, key=lambda i: i.random_key).id  # starts at the seed, not the lowest key


def test_top_and_newest_sorts(session):
    challenge = ChallengeFactory()
    low = IdeaFactory(challenge=challenge, supporter_count=1, published_at=clock.now() - timedelta(days=2))
    high = IdeaFactory(challenge=challenge, supporter_count=50, published_at=clock.now() - timedelta(days=3))
    new = IdeaFactory(challenge=challenge, supporter_count=0, published_at=clock.now())
    assert [i.id for i in listings.list_ideas(None, challenge, sort="top").ideas] == [high.id, low.id, new.id]
    assert [i.id for i in listings.list_ideas(None, challenge, sort="newest").ideas] == [new.id, low.id, high.id]


def test_markdown_is_sanitized():
    html = render_markdown(
        '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> '
        '[ok](https://example.org) ![p](data:image/png;base64,AAAA)'
    )
    assert "<script" not in html and "<img" not in html and "data:image" not in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">ok</a>' in html
    assert "&lt;script&gt;" in html  # typed HTML is shown as text
    lite = render_markdown_lite("# Not a heading\n**bold**")
    assert "<h1>" not in lite and "<strong>bold</strong>" in lite


def test_day_start_is_midnight_utc():
    assert challenge_phases.day_start(date(2026, 1, 2)).isoformat() == "2026-01-02T00:00:00+00:00"
