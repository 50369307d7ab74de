"""Role x state x action: app.permissions against the table in expected.txt.

Every cell is asked of the gatekeeper itself, so what a route, a template
or a service shows follows from the same answers.
"""
from datetime import timedelta
from pathlib import Path

from flask_login import AnonymousUserMixin

from app import clock, permissions
from app.extensions import db
from challenges.models import ChallengeModerator, PendingEdit
from tests.factories import ChallengeFactory, CommentFactory, IdeaFactory, UserFactory

TABLE = Path(__file__).with_name("expected.txt")
PHASES = ("draft", "submission", "voting", "review", "results", "closed")
IDEA_STATES = ("published", "pending", "hidden", "rejected", "merged", "withdrawn")
COMMENT_STATES = ("published", "pending", "hidden", "deleted")


def read_table():
    rows = [line.split() for line in TABLE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    header = next(line for line in TABLE.read_text().splitlines() if line.startswith("# state"))
    roles = header.lstrip("#").split()[2:]
    return roles, {(state, action): dict(zip(roles, marks, strict=True)) for state, action, *marks in rows}


def make_people(challenges):
    people = {
        "visitor": AnonymousUserMixin(),
        "newcomer": UserFactory(),
        "member": UserFactory(created_at=clock.now() - timedelta(days=90)),
        "owner": UserFactory(),
        "appointed": UserFactory(),
        "site_mod": UserFactory(is_moderator=True),
        "admin": UserFactory(is_admin=True, is_moderator=True),
        "suspended": UserFactory(suspended_until=clock.now() + timedelta(days=3), suspension_reason="Spam"),
        "author": UserFactory(),
    }
    for challenge in challenges:
        challenge.owner_id = people["owner"].id
        db.session.add(ChallengeModerator(challenge_id=challenge.id, user_id=people["appointed"].id))
    db.session.flush()
    return people


def challenge_in(phase):
    return ChallengeFactory(phase=phase, is_open=True, voting_at=None,
                            submission_at=clock.now() - timedelta(days=3))


CHALLENGE_ACTIONS = {
    "view": lambda u, c: permissions.can_view_challenge(u, c),
    "manage": lambda u, c: permissions.can_manage_challenge(u, c),
    "submit": lambda u, c: permissions.can_submit_idea(u, c),
    "results": lambda u, c: permissions.can_view_challenge(u, c) and permissions.can_see_results(u, c),
    "review": lambda u, c: permissions.can_review_ideas(u, c),
    "moderate": lambda u, c: permissions.can_moderate(u, c.id),
    "appoint": lambda u, c: permissions.can_appoint_moderators(u, c),
}


def edit_actions(user, item, challenge):
    """Seeing and deciding an edit the item's author is waiting on (issue 14, item 7)."""
    waiting = PendingEdit(author_id=item.author_id, challenge_id=challenge.id)
    return {
        "see_edit": lambda: permissions.can_see_pending_edit(user, item.author_id, challenge.id),
        "decide_edit": lambda: permissions.can_decide_edit(user, waiting),
    }


def idea_action(name, user, idea, challenge):
    seen = permissions.can_view_idea(user, idea, challenge)
    return {
        "view": lambda: seen,
        "edit": lambda: seen and permissions.can_edit_idea(user, idea),
        "withdraw": lambda: seen and permissions.can_withdraw_idea(user, idea),
        "comment": lambda: seen and permissions.can_comment(user, idea, challenge),
        "support": lambda: seen and permissions.can_support(user, idea, challenge),
        "flag": lambda: seen and permissions.can_flag(user, idea.author_id, idea.status),
        "decide": lambda: permissions.can_decide(user, idea.author_id, challenge.id),
        "appeal": lambda: seen and permissions.can_appeal(user, idea.author_id, idea.status),
        **edit_actions(user, idea, challenge),
    }[name]()


def comment_action(name, user, comment, challenge):
    seen = permissions.can_view_comment(user, comment, challenge.id)
    return {
        "view": lambda: seen,
        "edit": lambda: seen and permissions.can_edit_comment(user, comment),
        "delete": lambda: seen and permissions.can_delete_comment(user, comment),
        "flag": lambda: seen and permissions.can_flag(user, comment.author_id, comment.status),
        "decide": lambda: permissions.can_decide(user, comment.author_id, challenge.id),
        **edit_actions(user, comment, challenge),
    }[name]()


def test_every_role_state_and_action_is_decided_as_the_table_says(session):
    roles, expected = read_table()
    challenges = {phase: challenge_in(phase) for phase in PHASES}
    people = make_people(challenges.values())
    pool = challenges["submission"]
    ideas = {state: IdeaFactory(challenge=pool, author=people["author"], status=state) for state in IDEA_STATES}
    host = ideas["published"]
    comments = {state: CommentFactory(idea=host, author=people["author"], status=state) for state in COMMENT_STATES}
    db.session.flush()

    differences = []
    for (state, action), marks in expected.items():
        kind, name = state.split(":")
        for role in roles:
            user = people[role]
            if kind == "challenge":
                answer = CHALLENGE_ACTIONS[action](user, challenges[name])
            elif kind == "idea":
                answer = idea_action(action, user, ideas[name], pool)
            else:
                answer = comment_action(action, user, comments[name], pool)
            if ("Y" if answer else "-") != marks[role]:
                differences.append(f"{state} {action} {role}: expected {marks[role]}, got {'Y' if answer else '-'}")
    assert differences == []


def test_a_refusal_carries_the_reason_a_person_reads(session):
    idea = IdeaFactory()
    refused = permissions.can_support(idea.author, idea, idea.challenge)
    assert not refused and refused.reason == "You cannot support your own idea."
    suspended = UserFactory(suspended_until=clock.now() + timedelta(days=1))
    assert "suspended" in permissions.can_comment(suspended, idea, idea.challenge).reason
