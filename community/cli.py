import time

import click
from flask.cli import AppGroup

from app import jobs
from app.extensions import db

insights_cli = AppGroup("insights", help="Community insights: rollups, badges, contributors of the month.")


@insights_cli.command("rebuild")
def rebuild():
    """Recompute every rollup from the content tables."""
    from community.services import rollups

    started = time.perf_counter()
    days = rollups.rebuild()
    db.session.commit()
    jobs.dispatch()
    click.echo(f"Rolled up {days} days in {time.perf_counter() - started:.1f} s.")


@insights_cli.command("tick")
def tick():
    """Run the periodic jobs once: rollup (every 10 minutes), badges and contributor proposals (hourly)."""
    from community import jobs as community_jobs

    started = time.perf_counter()
    community_jobs.rollup()
    community_jobs.recognise()
    db.session.commit()
    jobs.dispatch()
    click.echo(f"Done in {time.perf_counter() - started:.1f} s.")
