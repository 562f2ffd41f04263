"""Several hosts (lms/live/origin.py): a lesson's segments stay on its ingest host (its origin) and reach a
member through any web host, whose app checks the request and hands the transfer to its nginx
(X-Accel-Redirect to deploy/nginx/circles.conf's /_live_origin/ location, which fetches from the origin's
deploy/nginx/live-origin.conf); the replay job fetches them from the origin.

The first tests check the app's side with the test client; the last runs the shipped nginx files for real:
nginx-rtmp on the "ingest host" (its callbacks name its origin), the origin server over that host's LIVE_DIR,
and the web host's server in front of the app, whose own LIVE_DIR stays empty."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from flask import url_for

from lms.extensions import db
from lms.live import ingest
from lms.live import operations as live_ops
from lms.live import origin
from lms.live.models import LessonState
from lms.media.live import segments
from tests.fixtures.live import free_port
from tests.fixtures.services import require_service
from tests.live.test_rtmp import NGINX, RTMP_MODULE, ROOT, _ffmpeg_publish, _key, _publish, app_server  # noqa: F401
from tests.live.video_support import (_live_dir, decodes, ingest_socket, lesson, room, start,  # noqa: F401
                                      webm)
from tests.media.tools import FFMPEG

ELSEWHERE = "10.0.0.6:8091"


def _hls(client, lesson, name="index.m3u8"):
    return client.get(url_for("live.hls", circle_id=lesson.circle_id, lesson_id=lesson.id, name=name))


def _on_air(lesson, where: str | None) -> None:
    lesson.state, lesson.origin = LessonState.live, where
    db.session.commit()


def test_a_lesson_on_another_host_is_handed_to_nginx_after_the_checks(app, room, lesson, client_as):
    _on_air(lesson, ELSEWHERE)
    for name, kind, cache in (("index.m3u8", "application/vnd.apple.mpegurl", "no-store"),
                              ("12.ts", "video/mp2t", "max-age=600")):
        answer = _hls(client_as(room.student), lesson, name)
        assert answer.status_code == 200 and answer.get_data() == b""
        assert answer.headers["X-Accel-Redirect"] == f"/_live_origin/{ELSEWHERE}/{lesson.stream_path}/{name}"
        assert answer.mimetype == kind and cache in answer.headers["Cache-Control"]
    # strangers, a removed member and other names get nothing, and no path to the origin
    assert _hls(client_as(room.stranger), lesson).status_code == 404
    assert _hls(client_as(room.student), lesson, "../x.ts").status_code == 404
    teacher = client_as(room.teacher)
    from lms.live.models import LiveSanction
    db.session.add(LiveSanction(lesson_id=lesson.id, user_id=room.student.id, kind="remove", by_id=room.teacher.id))
    db.session.commit()
    refused = _hls(client_as(room.student), lesson)
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers
    assert _hls(teacher, lesson).status_code == 200


def test_a_lesson_ingested_here_is_read_from_this_hosts_folder(app, room, lesson, client_as):
    app.config["LIVE_ORIGIN"] = ELSEWHERE  # this host is the origin: no hand-over
    try:
        _on_air(lesson, ELSEWHERE)
        folder = ingest.lesson_folder(lesson)
        folder.mkdir(parents=True)
        (folder / "index.m3u8").write_text("#EXTM3U\n#EXTINF:1.0,\n0.ts\n")
        answer = _hls(client_as(room.student), lesson)
        assert answer.status_code == 200 and "X-Accel-Redirect" not in answer.headers
        assert b"0.ts" in answer.get_data()
    finally:
        app.config["LIVE_ORIGIN"] = None


def test_going_live_records_where_the_segments_are(app, room, lesson, client_as, webm):
    # the browser's stream reaches a Socket.IO process on an ingest host: its LIVE_ORIGIN
    app.config["LIVE_ORIGIN"] = "10.0.0.5:8091"
    try:
        assert start(ingest_socket(app, client_as(room.teacher)), lesson)["ok"]
    finally:
        app.config["LIVE_ORIGIN"] = None
    db.session.refresh(lesson)
    assert lesson.origin == "10.0.0.5:8091" and lesson.state == LessonState.live

    # nginx-rtmp names its own origin in its callback URL; anything but host:port is not taken
    other = live_ops.create_lesson(room.circle, room.teacher, title="OBS", starts_at=lesson.starts_at)
    db.session.commit()
    key = _key(other, room.teacher)
    answer = app.test_client().post("/rtmp/on_publish?origin=10.0.0.7:8091", data={
        "app": "live", "name": other.stream_path, "key": key}, csrf=False)
    assert answer.status_code == 204
    db.session.refresh(other)
    assert other.origin == "10.0.0.7:8091" and not ingest.lesson_folder(other).exists()
    assert origin.valid("evil.example/x?") is None and origin.valid("10.0.0.7:8091") == "10.0.0.7:8091"


# -- the shipped nginx files, for real ------------------------------------------------------------------

def _location(conf: str, start: str) -> str:
    """The block of `conf` that begins with the line starting with `start` (braces counted)."""
    at = conf.index(start)
    depth, i = 0, conf.index("{", at)
    while True:
        depth += {"{": 1, "}": -1}.get(conf[i], 0)
        i += 1
        if depth == 0:
            return conf[at:i]


@pytest.fixture
def hosts(app, app_server, tmp_path):
    """One nginx playing two hosts: the ingest host (RTMP from deploy/nginx/rtmp.conf, whose callbacks name
    its origin, and deploy/nginx/live-origin.conf over its LIVE_DIR) and the web host's server in front of
    the app with deploy/nginx/circles.conf's /_live_origin/ location. The app's LIVE_DIR is another folder."""
    require_service("nginx-rtmp", bool(NGINX and os.path.exists(RTMP_MODULE) and FFMPEG),
                    "nginx, libnginx-mod-rtmp or ffmpeg is not installed (scripts/setup installs them)")
    rtmp_port, origin_port, web_port = free_port(), free_port(), free_port()
    ingest_dir = tmp_path / "ingest-host-live"
    ingest_dir.mkdir()
    where = f"127.0.0.1:{origin_port}"
    rtmp = (ROOT / "deploy/nginx/rtmp.conf").read_text()
    for old, new in (("listen 1935;", f"listen 127.0.0.1:{rtmp_port};"), ("/var/lib/circles/live", str(ingest_dir)),
                     ("/rtmp/on_publish;", f"/rtmp/on_publish?origin={where};"),
                     ("http://127.0.0.1:8000", app_server)):
        assert old in rtmp
        rtmp = rtmp.replace(old, new)
    served = (ROOT / "deploy/nginx/live-origin.conf").read_text()
    for old, new in (("listen 8091;", f"listen 127.0.0.1:{origin_port};"),
                     ("/var/lib/circles/live", str(ingest_dir)), ('"change-me"', '"origin-test-secret"')):
        assert old in served
        served = served.replace(old, new)
    route = _location((ROOT / "deploy/nginx/circles.conf").read_text(), "location ~ ^/_live_origin/")
    route = route.replace('"change-me"', '"origin-test-secret"')
    web = (f"server {{\n listen 127.0.0.1:{web_port};\n proxy_http_version 1.1;\n {route}\n"
           f" location / {{ proxy_pass {app_server}; proxy_set_header Host $http_host; }}\n}}\n")
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"load_module {RTMP_MODULE};\n{user}daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
                    f"error_log {tmp_path}/error.log info;\nevents {{ worker_connections 64; }}\n{rtmp}\n"
                    f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/body;\n"
                    f" proxy_temp_path {tmp_path}/proxy;\n{served}\n{web}}}\n")
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    for port in (rtmp_port, origin_port, web_port):
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise RuntimeError(f"nginx did not start: {proc.stderr.read().decode(errors='replace')}")
                time.sleep(0.05)
    app.config["LIVE_ORIGIN_SECRET"] = "origin-test-secret"
    yield {"rtmp": f"rtmp://127.0.0.1:{rtmp_port}/live", "origin": where, "web": f"http://127.0.0.1:{web_port}",
           "ingest_dir": ingest_dir}
    app.config["LIVE_ORIGIN_SECRET"] = None
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stderr.close()


def test_segments_on_the_ingest_host_reach_members_through_the_web_host(app, room, lesson, hosts, client_as):
    key = _key(lesson, room.teacher)
    published = _ffmpeg_publish(f"{hosts['rtmp']}/{live_ops.obs_stream_key(lesson, key)}")
    assert published.returncode == 0, published.stderr.decode(errors="replace")
    db.session.rollback()
    db.session.refresh(lesson)
    assert lesson.origin == hosts["origin"]
    on_ingest_host = segments(hosts["ingest_dir"] / lesson.stream_path)
    assert len(on_ingest_host) >= 3
    assert not ingest.lesson_folder(lesson).exists()  # nothing on the web host's disk

    # a member's browser asks the web host; its session cookie comes from the test client's sign-in
    student = client_as(room.student)
    cookie = student.get_cookie("session").value
    browser = requests.Session()
    browser.cookies.set("session", cookie)
    base = f"{hosts['web']}/c/{lesson.circle_id}/live/{lesson.id}/hls"
    playlist = browser.get(f"{base}/index.m3u8", timeout=10)
    assert playlist.status_code == 200, playlist.text
    assert playlist.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
    names = re.findall(r"^(\d+\.ts)$", playlist.text, re.M)
    assert names
    segment = browser.get(f"{base}/{names[-1]}", timeout=10)
    assert segment.status_code == 200 and segment.headers["Content-Type"] == "video/mp2t"
    assert segment.headers["Cache-Control"] == "private, max-age=600"
    assert segment.content == (hosts["ingest_dir"] / lesson.stream_path / names[-1]).read_bytes()
    fetched = Path(app.config["LIVE_DIR"]) / "check.ts"
    fetched.parent.mkdir(parents=True, exist_ok=True)
    fetched.write_bytes(segment.content)
    assert decodes(fetched)

    # a stranger gets nothing through the web host, and the origin answers nobody without the secret
    stranger = requests.Session()
    stranger.cookies.set("session", client_as(room.stranger).get_cookie("session").value)
    assert stranger.get(f"{base}/{names[-1]}", timeout=10).status_code == 404
    direct = f"http://{hosts['origin']}{origin.ORIGIN_PREFIX}/{lesson.stream_path}/{names[-1]}"
    assert requests.get(direct, timeout=10).status_code == 403
    assert requests.get(f"{hosts['web']}/_live_origin/{hosts['origin']}/{lesson.stream_path}/{names[-1]}",
                        timeout=10).status_code == 404  # internal: only the app's answer leads there

    # the host ends it: the replay job (inline here, on the web host) fetches the segments from the origin
    live_ops.end_lesson(lesson, room.teacher)
    db.session.commit()
    db.session.refresh(lesson)
    assert lesson.replay_state == "ready" and 3.5 <= lesson.replay_media.duration <= 4.6
