"""Test data: one factory per model, variants by keyword (UserFactory(is_admin=True))."""
from functools import cache

import factory
from werkzeug.security import generate_password_hash

from app.auth.models import User
from app.auth.services import username_key
from app.extensions import db

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
