"""Periodic jobs (config PERIODIC_JOBS, by default lms.jobs.SCHEDULE: task → seconds) run by a small thread."""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class Scheduler:
    """Runs each periodic task every so many seconds, the first time at start, in its own thread (they
    are short sweeps that enqueue the real work; running them here means they never wait behind a
    long job, whatever queues a worker listens to). Several processes running them is harmless:
    the sweeps are idempotent and a job is claimed by one worker only."""

    def __init__(self, app):
        self.app = app
        self.jobs: dict[str, int] = dict(app.config.get("PERIODIC_JOBS") or {})
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lms-scheduler", daemon=True)

    def start(self) -> Scheduler:
        if self.jobs:
            self.thread.start()
        return self

    def _run(self) -> None:
        from lms.jobs.backends import run_task

        due = {path: 0.0 for path in self.jobs}
        while not self.stop.is_set():
            now = time.monotonic()
            for path, every in self.jobs.items():
                if now >= due[path]:
                    due[path] = now + every
                    try:
                        run_task(self.app, path, ())
                    except Exception:  # the database or Redis away for a moment: next round
                        log.exception("periodic job %s failed", path)
            self.stop.wait(1)
