"""One way to run work in the background, and to defer side effects until the request commits.

Backends (config JOBS_BACKEND):
- ``thread``: a worker thread in the web process (embedded default);
- ``rq``: RQ queues in Redis, run by ``rq worker`` processes on any host;
- ``inline``: run at once in the calling thread, after the commit (tests).

A task is a plain function in some ``lms.<domain>.tasks`` module taking ids; it is named by its
dotted path so every backend can find it. It runs on one of the queues of `Queue`, the one list
that producers and ``flask jobs worker`` share.
"""
from __future__ import annotations

import enum
import importlib
import threading
from typing import Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.extensions import db

_PENDING = "lms_after_commit"
_scheduler_lock = threading.Lock()


class Queue(enum.StrEnum):
    """Every job queue, in the order a worker serves them (RQ takes from the first non-empty one):
    mail first, because a person waits for it (a password reset) and it takes milliseconds;
    transcoding last, because one job can take minutes and must not hold up the rest."""

    mail = "mail"
    default = "default"
    media = "media"

    @property
    def redis_name(self) -> str:
        """The RQ queue's name in Redis (shared with other apps, hence the prefix)."""
        return f"lms-{self.value}"

    @classmethod
    def parse(cls, names: str) -> list[Queue]:
        """Queues from a comma-separated list ("media,default"); raises ValueError naming an unknown one."""
        queues = []
        for name in (n.strip() for n in names.split(",")):
            if not name:
                continue
            try:
                queue = cls(name.removeprefix("lms-"))
            except ValueError:
                known = ", ".join(q.value for q in cls)
                raise ValueError(f"unknown queue {name!r}; the queues are {known}") from None
            if queue not in queues:
                queues.append(queue)
        if not queues:
            raise ValueError("no queue named")
        return queues


def task_path(func: Callable | str) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}:{func.__qualname__}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current database transaction commits; drop it on rollback.

    Side effects (mail, jobs, Socket.IO pushes) go through here, so nothing ever refers to a row
    that was not committed.
    """
    session = db.session()
    session.info.setdefault(_PENDING, []).append(callback)


def enqueue_after_commit(func: Callable | str, *args, queue: Queue = Queue.default, **options) -> None:
    """Enqueue task `func(*args)` on `queue` once the current transaction commits. Raises ValueError
    at once (not after the commit) for a queue that is not in `Queue`."""
    queue = Queue(queue)
    path = task_path(func)
    app = current_app._get_current_object()
    after_commit(lambda: enqueue(path, *args, queue=queue, app=app, **options))


def enqueue(func: Callable | str, *args, queue: Queue = Queue.default, app=None, **options) -> None:
    """Enqueue task `func(*args)` now, on the configured backend. Raises ValueError for a queue
    that is not in `Queue`."""
    app = app or current_app._get_current_object()
    backend = app.extensions["lms_jobs"]
    backend.enqueue(task_path(func), args, queue=Queue(queue), **options)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_PENDING, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a side effect must not undo or hide a committed change
            current_app.logger.exception("after-commit callback failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def init_app(app) -> None:
    from lms.jobs.backends import make_backend

    app.extensions["lms_jobs"] = make_backend(app)
    # Serving processes start the periodic jobs with their first request, so `flask` commands
    # (migrations, shells) never run them.
    app.before_request(lambda: start_scheduler(app))


def start_scheduler(app) -> None:
    """Run the periodic jobs from this process when it also runs the jobs (embedded default).
    With RQ the workers do it (`flask jobs worker`); tests switch it off (JOBS_SCHEDULER)."""
    if "lms_scheduler" in app.extensions or not app.config.get("JOBS_SCHEDULER"):
        return  # the common case on every request: nothing to do
    from lms.jobs.backends import ThreadBackend
    from lms.jobs.scheduler import Scheduler

    if isinstance(app.extensions["lms_jobs"], ThreadBackend):
        with _scheduler_lock:
            if "lms_scheduler" not in app.extensions:
                app.extensions["lms_scheduler"] = Scheduler(app).start()
