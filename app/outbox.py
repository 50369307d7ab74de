"""The outbox: every job is a row written in the transaction that caused it.

A row is handed to rq (or run in-process) after that transaction commits.
If Redis is down the row simply waits; `app.jobs.drain()` hands it over
again later. A runner first claims the row with a lease (so a second
runner, or a second copy of the rq job, does nothing), then does the work
and marks the row done in the same transaction as the work itself.
"""
from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.extensions import db

STATUSES = ("pending", "running", "done", "failed")


class OutboxJob(db.Model):
    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_status_available_at", "status", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    args: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of ids
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # When the drain may hand a pending row over (again): a short grace after
    # commit, then the backoff after each failure.
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # A running row whose lease has passed was lost with its worker.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    # One row per due run of a periodic job, however many schedulers tick.
    run_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self):
        return f"<OutboxJob {self.id} {self.name} {self.status}>"
