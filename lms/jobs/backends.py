"""Job backends: inline (tests), a thread in the web process (embedded), RQ on Redis (scale-out)."""
from __future__ import annotations

import logging
import queue as queue_mod
import re
import threading
import uuid

log = logging.getLogger(__name__)


def site_id(app) -> str:
    """A new id that starts with the site's REDIS_PREFIX, for RQ's job ids and worker names: RQ keeps each
    job at `rq:job:<id>` and each worker at `rq:worker:<name>`, so these keys name their site too (RQ allows
    letters, digits, `_` and `-` in them)."""
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", app.config["REDIS_PREFIX"])
    return f"{prefix}-{uuid.uuid4().hex}"


def run_task(app, path: str, args: tuple) -> None:
    """Run one task inside an app context with a fresh database session."""
    from lms.extensions import db
    from lms.jobs import resolve

    with app.app_context():
        try:
            resolve(path)(*args)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


class InlineBackend:
    """Runs each job at once in the calling thread (tests; deterministic)."""

    def __init__(self, app):
        self.app = app

    def enqueue(self, path: str, args: tuple, queue: str = "default", **options) -> None:
        run_task(self.app, path, args)


class ThreadBackend:
    """One daemon worker thread per process, fed by an in-memory queue (embedded default); jobs of the
    `later` queue (nobody waits for them: a lighter rendition of a ready video) have a thread of their
    own, so they never hold up processing, and their ffmpeg runs at the lowest priority.

    Jobs that must survive a restart record their state in the database and are re-queued at
    start-up by their domain; this queue itself is not durable.
    """

    def __init__(self, app):
        self.app = app
        self.queue: queue_mod.Queue = queue_mod.Queue()
        self.later: queue_mod.Queue = queue_mod.Queue()
        self.thread: threading.Thread | None = None
        self.later_thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def enqueue(self, path: str, args: tuple, queue: str = "default", **options) -> None:
        later = queue == "later"
        self._ensure_thread(later)
        (self.later if later else self.queue).put((path, args))

    def _ensure_thread(self, later: bool = False) -> None:
        with self.lock:
            if later:
                if self.later_thread is None or not self.later_thread.is_alive():
                    self.later_thread = threading.Thread(target=self._work, args=(self.later,),
                                                         name="lms-jobs-later", daemon=True)
                    self.later_thread.start()
            elif self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._work, args=(self.queue,), name="lms-jobs", daemon=True)
                self.thread.start()

    def _work(self, jobs: queue_mod.Queue) -> None:
        while True:
            path, args = jobs.get()
            try:
                run_task(self.app, path, args)
            except Exception:
                log.exception("job %s%r failed", path, args)
            finally:
                jobs.task_done()

    def join(self) -> None:
        """Wait until every queued job has run (used by tests and the CLI)."""
        self.queue.join()
        self.later.join()
        self.queue.join()  # a later job may have queued more


class RQBackend:
    """RQ queues named by purpose in Redis; `rq worker` processes run them (see README)."""

    def __init__(self, app):
        from redis import Redis
        from rq import Queue

        self.app = app
        self.redis = Redis.from_url(app.config["REDIS_URL"])
        self._queue_cls = Queue
        self.queues: dict[str, object] = {}

    def enqueue(self, path: str, args: tuple, queue: str = "default", **options) -> None:
        from lms.jobs import Queue
        from lms.jobs.worker import run

        queue = Queue(queue)
        q = self.queues.get(queue)
        if q is None:
            q = self.queues[queue] = self._queue_cls(queue.redis_name(self.app), connection=self.redis)
        options.setdefault("job_id", site_id(self.app))
        q.enqueue(run, str(path), list(args), **options)  # a plain string in Redis, not a pickled enum


def make_backend(app):
    name = app.config["JOBS_BACKEND"]
    if name == "inline":
        return InlineBackend(app)
    if name == "thread":
        return ThreadBackend(app)
    if name == "rq":
        if not app.config.get("REDIS_URL"):
            raise RuntimeError("JOBS_BACKEND=rq needs LMS_REDIS_URL")
        return RQBackend(app)
    raise RuntimeError(f"unknown JOBS_BACKEND {name!r}")
