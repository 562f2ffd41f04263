"""After a worker dies: its temporary files (one work folder per job, removed when the job ends and by
the sweep after a kill) and what the uploader's page hears (the server is retrying, not an old %)."""
from __future__ import annotations

import contextvars
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest

from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.storage import get_storage
from lms.uploads import operations as ops
from lms.uploads import tasks
from lms.uploads.queries import stall_seconds
from lms.uploads.models import Media, MediaState
from tests.fixtures.app import page_text
from tests.fixtures.live import ROOT
from tests.media.test_children import children, is_ffmpeg, survivors, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture
def work_dir(app, tmp_path, monkeypatch):
    """MEDIA_WORK_DIR for this test alone; returns the folder holding the jobs' work folders."""
    monkeypatch.setitem(app.config, "MEDIA_WORK_DIR", str(tmp_path / "work"))
    return tmp_path / "work" / tasks.WORK_FOLDERS


def _folder(root, name: str, age: float = 0):
    path = root / name
    path.mkdir(parents=True)
    (path / "video.mp4.part").write_bytes(b"\0" * 1024)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def _dead_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_the_folders_of_dead_jobs_and_keeps_live_ones(app, work_dir):
    """Does the media sweep remove work folders whose process died, or that nobody touched for
    MEDIA_STALE_SECONDS, and leave those of running jobs (here or on another host) alone?"""
    host, stale = tasks._HOST, app.config["MEDIA_STALE_SECONDS"]
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = _folder(work_dir, f"7-1-{_dead_pid()}@{host}")
        live = _folder(work_dir, f"8-1-{sleeper.pid}@{host}")
        ours = _folder(work_dir, f"9-2-{os.getpid()}@{host}")
        reused = _folder(work_dir, f"10-1-{sleeper.pid}@{host}", age=stale + 30)  # its keeper stopped long ago
        elsewhere = _folder(work_dir, f"11-1-{_dead_pid()}@another-host")  # pids of another host mean nothing here
        elsewhere_old = _folder(work_dir, "12-1-1@another-host", age=stale + 30)
        with tasks.work_folder("13-1") as running:
            (running / "object").write_bytes(b"x")
            tasks.sweep_media()
            assert running.is_dir() and (running / "object").exists()
        assert not running.exists()  # the job's own exit removes it
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not dead.exists() and not reused.exists() and not elsewhere_old.exists()
    assert live.is_dir() and ours.is_dir() and elsewhere.is_dir()


def test_a_work_root_others_could_write_in_is_neither_used_nor_swept(app, work_dir, tmp_path):
    """In a shared temporary folder, if the work root is a link or writable by others (planted by
    another account), does a job refuse to write there and the sweep refuse to delete there?"""
    work_dir.mkdir(parents=True)
    os.chmod(work_dir, 0o777)
    planted = _folder(work_dir, f"7-1-{_dead_pid()}@{tasks._HOST}")
    assert tasks.sweep_work_folders() == 0 and planted.is_dir()
    with pytest.raises(RuntimeError, match="not a folder of this user only"):
        with tasks.work_folder("15-1"):
            pass

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    kept = _folder(elsewhere, f"7-1-{_dead_pid()}@{tasks._HOST}")
    os.chmod(work_dir, 0o700)
    planted.rename(tmp_path / "moved")
    work_dir.rmdir()
    work_dir.symlink_to(elsewhere)
    assert tasks.sweep_work_folders() == 0 and kept.is_dir()
    with pytest.raises(RuntimeError):
        with tasks.work_folder("15-1"):
            pass


def test_a_work_folder_stays_fresh_while_its_job_runs(app, work_dir, monkeypatch):
    """Is a long job's folder kept fresh (touched every heartbeat), so the age rule never removes
    the folder of a job that is still working?"""
    monkeypatch.setitem(app.config, "MEDIA_HEARTBEAT_SECONDS", 0.05)
    with tasks.work_folder("14-1") as path:
        then = time.time() - 3600
        os.utime(path, (then, then))
        wait_until(lambda: path.stat().st_mtime > time.time() - 60, 10, "the keeper to touch the folder")
        tasks.sweep_work_folders(now=time.time())
        assert path.is_dir()


def test_a_processed_video_leaves_no_temporary_file(app, make, clips, work_dir):
    """After a video is processed (validated, transcoded, poster, original stripped), is its work
    folder gone, with nothing else left in the work folder?"""
    owner = make.user()
    media = Media(owner_id=owner.id, state=MediaState.uploaded, filename="clip.mp4",
                  bytes=clips.valid.stat().st_size, original_key=f"media/tmp-{time.time_ns()}/original",
                  max_seconds=600, received_at=utcnow())
    get_storage().put_file(media.original_key, clips.valid)
    db.session.add(media)
    db.session.commit()
    tasks.process_media(media.id)
    db.session.refresh(media)
    assert media.state == MediaState.ready
    assert list(work_dir.iterdir()) == []


CHILD = textwrap.dedent("""
    import sys
    from lms import create_app
    from lms.jobs.backends import run_task

    run_task(create_app(), "lms.uploads.tasks:process_media", (int(sys.argv[1]),))
""")



def test_worker_killed_mid_transcode_leaves_no_ffmpeg_and_the_sweep_removes_its_files(app, make, long_clip,
                                                                                         work_dir, tmp_path):
    """When the process running a video's job is killed with SIGKILL mid-transcode, does its ffmpeg
    stop with it, and does the sweep remove the work folder (the downloaded original, the half-made
    MP4) that the job could not remove itself?"""
    owner = make.user()
    media = Media(owner_id=owner.id, state=MediaState.uploaded, filename="long.mp4",
                  bytes=long_clip.stat().st_size, original_key=f"media/kill-{time.time_ns()}/original",
                  max_seconds=600, received_at=utcnow())
    get_storage().put_file(media.original_key, long_clip)
    db.session.add(media)
    db.session.commit()
    env = {
        **os.environ,
        "LMS_JOBS_BACKEND": "inline",
        "LMS_SECRET_KEY": app.config["SECRET_KEY"],
        "LMS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_STORAGE_ROOT": app.config["STORAGE_ROOT"],
        "LMS_CONFIG_JSON": json.dumps({"MEDIA_WORK_DIR": app.config["MEDIA_WORK_DIR"], "MEDIA_HEARTBEAT_SECONDS": 1}),
    }
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:  # a file, not a pipe nobody reads while it runs
        worker = subprocess.Popen([sys.executable, "-c", CHILD, str(media.id)], cwd=ROOT, env=env,
                                  stdout=out, stderr=out)
    started: dict[int, int] = {}
    try:
        def transcoding():
            db.session.expire_all()
            db.session.refresh(media)
            if worker.poll() is not None:
                raise AssertionError(log.read_text()[-3000:])
            return media.state == MediaState.processing and media.progress >= 1

        wait_until(transcoding, 120, "the job to start transcoding")
        started = wait_until(lambda: children(worker.pid), 10, "the job's ffmpeg")
        folder = work_dir / f"{media.id}-1-{worker.pid}@{tasks._HOST}"
        assert folder.is_dir() and any(folder.rglob("*.part"))
        assert survivors(started), "ffmpeg ended before the kill: the clip is too short to test anything"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        wait_until(lambda: not survivors(started), 10, "the job's ffmpeg to end with it")
    finally:
        worker.kill()
        worker.wait()
        for pid in survivors(started):
            os.kill(pid, signal.SIGKILL)
    assert folder.is_dir()  # nobody ran the job's own clean-up
    tasks.sweep_media()
    assert not folder.exists()
    assert list(work_dir.iterdir()) == []


def test_a_silent_workers_item_says_the_server_is_retrying(app, make, login):
    """When the worker holding a video stops beating (it was killed at 56 %), does the state its page
    polls say so (stalled, retrying, which attempt comes) instead of only the old percentage, and not
    promise a retry after the last attempt?"""
    user = make.user()
    client = login(user)
    media = Media(owner_id=user.id, state=MediaState.processing, progress=56, attempts=1, filename="x.mp4",
                  original_key="media/silent/original", heartbeat_at=utcnow() - timedelta(seconds=2))
    db.session.add(media)
    db.session.commit()

    def state():
        return client.get(f"/media/{media.id}/state").get_json()

    fresh = state()
    assert (fresh["stalled"], fresh["retrying"], fresh["attempt"], fresh["progress"]) == (False, False, 1, 56)

    media.heartbeat_at = utcnow() - timedelta(seconds=stall_seconds() + 1)
    db.session.commit()
    silent = state()
    assert silent["state"] == "processing" and silent["progress"] == 56
    assert silent["stalled"] and silent["retrying"]
    assert (silent["attempt"], silent["max_attempts"]) == (2, app.config["MEDIA_MAX_ATTEMPTS"])
    assert stall_seconds() < app.config["MEDIA_STALE_SECONDS"]  # said before the sweep acts
    # My uploads, loaded now, says it before any script runs
    assert "The server is retrying this video (attempt 2 of 3)…" in page_text(client.get("/media/"))

    media.attempts = app.config["MEDIA_MAX_ATTEMPTS"]
    db.session.commit()
    last = state()
    assert last["stalled"] and not last["retrying"]  # the sweep fails it instead: no retry promised
    assert "Processing this video stopped unexpectedly." in page_text(client.get("/media/"))


def test_the_sweeps_requeue_is_pushed_as_retrying_with_its_attempt(app, make, login, clips):
    """When the sweep queues a dead worker's video again, does the uploader's open page hear
    "retrying, attempt 2" at once, and then the new attempt's progress to ready?"""
    user = make.user()
    client = login(user)
    media = Media(owner_id=user.id, state=MediaState.processing, progress=56, attempts=1, filename="x.mp4",
                  bytes=clips.valid.stat().st_size, original_key=f"media/requeue-{time.time_ns()}/original",
                  max_seconds=60, received_at=utcnow(),
                  heartbeat_at=utcnow() - timedelta(seconds=app.config["MEDIA_STALE_SECONDS"] + 5))
    get_storage().put_file(media.original_key, clips.valid)
    db.session.add(media)
    db.session.commit()
    sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=client)
    assert sock.is_connected()
    ops.sweep_media()
    db.session.commit()  # the inline backend runs the new attempt now
    pushed = [r["args"][0] for r in sock.get_received() if r["name"] == "media_state"]
    sock.disconnect()
    first = pushed[0]
    assert (first["state"], first["retrying"], first["attempt"]) == ("uploaded", True, 2)
    assert not first["stalled"]
    assert pushed[-1]["state"] == "ready" and not pushed[-1]["retrying"]
    assert all(not p["retrying"] for p in pushed[1:])  # the new attempt under way is not "retrying"


def test_an_rq_worker_killed_mid_transcode_leaves_no_ffmpeg_and_the_next_one_clears_its_folder(
        app, make, long_clip, work_dir, tmp_path, monkeypatch):
    """When a `flask jobs worker` (RQ, jobs run in the worker process) is killed with SIGKILL while
    it transcodes, does its ffmpeg stop with it, and does the worker that takes the video over
    remove the dead one's work folder and finish the video?"""
    from tests.fixtures.services import live_redis
    from tests.uploads.test_rq_worker import _enqueue, _stop, _uploaded, _wait_for, _worker

    url = live_redis()
    work_dir.parent.mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(work_dir.parent))  # the workers' temporary folder: this test's
    media = _uploaded(make.user(), long_clip)
    log = tmp_path / "worker.log"
    first = _worker(app, url, log)
    started: dict[int, int] = {}
    try:
        _enqueue(url, media)
        try:
            _wait_for(media, lambda m: m.state == MediaState.processing and m.progress >= 1, 90)
        except AssertionError as error:
            raise AssertionError(f"{error}\nworker log:\n{log.read_text()[-3000:]}") from None
        started = wait_until(lambda: {p: t for p, t in children(first.pid).items() if is_ffmpeg(p)}, 10,
                             "the worker's ffmpeg")
        folder = work_dir / f"{media.id}-1-{first.pid}@{tasks._HOST}"
        assert folder.is_dir()
        assert survivors(started), "ffmpeg ended before the kill: the clip is too short to test anything"
        os.kill(first.pid, signal.SIGKILL)  # the worker alone, as the kernel's OOM killer or kill -9 does
        first.wait()
        wait_until(lambda: not survivors(started), 10, "the worker's ffmpeg to end with it")
        assert folder.is_dir()
    finally:
        _stop(first)
        for pid in survivors(started):
            os.kill(pid, signal.SIGKILL)

    second = _worker(app, url)
    try:
        _wait_for(media, lambda m: m.state in (MediaState.ready, MediaState.failed), 180)
    finally:
        _stop(second)
    assert (media.state, media.attempts) == (MediaState.ready, 2)
    assert not folder.exists()
    assert list(work_dir.iterdir()) == []
