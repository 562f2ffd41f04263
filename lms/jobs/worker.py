"""Entry point for RQ workers: builds the app once per worker process and runs tasks in it."""
from __future__ import annotations

_app = None


def get_app():
    global _app
    if _app is None:
        from lms import create_app

        _app = create_app()
    return _app


def run(path: str, args: list) -> None:
    """Run task `path` with `args` inside the worker's app (called by RQ)."""
    from lms.jobs.backends import run_task

    run_task(get_app(), path, tuple(args))
