"""Entry point for RQ workers: one app per worker process, reused by every job it runs."""
from __future__ import annotations

import os

_app = None
_app_pid: int | None = None


def use_app(app) -> None:
    """Run jobs in `app` (the `flask jobs worker` command passes its own)."""
    global _app, _app_pid
    _app, _app_pid = app, os.getpid()


def get_app():
    global _app, _app_pid
    if _app is None:
        from lms import create_app

        use_app(create_app())
    elif _app_pid != os.getpid():
        # RQ forks a work horse per job: database connections inherited from the parent must not be
        # shared with it, so the child opens its own (and leaves the parent's sockets alone).
        from lms.extensions import db

        with _app.app_context():
            db.engine.dispose(close=False)
        _app_pid = os.getpid()
    return _app


def run(path: str, args: list) -> None:
    """Run task `path` with `args` inside the worker's app (called by RQ)."""
    from lms.jobs.backends import run_task

    run_task(get_app(), path, tuple(args))
