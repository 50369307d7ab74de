"""Support, withdraw, time and the milestone job, checked against a plain model."""
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import clock
from app.extensions import db
from tests.factories import ChallengeFactory, UserFactory
from tests.voting.helpers import voting_idea
from voting.models import IdeaMilestone, Support
from voting.services import errors, milestones, supports

LADDER = [(2, 3), (3, 4)]  # 2 supporters within 3 days, then 3 within 4 more
MEMBERS, IDEAS = 4, 2

steps = st.one_of(
    st.tuples(st.just("support"), st.integers(0, MEMBERS - 1), st.integers(0, IDEAS - 1)),
    st.tuples(st.just("withdraw"), st.integers(0, MEMBERS - 1), st.integers(0, IDEAS - 1)),
    st.tuples(st.just("wait"), st.integers(1, 3), st.just(0)),
    st.tuples(st.just("tick"), st.just(0), st.just(0)),
)


class Model:
    def __init__(self, authors):
        self.supporters = [set() for _ in range(IDEAS)]
        self.reached = [0] * IDEAS
        self.deadline = [LADDER[0][1]] * IDEAS  # days from the start
        self.status = ["published"] * IDEAS
        self.authors = authors
        self.day = 0

    def support(self, m, i):
        if m == self.authors[i] or self.status[i] != "published" or self.day > self.deadline[i]:
            return False
        if m in self.supporters[i]:
            return False
        self.supporters[i].add(m)
        while self.reached[i] < len(LADDER) and len(self.supporters[i]) >= LADDER[self.reached[i]][0]:
            self.reached[i] += 1
            if self.reached[i] < len(LADDER):
                self.deadline[i] += LADDER[self.reached[i]][1]
        if self.reached[i] == len(LADDER):
            self.status[i] = "in_review"
        return True

    def withdraw(self, m, i):
        if self.status[i] != "published" or m not in self.supporters[i]:
            return False
        self.supporters[i].discard(m)
        return True

    def tick(self):
        for i in range(IDEAS):
            if self.status[i] == "published" and self.day > self.deadline[i]:
                self.status[i] = "expired"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(steps, max_size=30))
def test_supports_and_milestones_follow_the_model(session, program):
    start = clock.now().replace(hour=12, minute=0, second=0, microsecond=0)
    clock.freeze(start)
    members = [UserFactory() for _ in range(MEMBERS)]
    challenge = ChallengeFactory(is_open=True, voting_at=None, submission_at=start - timedelta(days=1))
    milestones.set_ladder(challenge.owner, challenge, LADDER)
    # Member 0 wrote idea 0: they can never support it.
    ideas = [voting_idea(challenge=challenge, author=members[0], published_at=start),
             voting_idea(challenge=challenge, published_at=start)]
    model = Model(authors=[0, None])
    for action, a, b in program:
        if action == "wait":
            model.day += a
            clock.freeze(start + timedelta(days=model.day))
        elif action == "tick":
            model.tick()
            milestones.start_ladders()
            milestones.tick_milestones()
        elif action == "support":
            expected = model.support(a, b)
            try:
                done = supports.support_idea(members[a], ideas[b], challenge)
            except errors.VotingError:
                done = False
            assert done == expected, (action, a, b, model.day)
        else:
            expected = model.withdraw(a, b)
            try:
                done = supports.withdraw_support(members[a], ideas[b], challenge)
            except errors.VotingError:
                done = False
            assert done == expected, (action, a, b)
    for i, idea in enumerate(ideas):
        rows = {s.user_id for s in db.session.query(Support).filter_by(idea_id=idea.id)}
        assert rows == {members[m].id for m in model.supporters[i]}
        assert idea.supporter_count == len(rows)
        assert idea.status == model.status[i]
        milestone = db.session.get(IdeaMilestone, idea.id)
        assert (milestone.reached if milestone else 0) == model.reached[i]
    clock.freeze(None)
