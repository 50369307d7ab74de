"""Notifications tests: a real SMTP server (aiosmtpd) and helpers that act through the services."""
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app import jobs
from app.extensions import db
from notifications.models import Notification, OutgoingEmail


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]

    def to(self, address):
        return [m for m, e in zip(self.messages, self.envelopes, strict=True) if address in e.rcpt_tos]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield handler
    app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
    controller.stop()


def commit():
    """What a request does at its end: commit, then hand the outbox's new jobs over (in-process here)."""
    db.session.commit()
    jobs.dispatch()


def notifications_of(user):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def messages_of(user):
    return [n.message for n in notifications_of(user)]


def emails_of(user):
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.user_id == user.id)
                              .order_by(OutgoingEmail.id)).all()
