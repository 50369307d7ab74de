"""The welcome e-mail goes through a real SMTP server."""
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
    controller.stop()


def test_new_member_gets_one_welcome_email(client, smtp_server):
    client.post("/register", data={"username": "mailme", "email": "mailme@example.org", "password": "violet-lantern-harbor"})
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["mailme@example.org"]
    body = envelope.content.decode()
    assert "Subject: Welcome to Kindling" in body and "mailme" in body

    from app.auth.services import welcome_member

    user = db.session.scalar(select(User).where(User.username == "mailme"))
    welcome_member(user.id)  # a second run of the job sends nothing
    assert len(smtp_server.messages) == 1
