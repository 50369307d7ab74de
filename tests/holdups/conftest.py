"""Hold-up test data: a published hold-up challenge with its details, made through the service."""
from datetime import time, timedelta

import pytest

from app import clock
from app.extensions import db
from challenges.holdups.services import setup
from tests.factories import ChallengeFactory, UserFactory


def make_holdup(owner=None, capacity=15, days_ahead=7, facilitator=None, public_can_watch=True, **fields):
    owner = owner or UserFactory()
    challenge = ChallengeFactory(owner=owner, format="holdup", **fields)
    day = (clock.now() + timedelta(days=days_ahead)).date()
    holdup = setup.save_holdup(owner, challenge, day=day, at=time(18, 30), time_zone="Europe/Paris",
                               capacity=capacity, place="La Ruche, 24 rue de l'Est, Paris",
                               online_link="https://meet.example.org/holdup",
                               facilitator_username=facilitator.username if facilitator else "",
                               public_can_watch=public_can_watch)
    db.session.flush()
    return challenge, holdup


@pytest.fixture
def holdup_pair(session):
    return make_holdup()


def accept(user, challenge):
    from challenges.services.screening import accept_norms

    accept_norms(user, challenge)
