"""Periodic jobs (config PERIODIC_JOBS: task path → seconds) enqueued by a small thread."""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class Scheduler:
    """Enqueues each periodic task every so many seconds, the first time at start. Running one in
    several processes is harmless: the periodic tasks are idempotent sweeps."""

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
        from lms.jobs import enqueue

        due = {path: 0.0 for path in self.jobs}
        while not self.stop.is_set():
            now = time.monotonic()
            for path, every in self.jobs.items():
                if now >= due[path]:
                    due[path] = now + every
                    try:
                        enqueue(path, app=self.app)
                    except Exception:  # Redis away for a moment: try again next round
                        log.exception("could not enqueue periodic job %s", path)
            self.stop.wait(1)
