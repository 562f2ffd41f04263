"""The live HLS reaches members only (checked on every request, 404 to strangers, to someone removed from the
lesson, for other names), with the right types and cache headers; the broadcast page is for hosts only."""
from __future__ import annotations

import re

from flask import url_for

from lms.extensions import db
from lms.live.models import LiveSanction
from tests.live.video_support import (  # noqa: F401 - fixtures
    _live_dir,
    ingest_socket,
    lesson,
    pieces,
    room,
    send,
    start,
    stop,
    webm,
)


def _hls(lesson, name):
    return url_for("live.hls", circle_id=lesson.circle_id, lesson_id=lesson.id, name=name)


def _stream(app, room, lesson, client_as, webm):
    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    assert all(a["ok"] for a in send(sock, lesson, pieces(webm.vp8)))
    assert stop(sock, lesson)["ok"]


def test_members_get_the_playlist_and_segments(app, room, lesson, client_as, webm):
    _stream(app, room, lesson, client_as, webm)
    student = client_as(room.student)
    playlist = student.get(_hls(lesson, "index.m3u8"))
    assert playlist.status_code == 200
    assert playlist.mimetype == "application/vnd.apple.mpegurl"
    assert "no-store" in playlist.headers["Cache-Control"] and "private" in playlist.headers["Cache-Control"]
    text = playlist.get_data(as_text=True)
    first = next(line for line in text.splitlines() if re.match(r"^\d+\.ts\?t=", line))
    segment = student.get(_hls(lesson, "index.m3u8").replace("index.m3u8", first))
    assert segment.status_code == 200 and segment.mimetype == "video/mp2t"
    assert segment.headers["Cache-Control"] == "private, max-age=600"
    assert segment.data[:1] == b"\x47"  # an MPEG-TS sync byte
    segment.close()
    assert student.head(_hls(lesson, "index.m3u8")).status_code == 200  # the player's "is it live yet?" check


def test_strangers_the_removed_and_other_names_get_404(app, room, lesson, client_as, webm):
    _stream(app, room, lesson, client_as, webm)
    assert client_as(room.stranger).get(_hls(lesson, "index.m3u8")).status_code == 404
    assert client_as(room.stranger).get(_hls(lesson, "0.ts")).status_code == 404
    assert app.test_client().get(_hls(lesson, "index.m3u8")).status_code in (302, 401)
    student = client_as(room.student)
    for name in ("index.m3u8.tmp", "0.ts.tmp", "..%2Findex.m3u8", "x.ts", "999.ts", "index.m3u8x"):
        assert student.get(_hls(lesson, name)).status_code == 404, name
    db.session.add(LiveSanction(lesson_id=lesson.id, user_id=room.student.id, kind="remove", by_id=room.teacher.id))
    db.session.commit()
    assert student.get(_hls(lesson, "index.m3u8")).status_code == 404


def test_nothing_is_served_before_the_lesson_goes_live(app, room, lesson, client_as):
    assert client_as(room.teacher).get(_hls(lesson, "index.m3u8")).status_code == 404


def test_the_broadcast_page_is_for_hosts(app, room, lesson, client_as):
    url = url_for("live.broadcast", circle_id=lesson.circle_id, lesson_id=lesson.id)
    page = client_as(room.teacher).get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-broadcast" in html and "js/live/broadcast.js" in html and "Go live" in html
    assert client_as(room.assistant).get(url).status_code == 200
    assert client_as(room.student).get(url).status_code == 404
    assert client_as(room.stranger).get(url).status_code == 404


def test_the_lesson_page_has_the_live_player(app, room, lesson, client_as, webm):
    _stream(app, room, lesson, client_as, webm)
    page = client_as(room.student).get(url_for("live.show", circle_id=lesson.circle_id, lesson_id=lesson.id))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-live-player" in html and "js/live/player.js" in html
    assert _hls(lesson, "index.m3u8").replace("http://localhost", "") in html


def test_speed_check_is_for_hosts(app, room, lesson, client_as):
    from tests.live.video_support import emit, ids

    teacher = ingest_socket(app, client_as(room.teacher))
    assert emit(teacher, "speed_test", {**ids(lesson), "data": b"x" * 100_000}) == {"ok": True, "bytes": 100_000}
    student = ingest_socket(app, client_as(room.student))
    assert emit(student, "speed_test", {**ids(lesson), "data": b"x" * 10})["ok"] is False
