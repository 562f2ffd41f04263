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


def test_a_lesson_on_another_host_is_handed_to_nginx_after_the_checks(app, room, lesson, client_as, monkeypatch):
    _on_air(lesson, ELSEWHERE)
    asked = []

    def from_origin(where, stream_path):
        asked.append((where, stream_path))
        return b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n12.ts\n"

    monkeypatch.setattr(origin, "fetch_playlist", from_origin)
    # the playlist: checked, read from the origin by the app, its segment URIs signed
    student = client_as(room.student)  # one browser: a token is bound to the session it was made for
    playlist = _hls(student, lesson)
    assert playlist.status_code == 200 and "X-Accel-Redirect" not in playlist.headers
    assert playlist.mimetype == "application/vnd.apple.mpegurl" and "no-store" in playlist.headers["Cache-Control"]
    assert asked == [(ELSEWHERE, lesson.stream_path)]
    uri = re.search(r"^12\.ts\?t=\S+$", playlist.get_data(as_text=True), re.M).group(0)
    # the segment: its token only, then handed to nginx
    base = url_for("live.hls", circle_id=lesson.circle_id, lesson_id=lesson.id, name="index.m3u8")[:-10]
    answer = student.get(base + uri)
    assert answer.status_code == 200 and answer.get_data() == b""
    assert answer.headers["X-Accel-Redirect"] == f"/_live_origin/{ELSEWHERE}/{lesson.stream_path}/12.ts"
    assert answer.mimetype == "video/mp2t" and "max-age=600" in answer.headers["Cache-Control"]
    # strangers, a removed member and other names get nothing, and no path to the origin
    assert _hls(client_as(room.stranger), lesson).status_code == 404
    assert client_as(room.stranger).get(base + uri).status_code == 404
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
    for old, new in (("listen 8091;", f"listen 127.0.0.1:{origin_port};"), ("/var/lib/circles/live", str(ingest_dir))):
        assert old in served
        served = served.replace(old, new)
    route = _location((ROOT / "deploy/nginx/circles.conf").read_text(), "location ~ ^/_live_origin/")
    # the operator's secret file, as the README makes it (the same one for both hosts here)
    (tmp_path / "circles-live-origin-secret.conf").write_text('set $circles_live_origin_secret "origin-test-secret";\n')
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
    uris = re.findall(r"^(\d+\.ts\?t=\S+)$", playlist.text, re.M)
    assert uris
    names = [uri.split("?")[0] for uri in uris]
    segment = browser.get(f"{base}/{uris[-1]}", timeout=10)
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
    assert stranger.get(f"{base}/{uris[-1]}", timeout=10).status_code == 404
    assert browser.get(f"{base}/{names[-1]}", timeout=10).status_code == 404  # a member, but no token
    direct = f"http://{hosts['origin']}{origin.ORIGIN_PREFIX}/{lesson.stream_path}/{names[-1]}"
    assert requests.get(direct, timeout=10).status_code == 403
    assert requests.get(f"{hosts['web']}/_live_origin/{hosts['origin']}/{lesson.stream_path}/{names[-1]}",
                        timeout=10).status_code == 404  # internal: only the app's answer leads there

    # the host ends it: the replay job (inline here, on the web host) fetches the segments from the origin
    live_ops.end_lesson(lesson, room.teacher)
    db.session.commit()
    db.session.refresh(lesson)
    assert lesson.replay_state == "ready" and 3.5 <= lesson.replay_media.duration <= 4.6


def test_the_shipped_nginx_files_hold_no_secret_and_the_origin_needs_one(tmp_path):
    """No default secret in deploy/nginx: the origin's server does not start without the operator's secret
    file, and the web host's /_live_origin/ location answers 503 rather than fetch without one."""
    require_service("nginx", bool(NGINX), "nginx is not installed (scripts/setup installs it)")
    for name in ("circles.conf", "live-origin.conf", "nginx.conf", "rtmp.conf"):
        text = (ROOT / "deploy/nginx" / name).read_text()
        assert "change-me" not in text and "X-Live-Origin-Secret \"" not in text, name
    served = (ROOT / "deploy/nginx/live-origin.conf").read_text().replace("listen 8091;", f"listen 127.0.0.1:{free_port()};")
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                    f"http {{\n access_log off;\n{served}\n}}\n")

    def check():
        return subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                              capture_output=True, text=True, timeout=30)

    missing = check()
    assert missing.returncode != 0 and "circles-live-origin-secret.conf" in missing.stderr
    (tmp_path / "circles-live-origin-secret.conf").write_text('set $circles_live_origin_secret "0123abcd";\n')
    assert check().returncode == 0


@pytest.mark.parametrize("secret", [None, "", "change-me", "  change-me ", "short"])
def test_production_with_an_origin_refuses_to_start_without_a_real_secret(tmp_path, monkeypatch, secret):
    from lms import create_app
    from lms.config import ProductionConfig

    class Config(ProductionConfig):
        INSTANCE_PATH = str(tmp_path)
        SECRET_KEY = "x" * 40
        SERVER_NAME = "circles.example.org"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"
        LIVE_ORIGIN = "10.0.0.5:8091"
        LIVE_ORIGIN_SECRET = secret

    for name in ("LMS_LIVE_ORIGIN", "LMS_LIVE_ORIGIN_SECRET", "LMS_SERVER_NAME", "LMS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match=r"LMS_LIVE_ORIGIN_SECRET is .*openssl rand -hex 32"):
        create_app(Config)
    # with a generated secret it starts; without LIVE_ORIGIN (one host) no secret is needed
    Config.LIVE_ORIGIN_SECRET = "9f" * 32
    assert create_app(Config).config["LIVE_ORIGIN"] == "10.0.0.5:8091"
    Config.LIVE_ORIGIN, Config.LIVE_ORIGIN_SECRET = None, secret
    create_app(Config)
