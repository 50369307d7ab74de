"""Test data: one factory per model, variants by keyword (UserFactory(is_admin=True))."""
from functools import cache

import factory
from werkzeug.security import generate_password_hash

from app.auth.models import User
from app.auth.services import username_key
from app.extensions import db
from challenges.models import IDEA_PUBLIC, Challenge, Comment, Idea

PASSWORD = "a-test-password-42"


@cache
def _password_hash():
    # Hashing is deliberately slow; every factory user shares one hash.
    return generate_password_hash(PASSWORD)


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"member{n}")
    username_key = factory.LazyAttribute(lambda o: username_key(o.username))
    email = factory.LazyAttribute(lambda o: f"{o.username.lower()}@example.org")
    display_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    password_hash = factory.LazyFunction(_password_hash)


def _days(n):
    from datetime import timedelta

    from app import clock

    return clock.now() + timedelta(days=n)


class ChallengeFactory(BaseFactory):
    """A published challenge taking ideas; ChallengeFactory(phase="draft") for a draft."""

    class Meta:
        model = Challenge

    owner = factory.SubFactory(UserFactory)
    owner_id = factory.LazyAttribute(lambda o: o.owner.id)
    title = factory.Sequence(lambda n: f"How might we cut food waste in district {n}?")
    slug = factory.Sequence(lambda n: f"challenge-{n}")
    summary = "Restaurants and markets throw away good food every evening."
    problem = "Every evening **good food** is thrown away."
    problem_html = "<p>Every evening <strong>good food</strong> is thrown away.</p>"
    norms = "Be kind. Build on others' ideas."
    norms_html = "<p>Be kind. Build on others' ideas.</p>"
    format = "challenge"
    is_open = False
    moderation_policy = "post"
    phase = "submission"
    submission_at = factory.LazyFunction(lambda: _days(-1))
    voting_at = factory.LazyFunction(lambda: _days(30))
    review_at = factory.LazyFunction(lambda: _days(60))
    results_at = factory.LazyFunction(lambda: _days(90))
    published_at = factory.LazyFunction(lambda: _days(-1))
    phase_changed_at = factory.LazyFunction(lambda: _days(-1))

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs.pop("owner", None)
        return kwargs


def _render(text, lite=False):
    from app.markdown import render_markdown, render_markdown_lite

    return (render_markdown_lite if lite else render_markdown)(text)


class IdeaFactory(BaseFactory):
    """A published idea; IdeaFactory(status="hidden") for any other status.

    Counters on the challenge are kept right for public ideas, as the
    services would.
    """

    class Meta:
        model = Idea

    challenge = factory.SubFactory(ChallengeFactory)
    challenge_id = factory.LazyAttribute(lambda o: o.challenge.id)
    author = factory.SubFactory(UserFactory)
    author_id = factory.LazyAttribute(lambda o: o.author.id)
    title = factory.Sequence(lambda n: f"Share leftover bread number {n} with neighbours")
    description = "A shared fridge in each building, stocked by bakeries at closing time."
    # The rendered text follows the description, as the service renders it.
    description_html = factory.LazyAttribute(lambda o: _render(o.description))
    status = "published"
    random_key = factory.Sequence(lambda n: (n * 2654435761) % 2**31)
    published_at = factory.LazyFunction(lambda: _days(0))

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        challenge = kwargs.pop("challenge")
        kwargs.pop("author", None)
        if kwargs.get("status", "published") in IDEA_PUBLIC:
            challenge.idea_count += 1
        return kwargs


class CommentFactory(BaseFactory):
    class Meta:
        model = Comment

    idea = factory.SubFactory(IdeaFactory)
    idea_id = factory.LazyAttribute(lambda o: o.idea.id)
    author = factory.SubFactory(UserFactory)
    author_id = factory.LazyAttribute(lambda o: o.author.id)
    body = "What about the markets on Sunday?"
    body_html = factory.LazyAttribute(lambda o: _render(o.body, lite=True))
    status = "published"
    depth = 0

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        idea = kwargs.pop("idea")
        kwargs.pop("author", None)
        if kwargs.get("status", "published") == "published":
            idea.comment_count += 1
        return kwargs
