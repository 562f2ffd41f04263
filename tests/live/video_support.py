"""Shared by live-video's tests (ingest, RTMP, replay): a circle with a host, a member and a stranger, a
scheduled lesson, WebM streams as a browser's MediaRecorder sends them, and ffprobe checks."""
from __future__ import annotations

import contextvars
import json
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from lms.circles.models import Role
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.live import ingest
from lms.live import operations as live_ops
from tests.fixtures.services import require_service
from tests.media.tools import FFMPEG, FFPROBE

NS = "/live-ingest"
PIECE = 48 * 1024  #: bytes per piece: MediaRecorder's one-second pieces are of this order at low quality


@pytest.fixture
def room(make):
    """A teaching circle: its owner (teacher), an assistant, a student, and a stranger to it."""
    teacher = make.user("Teacher")
    circle = make.circle(teacher, "Physics 2B")
    assistant = make.member(circle, make.user("Assistant"), Role.assistant).user
    student = make.member(circle, make.user("Student")).user
    stranger = make.user("Stranger")
    return SimpleNamespace(circle=circle, teacher=teacher, assistant=assistant, student=student, stranger=stranger)


def new_lesson(room, title="Optics"):
    lesson = live_ops.create_lesson(room.circle, room.teacher, title=title, starts_at=utcnow() + timedelta(minutes=2))
    db.session.commit()
    return lesson


@pytest.fixture
def lesson(room):
    return new_lesson(room)


@pytest.fixture(autouse=True)
def _live_dir(app, tmp_path):
    """Each test's lessons write into a folder of their own; sessions left running are stopped."""
    old = app.config["LIVE_DIR"]
    app.config["LIVE_DIR"] = str(tmp_path / "live")
    yield
    with app.app_context():
        ingest.finish_all()
    app.config["LIVE_DIR"] = old


def _make_stream(path: Path, *args: str) -> Path:
    with open(path, "wb") as out:  # written to a pipe, as MediaRecorder does: no duration, no cues
        subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", *args, "pipe:1"],
                       stdout=out, check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def webm(tmp_path_factory) -> SimpleNamespace:
    """Four-second streams like a browser's: VP8/Opus WebM (Firefox, Chromium's default) and H.264/Opus
    in Matroska (Chromium's `video/webm;codecs=h264`), keyframes every second."""
    require_service("ffmpeg", bool(FFMPEG and FFPROBE), "ffmpeg/ffprobe are not installed (scripts/setup installs them)")
    folder = tmp_path_factory.mktemp("webm")
    vp8 = _make_stream(folder / "vp8.webm", "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "500k", "-g", "25",
                       "-c:a", "libopus", "-f", "webm")
    h264 = _make_stream(folder / "h264.mkv", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
                        "-pix_fmt", "yuv420p", "-c:a", "libopus", "-f", "matroska")
    return SimpleNamespace(vp8=vp8, h264=h264)


def pieces(path: Path, size: int = PIECE) -> list[bytes]:
    data = path.read_bytes()
    return [data[i:i + size] for i in range(0, len(data), size)]


def ingest_socket(app, client):
    return contextvars.Context().run(socketio.test_client, app, namespace=NS, flask_test_client=client)


def ids(lesson) -> dict:
    return {"circle_id": lesson.circle_id, "lesson_id": lesson.id}


def emit(sock, event: str, data: dict):
    """Emit as a browser would: the handler runs in a context of its own (its own app context, `g`, database
    session), not in the test's, where Flask-Login would keep the first caller's user in `g`."""
    return contextvars.Context().run(sock.emit, event, data, namespace=NS, callback=True)


def start(sock, lesson, mime="video/webm;codecs=vp8,opus") -> dict:
    return emit(sock, "start", {**ids(lesson), "mime": mime})


def send(sock, lesson, stream_pieces) -> list[dict]:
    """Send pieces one after another, each after the previous answer, as static/js/live/broadcast.js does."""
    return [emit(sock, "piece", {"lesson_id": lesson.id, "data": p}) for p in stream_pieces]


def stop(sock, lesson, end=False) -> dict:
    return emit(sock, "stop", {**ids(lesson), "end": end})


def disconnect(sock) -> None:
    contextvars.Context().run(sock.disconnect, namespace=NS)


def probe(path: Path) -> dict:
    out = subprocess.run([FFPROBE, "-v", "error", "-show_entries",
                          "format=duration,start_time,format_name:stream=codec_type,codec_name,width,height",
                          "-of", "json", str(path)], check=True, capture_output=True, timeout=30)
    return json.loads(out.stdout)


def decodes(path: Path) -> bool:
    """Whether every frame of `path` decodes without an error (no -xerror: the mpegts demuxer flags the packet
    after a continuity-counter reset, where a resumed stream was joined, as corrupt; its frames decode)."""
    result = subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
                            capture_output=True, timeout=60)
    return result.returncode == 0 and not result.stderr.strip()
