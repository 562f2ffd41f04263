"""`flask jobs …`: run an RQ worker for the app's queues, or the periodic jobs once."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("jobs", help="Background job workers.")


def _queues_option(ctx, param, value):
    from lms.jobs import Queue

    if value is None:
        return list(Queue)
    try:
        return Queue.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@cli.command("worker")
@click.option("--queues", default=None, callback=_queues_option, metavar="NAMES",
              help="Comma-separated queue names, served in that order (default: every queue, "
                   "in priority order: mail, default, media, later).")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="Also enqueue the periodic jobs (sweeps and clean-up) from this worker.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: list, scheduler: bool, burst: bool) -> None:
    """Run an RQ worker (JOBS_BACKEND=rq, LMS_REDIS_URL set) on every queue, or on --queues, one job
    at a time.

    Start as many as the machines allow, on any host that reaches Redis, the database and the
    storage. Jobs run in this process (RQ's SimpleWorker): forking a work horse while the
    scheduler thread holds a database connection could leave the child waiting on a lock copied
    in its held state. The heavy work is ffmpeg, a subprocess with its own limits anyway.
    """
    from rq import Queue as RQQueue, SimpleWorker

    from lms.jobs.backends import RQBackend, site_id
    from lms.jobs.scheduler import Scheduler
    from lms.jobs.worker import use_app

    app = current_app._get_current_object()
    backend = app.extensions["lms_jobs"]
    if not isinstance(backend, RQBackend):
        raise click.ClickException("set LMS_JOBS_BACKEND=rq and LMS_REDIS_URL to run a worker")
    use_app(app)
    rq_queues = [RQQueue(queue.redis_name(app), connection=backend.redis) for queue in queues]
    if scheduler:
        Scheduler(app).start()
    SimpleWorker(rq_queues, connection=backend.redis, name=site_id(app)).work(burst=burst, logging_level="INFO")


@cli.command("queues")
@click.option("--queues", default=None, callback=_queues_option, metavar="NAMES",
              help="Comma-separated purposes (default: every queue).")
def queues_command(queues: list) -> None:
    """Print this site's queue names in Redis, in priority order, on one line (for `rq worker`)."""
    click.echo(" ".join(queue.redis_name() for queue in queues))


@cli.command("periodic")
def periodic() -> None:
    """Run every periodic job once, now, in this process (for cron or a check by hand)."""
    from lms.jobs.backends import run_task

    app = current_app._get_current_object()
    for path in app.config.get("PERIODIC_JOBS") or {}:
        run_task(app, path, ())
        click.echo(f"ran {path}")
