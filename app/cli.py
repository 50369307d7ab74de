import click
from flask import current_app
from flask.cli import AppGroup

from app import jobs
from app.extensions import db

users_cli = AppGroup("users", help="Manage member accounts.")


@users_cli.command("create-admin")
@click.argument("username")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters; prompted for when omitted.")
def create_admin(username, email, password):
    """Create an admin account, or make an existing USERNAME an admin."""
    from app.auth import services

    try:
        user = services.create_admin(username, email, password)
    except services.AccountError as error:
        raise click.UsageError(f"{error.field}: {error.message}") from error
    db.session.commit()
    jobs.dispatch()
    click.echo(f"{user.username} is an admin.")


@click.command("seed-demo")
def seed_demo():
    """Load the demo accounts and content (does nothing when already loaded)."""
    from app import demo

    if not demo.seed_demo():
        click.echo("Demo data is already loaded.")
        return
    db.session.commit()
    jobs.dispatch()
    click.echo("Demo data loaded. Log in as ada (admin), moe (moderator), noah (moderator of the food-waste "
               f"challenge), olivia, mia, lea or sam with password {demo.DEMO_PASSWORD}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(jobs.queue_names()),
              help="Listen to these queues only (default: all). Give the search queue, with its long "
                   "rebuilds, a worker of its own so e-mail never waits behind it.")
@click.option("--simple", is_flag=True,
              help="Run jobs in the worker process instead of forking one per job: faster for many short jobs "
                   "(notifications, e-mail); a job that crashes the process is found again by the outbox's lease.")
def worker(burst, queues, simple):
    """Run an rq worker for Kindling's queues (needs REDIS_URL)."""
    from rq import SimpleWorker, Worker

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("Set REDIS_URL: without it, jobs already run in-process.")
    worker_class = SimpleWorker if simple else Worker
    worker_class(list(queues) or jobs.queue_names(), connection=jobs.redis_connection(blocking=True)).work(burst=burst)


@click.command("scheduler")
@click.option("--poll", default=5, show_default=True, help="Seconds between checks.")
def scheduler_command(poll):
    """Run the periodic jobs (phase changes, milestones, ...) forever."""
    from app import scheduler

    click.echo(f"Scheduling: {', '.join(sorted(scheduler.PERIODIC))}")
    scheduler.run_forever(current_app._get_current_object(), poll)


def register_commands(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(scheduler_command)
