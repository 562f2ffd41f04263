"""One way to run work in the background, and to defer side effects until the request commits.

Backends (config JOBS_BACKEND):
- ``thread``: a worker thread in the web process (embedded default);
- ``rq``: RQ queues in Redis, run by ``rq worker`` processes on any host;
- ``inline``: run at once in the calling thread, after the commit (tests).

A task is a plain function in some ``lms.<domain>.tasks`` module taking ids; it is named by its
dotted path so every backend can find it, and that path is written once, in `Task` (producers pass
the member or the function itself; the schedule in lms/config.py names members). It runs on one of
the queues of `Queue`, the one list that producers and ``flask jobs worker`` share.
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
_ON_ROLLBACK = "lms_after_rollback"
_scheduler_lock = threading.Lock()


class Queue(enum.StrEnum):
    """Every job queue, in the order a worker serves them (RQ takes from the first non-empty one):
    mail first, because a person waits for it (a password reset) and it takes milliseconds;
    transcoding after the rest, because one job can take minutes and must not hold up the rest;
    `later` last: work nobody waits for (the lighter rendition of a video that is already ready),
    run only when nothing else is queued (the embedded backend gives it a thread of its own)."""

    mail = "mail"
    default = "default"
    media = "media"
    later = "later"

    def redis_name(self, app=None) -> str:
        """The RQ queue's name in Redis: the site's REDIS_PREFIX, a dash, the purpose
        ("lms-1a2b3c4d-mail"), so two sites on one Redis never take each other's jobs."""
        app = app or current_app
        return f"{app.config['REDIS_PREFIX']}-{self.value}"

    @classmethod
    def parse(cls, names: str) -> list[Queue]:
        """Queues from a comma-separated list of purposes ("media,default") or Redis names (the part
        after the last dash counts); raises ValueError naming an unknown one."""
        queues = []
        for name in (n.strip() for n in names.split(",")):
            if not name:
                continue
            try:
                queue = cls(name.rpartition("-")[2])
            except ValueError:
                known = ", ".join(q.value for q in cls)
                raise ValueError(f"unknown queue {name!r}; the queues are {known}") from None
            if queue not in queues:
                queues.append(queue)
        if not queues:
            raise ValueError("no queue named")
        return queues


class Task(enum.StrEnum):
    """Every task a producer may enqueue or the schedule may run, by its path ("module:function").
    Written here once, so no call site spells a path; jobs only names them (nothing is imported
    until a worker runs one)."""

    deliver_mail = "lms.core.mail:deliver"
    process_media = "lms.uploads.tasks:process_media"
    make_standard_rendition = "lms.uploads.tasks:make_standard_rendition"
    sweep_media = "lms.uploads.tasks:sweep_media"
    cleanup_uploads = "lms.uploads.tasks:cleanup_uploads"
    purge_sessions = "lms.accounts.tasks:purge_sessions"
    run_review_rounds = "lms.reviews.tasks:run_review_rounds"
    remind_review_tasks = "lms.reviews.reviewing:remind_review_tasks"
    fan_out_notifications = "lms.notifications.tasks:fan_out_notifications"
    send_notification_mail = "lms.notifications.tasks:send_notification_mail"
    send_notification_digests = "lms.notifications.tasks:send_notification_digests"
    remind_due_assignments = "lms.homework.tasks:remind_due_assignments"
    publish_notices = "lms.feed.notices.tasks:publish_notices"
    make_replay = "lms.live.replay:make_replay"
    sweep_live = "lms.live.tasks:sweep_live"
    apply_roster_import = "lms.roster_sync.tasks:apply_roster_import"
    purge_roster_previews = "lms.roster_sync.tasks:purge_roster_previews"
    sweep_checkins = "lms.checkins.tasks:sweep_checkins"
    lti_grades_released = "lms.lti.tasks:grades_released"
    lti_send_grades = "lms.lti.tasks:send_grades"
    lti_retry_grades = "lms.lti.tasks:retry_grade_passback"
    lti_sync_rosters = "lms.lti.tasks:sync_rosters"
    lti_sync_roster = "lms.lti.tasks:sync_roster"
    lti_withdraw_keys = "lms.lti.tasks:withdraw_tool_keys"
    purge_file_trash = "lms.files.tasks:purge_file_trash"
    escalate_reports = "lms.moderation.tasks:escalate_reports"


#: The periodic jobs (config PERIODIC_JOBS, when set, replaces it): task → seconds between runs.
SCHEDULE: dict[Task, int] = {
    Task.sweep_media: 30,
    Task.cleanup_uploads: 3600,
    Task.purge_sessions: 3600,
    Task.run_review_rounds: 60,  # peer review allocated when its window opens, later rounds hourly
    Task.remind_review_tasks: 900,  # unfinished review tasks, a day before the window closes (once each)
    Task.send_notification_mail: 60,  # mail held through quiet hours
    Task.send_notification_digests: 300,  # each person's digest soon after their hour
    Task.remind_due_assignments: 900,  # "due within 24 hours", once per person and assignment
    Task.publish_notices: 60,  # scheduled notices published, must-read deadlines reminded and escalated
    Task.sweep_live: 30,  # live lessons: "starts in N minutes" reminders, reconnect grace periods ended
    Task.purge_roster_previews: 3600,  # roster zips of previews never applied, after a day
    Task.sweep_checkins: 60,  # check-ins: each member's daily reminder at the time they chose
    Task.lti_retry_grades: 60,  # LMS gradebook passbacks whose backoff is over
    Task.lti_sync_rosters: 6 * 3600,  # linked LMS courses' rosters (NRPS): adds and drops
    Task.lti_withdraw_keys: 3600,  # rotated-out LTI tool keys past their time leave the JWKS
    Task.purge_file_trash: 3600,  # circle files in the trash for 30 days deleted for good (objects after the commit)
    Task.escalate_reports: 60,  # moderation: reports waiting past MODERATION_ESCALATE_MINUTES, admins reminded
}


def task_path(func: Callable | str) -> Task:
    """The `Task` of a function or path. Raises ValueError at once for one that is not in `Task`,
    so a misspelt path fails in the request instead of in a worker minutes later."""
    path = func if isinstance(func, str) else f"{func.__module__}:{func.__qualname__}"
    try:
        return Task(path)
    except ValueError:
        raise ValueError(f"unknown task {path!r}: add it to lms.jobs.Task") from None


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


def after_rollback(callback: Callable[[], None]) -> None:
    """Run `callback` if the current database transaction rolls back; drop it on commit (undo work
    done outside the database for a change that did not happen, e.g. a file stored for it)."""
    session = db.session()
    session.info.setdefault(_ON_ROLLBACK, []).append(callback)


def delete_stored_after_commit(key: str) -> None:
    """Delete the stored object `key` once the transaction that stops referring to it commits. On a
    rollback the row still names it, so it stays: a failed request never loses the old file."""
    from lms.storage import get_storage

    storage = get_storage()
    after_commit(lambda: storage.delete(key))


def discard_stored_on_rollback(key: str) -> None:
    """Delete the stored object `key`, just written for the current transaction, if that transaction
    rolls back (nothing will ever refer to it)."""
    from lms.storage import get_storage

    storage = get_storage()
    after_rollback(lambda: storage.delete(key))


def enqueue_after_commit(func: Callable | str, *args, queue: Queue = Queue.default, **options) -> None:
    """Enqueue task `func(*args)` on `queue` once the current transaction commits. Raises ValueError
    at once (not after the commit) for a queue that is not in `Queue`."""
    queue = Queue(queue)
    path = task_path(func)  # checked now, not after the commit
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
    session.info.pop(_ON_ROLLBACK, None)
    _run(session.info.pop(_PENDING, []), "after-commit")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        _run(session.info.pop(_ON_ROLLBACK, []), "after-rollback")


@event.listens_for(Session, "after_transaction_end")
def _end_without_commit(session: Session, transaction) -> None:
    # A transaction closed without a commit (a failed commit, then the request's session removed) did
    # not happen either; after a commit both lists are already empty.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        _run(session.info.pop(_ON_ROLLBACK, []), "after-rollback")


def _run(callbacks: list[Callable[[], None]], when: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a side effect must not undo or hide what the database did
            current_app.logger.exception("%s callback failed", when)


def init_app(app) -> None:
    from lms.jobs.backends import make_backend

    app.extensions["lms_jobs"] = make_backend(app)
    # A misspelt scheduled task stops the app at start, not a sweep that silently never runs.
    schedule = app.config.get("PERIODIC_JOBS")
    app.config["PERIODIC_JOBS"] = {task_path(path): every
                                   for path, every in (SCHEDULE if schedule is None else schedule).items()}
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
