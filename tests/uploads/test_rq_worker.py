"""Processing through RQ on the real Redis, in `flask jobs worker` processes; a worker killed mid-job."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import Queue
from lms.jobs.backends import RQBackend
from lms.storage import get_storage
from lms.uploads.models import Media, MediaState
from tests.fixtures.live import ROOT
from tests.fixtures.services import live_redis
from tests.media.tools import ffmpeg


#: the site's Redis prefix, the worker's and the producer's (its queue names start with it)
PREFIX = "lms-rq-test"


@pytest.fixture
def redis_for_jobs() -> str:
    return live_redis()


def _worker(app, url: str, log_path=None) -> subprocess.Popen:
    env = {
        **os.environ,
        "LMS_JOBS_BACKEND": "rq",
        "LMS_REDIS_URL": url,
        "LMS_REDIS_PREFIX": PREFIX,
        "LMS_SECRET_KEY": app.config["SECRET_KEY"],
        "LMS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_STORAGE_ROOT": app.config["STORAGE_ROOT"],
        "LMS_CONFIG_JSON": json.dumps({"MEDIA_STALE_SECONDS": 3, "MEDIA_HEARTBEAT_SECONDS": 1,
                                       "PERIODIC_JOBS": {"lms.uploads.tasks:sweep_media": 1}}),
    }
    log = open(log_path or os.devnull, "ab")
    with log:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--queues",
                                 "media"], cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (RQ's work horse puts itself in a process group of its own)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop(proc: subprocess.Popen) -> None:
    """Kill the worker and everything it started at once, as when its host goes down."""
    for pid in [proc.pid, *_descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _uploaded(owner, path) -> Media:
    media = Media(owner_id=owner.id, state=MediaState.uploaded, filename=path.name, bytes=path.stat().st_size,
                  original_key=f"media/rq-{path.stem}-{time.time_ns()}/original", max_seconds=600,
                  received_at=utcnow())
    get_storage().put_file(media.original_key, path)
    db.session.add(media)
    db.session.commit()
    return media


def _wait_for(media: Media, predicate, timeout: float) -> Media:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        db.session.refresh(media)
        if predicate(media):
            return media
        time.sleep(0.2)
    raise AssertionError(f"media {media.id} still {media.state} (progress {media.progress}) after {timeout} s")


def _enqueue(url: str, media: Media) -> None:
    RQBackend(SimpleNamespace(config={"REDIS_URL": url, "REDIS_PREFIX": PREFIX})).enqueue(
        "lms.uploads.tasks:process_media", (media.id,), queue=Queue.media)


def test_rq_worker_processes_an_upload(app, make, clips, redis_for_jobs):
    """Does a job queued in Redis get processed by a separate worker process, ending ready?"""
    media = _uploaded(make.user(), clips.valid)
    worker = _worker(app, redis_for_jobs)
    try:
        _enqueue(redis_for_jobs, media)
        _wait_for(media, lambda m: m.state in (MediaState.ready, MediaState.failed), 60)
    finally:
        _stop(worker)
    assert media.state == MediaState.ready and media.attempts == 1
    assert get_storage().exists(media.mp4_key)


def test_worker_killed_mid_job_is_retried_and_finishes(app, make, tmp_path, redis_for_jobs):
    """When the worker is killed while transcoding, does another worker pick the item up (after its
    heartbeat goes stale) and finish it?"""
    clip = tmp_path / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=300",
           "-t", "24", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", clip)
    media = _uploaded(make.user(), clip)
    log = tmp_path / "worker.log"
    first = _worker(app, redis_for_jobs, log)
    try:
        _enqueue(redis_for_jobs, media)
        try:
            _wait_for(media, lambda m: m.state == MediaState.processing and m.progress >= 1, 90)
        except AssertionError as error:
            raise AssertionError(f"{error}\nworker log:\n{log.read_text()[-3000:]}") from None
    finally:
        _stop(first)  # the worker, its work horse and ffmpeg, like a host going down
    assert media.state == MediaState.processing and media.attempts == 1

    second = _worker(app, redis_for_jobs)
    try:
        _wait_for(media, lambda m: m.state in (MediaState.ready, MediaState.failed), 180)
    finally:
        _stop(second)
    assert media.state == MediaState.ready, media.error_code
    assert media.attempts == 2
