"""A worker killed with SIGKILL in the middle of sending an e-mail: the e-mail still goes, exactly once."""
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from app import clock, create_app, jobs
from app.extensions import db
from app.outbox import OutboxJob
from notifications.models import OutgoingEmail
from notifications.services.delivery import notify
from tests.conftest import make_config
from tests.factories import UserFactory
from tests.notifications.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


class StallingInbox:
    """Holds the first message without answering (the worker dies meanwhile); accepts the next ones."""

    def __init__(self):
        self.stalled = threading.Event()
        self.accepted = []

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(3)
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope)
        return "250 OK"


def _children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.redis
def test_worker_killed_mid_email_sends_it_once_after_the_lease(tmp_path, redis_url):
    inbox = StallingInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    database = f"sqlite:///{tmp_path / 'killed.db'}"
    settings = dict(SQLALCHEMY_DATABASE_URI=database, REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1",
                    MAIL_PORT=smtp.port, SEARCH_INDEX_DIR=str(tmp_path / "index"))
    application = create_app(make_config(**settings))
    env = dict(os.environ, KINDLING_ENV="production", SECRET_KEY="test-secret-key-not-for-production",
               DATABASE_URL=database, REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port),
               SEARCH_INDEX_DIR=str(tmp_path / "index"))
    worker = None
    try:
        with application.app_context():
            db.create_all()
            member = UserFactory()
            notify([member.id], "replies", "Ada replied to your comment.", url="/")
            db.session.commit()
            jobs.dispatch()  # the send_email job goes to Redis
            worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app:create_app", "worker"], cwd=ROOT,
                                      env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            assert inbox.stalled.wait(60), "the worker never reached the SMTP server"
            # The worker and its work horse (rq forks it into a session of its own), mid-SMTP.
            for pid in [*_children(worker.pid), worker.pid]:
                os.kill(pid, signal.SIGKILL)
            worker.wait()
            worker = None
            email = db.session.scalars(select(OutgoingEmail)).one()
            row = db.session.scalars(select(OutboxJob).where(OutboxJob.name.like("%send_email"))).one()
            assert email.sent_at is None and row.status == "running"

            # The scheduler's drain finds the job once its lease has passed and hands it over again.
            assert jobs.drain() == 0
            later = clock.now() + timedelta(seconds=jobs.QUEUE_TIMEOUTS[jobs.DEFAULT_QUEUE]) + 2 * jobs.LEASE_MARGIN
            assert jobs.drain(now=later) == 1
            connection = Redis.from_url(redis_url)
            clock.freeze(later)
            SimpleWorker([Queue(jobs.DEFAULT_QUEUE, connection=connection)], connection=connection).work(burst=True)
            clock.freeze(None)
            db.session.expire_all()
            assert len(inbox.accepted) == 1
            assert db.session.get(OutgoingEmail, email.id).sent_at is not None
            assert db.session.get(OutboxJob, row.id).status == "done"
            message = inbox.accepted[0].content.decode()
            assert f"Message-ID: <kindling.email.{email.id}." in message
            time.sleep(0.1)
            db.session.remove()
            db.engine.dispose()
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGKILL)
        smtp.stop()
