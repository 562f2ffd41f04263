"""RTMP ingest: nginx-rtmp's on_publish callback accepts a lesson's current stream key and refuses a wrong or
regenerated one (403); on_publish_done leaves the lesson reconnecting; and with nginx and its RTMP module (CI
has them: scripts/setup), deploy/nginx/rtmp.conf run on free ports takes an `ffmpeg -f flv rtmp://…` publish
into HLS the app serves, whose segments decode."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from flask import url_for
from werkzeug.serving import make_server

from lms.extensions import db
from lms.live import ingest
from lms.live import operations as live_ops
from lms.live.models import LessonState
from lms.media.live import segments
from tests.fixtures.live import free_port
from tests.fixtures.services import require_service
from tests.live.video_support import _live_dir, decodes, lesson, room  # noqa: F401 - fixtures
from tests.media.tools import FFMPEG

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


def _key(lesson, teacher) -> str:
    secret = live_ops.new_stream_key(lesson, teacher)
    db.session.commit()
    return secret


def _publish(client, lesson, key, **environ):
    return client.post("/rtmp/on_publish", data={"app": "live", "name": lesson.stream_path, "key": key,
                                                 "call": "publish", "addr": "203.0.113.9"},
                       environ_base=environ or {}, csrf=False)


def test_on_publish_accepts_the_current_key_and_refuses_others(app, room, lesson):
    client = app.test_client()
    old = _key(lesson, room.teacher)
    new = _key(lesson, room.teacher)  # regenerated: the old one stops working
    assert _publish(client, lesson, "not-the-key").status_code == 403
    assert _publish(client, lesson, old).status_code == 403
    assert _publish(client, lesson, "").status_code == 403
    db.session.refresh(lesson)
    assert lesson.state == LessonState.scheduled
    assert _publish(client, lesson, new).status_code == 204
    db.session.refresh(lesson)
    assert lesson.state == LessonState.live and lesson.ingest.value == "rtmp"
    assert ingest.lesson_folder(lesson).is_dir()  # where nginx writes its HLS

    done = client.post("/rtmp/on_publish_done", data={"app": "live", "name": lesson.stream_path}, csrf=False)
    assert done.status_code == 204
    db.session.refresh(lesson)
    assert lesson.state == LessonState.reconnecting
    assert _publish(client, lesson, new).status_code == 204  # OBS reconnects
    db.session.refresh(lesson)
    assert lesson.state == LessonState.live


def test_an_ended_lesson_and_another_application_are_refused(app, room, lesson):
    client = app.test_client()
    key = _key(lesson, room.teacher)
    assert client.post("/rtmp/on_publish", data={"app": "other", "name": lesson.stream_path, "key": key},
                       csrf=False).status_code == 403
    assert _publish(client, lesson, key).status_code == 204
    live_ops.end_lesson(db.session.get(type(lesson), lesson.id), room.teacher)
    db.session.commit()
    assert _publish(client, lesson, key).status_code == 403


def test_on_update_drops_an_encoder_whose_lesson_ended_or_key_changed(app, room, lesson):
    client = app.test_client()
    key = _key(lesson, room.teacher)
    assert _publish(client, lesson, key).status_code == 204

    def update(secret):
        return client.post("/rtmp/on_update", data={"app": "live", "name": lesson.stream_path, "key": secret,
                                                    "call": "update_publish"}, csrf=False).status_code

    assert update(key) == 204
    new = _key(lesson, room.teacher)  # the old key leaked: a new one drops whoever streams with the old
    assert update(key) == 403 and update(new) == 204
    live_ops.end_lesson(db.session.get(type(lesson), lesson.id), room.teacher)
    db.session.commit()
    assert update(new) == 403  # ended from the lesson page while OBS still streams


def test_only_our_nginx_may_call_back(app, room, lesson):
    client = app.test_client()
    key = _key(lesson, room.teacher)
    assert _publish(client, lesson, key, REMOTE_ADDR="198.51.100.7").status_code == 403
    app.config["LIVE_RTMP_CALLBACK_SECRET"] = "s3cret"
    try:
        far = {"REMOTE_ADDR": "198.51.100.7"}
        assert client.post("/rtmp/on_publish?secret=wrong", data={"name": lesson.stream_path, "key": key},
                           environ_base=far, csrf=False).status_code == 403
        assert client.post("/rtmp/on_publish?secret=s3cret", data={"name": lesson.stream_path, "key": key},
                           environ_base=far, csrf=False).status_code == 204
    finally:
        app.config["LIVE_RTMP_CALLBACK_SECRET"] = None


# -- nginx with the RTMP module, for real --------------------------------------------------------------

@pytest.fixture
def app_server(app):
    """The test app on a free port (threads), for nginx's callbacks."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def nginx_rtmp(app, app_server, tmp_path):
    """deploy/nginx/rtmp.conf with its port, HLS folder and callback URLs replaced, under nginx in tmp_path."""
    require_service("nginx-rtmp", bool(NGINX and os.path.exists(RTMP_MODULE) and FFMPEG),
                    "nginx, libnginx-mod-rtmp or ffmpeg is not installed (scripts/setup installs them)")
    port = free_port()
    live_dir = Path(app.config["LIVE_DIR"])
    live_dir.mkdir(parents=True, exist_ok=True)
    rtmp = (ROOT / "deploy/nginx/rtmp.conf").read_text()
    for old, new in (("listen 1935;", f"listen 127.0.0.1:{port};"), ("/var/lib/circles/live", str(live_dir)),
                     ("http://127.0.0.1:8000", app_server)):
        assert old in rtmp
        rtmp = rtmp.replace(old, new)
    # As root, nginx's workers would run as nobody and could not write into the test's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"load_module {RTMP_MODULE};\n{user}daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
                    f"error_log {tmp_path}/error.log info;\nevents {{ worker_connections 64; }}\n{rtmp}")
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    import socket
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"nginx did not start: {proc.stderr.read().decode(errors='replace')}")
            time.sleep(0.05)
    yield f"rtmp://127.0.0.1:{port}/live"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stderr.close()


def _ffmpeg_publish(url: str, seconds: int = 4) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FFMPEG, "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-f", "flv", url], capture_output=True, timeout=60)


def test_obs_style_publish_through_nginx_becomes_hls_that_decodes(app, room, lesson, nginx_rtmp, client_as):
    key = _key(lesson, room.teacher)
    refused = _ffmpeg_publish(f"{nginx_rtmp}/{lesson.stream_path}?key=wrong", seconds=2)
    assert refused.returncode != 0
    db.session.refresh(lesson)
    assert lesson.state == LessonState.scheduled

    published = _ffmpeg_publish(f"{nginx_rtmp}/{live_ops.obs_stream_key(lesson, key)}")
    assert published.returncode == 0, published.stderr.decode(errors="replace")
    folder = ingest.lesson_folder(lesson)
    made = segments(folder)
    assert len(made) >= 3 and all(decodes(s) for s in made)
    # on_publish_done has come back (nginx calls it as the stream closes): the lesson waits for OBS.
    deadline = time.monotonic() + 10
    while True:
        db.session.rollback()
        db.session.refresh(lesson)
        if lesson.state == LessonState.reconnecting or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert lesson.state == LessonState.reconnecting and lesson.ingest.value == "rtmp"

    # Members get nginx's playlist through the app's checked route.
    student = client_as(room.student)
    playlist = student.get(url_for("live.hls", circle_id=lesson.circle_id, lesson_id=lesson.id, name="index.m3u8"))
    assert playlist.status_code == 200 and ".ts" in playlist.get_data(as_text=True)

    playlist.close()
    # The host ends it: nginx's fragments, joined, become the replay (jobs run inline here).
    live_ops.end_lesson(lesson, room.teacher)
    db.session.commit()
    db.session.refresh(lesson)
    assert lesson.replay_state == "ready" and 3.5 <= lesson.replay_media.duration <= 4.6
