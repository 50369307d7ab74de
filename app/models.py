"""Imports every model so Alembic and create_all see the whole schema."""
from app.auth.models import User, user_interests, user_skills  # noqa: F401
from app.tags import Tag  # noqa: F401
