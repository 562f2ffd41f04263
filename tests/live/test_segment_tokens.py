"""A live segment is served on the token its playlist wrote into its URI, without a database query
(lms.live.hls_tokens); the playlist is checked in full every time."""
from __future__ import annotations

import re
import time

from flask import url_for

from lms.core.types import utcnow
from lms.extensions import db
from lms.live import hls_tokens, ingest
from lms.live.models import LessonState, LiveSanction
from tests.live.video_support import _live_dir, lesson, room  # noqa: F401

PLAYLIST = ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:3\n"
            "#EXTINF:1.000,\n3.ts\n#EXTINF:1.000,\n4.ts\n")
SEGMENT = b"\x47" + bytes(187) * 2


def _on_air(lesson):
    lesson.state = LessonState.live
    db.session.commit()
    folder = ingest.lesson_folder(lesson)
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text(PLAYLIST)
    for n in (3, 4):
        (folder / f"{n}.ts").write_bytes(SEGMENT)


def _base(lesson):
    return url_for("live.hls", circle_id=lesson.circle_id, lesson_id=lesson.id, name="index.m3u8")[:-len("index.m3u8")]


def _status(client, url) -> int:
    answer = client.get(url)
    answer.close()  # a served segment is a file: close it as the server would
    return answer.status_code


def _segment_uris(client, lesson) -> list[str]:
    answer = client.get(_base(lesson) + "index.m3u8")
    assert answer.status_code == 200, answer.status_code
    uris = re.findall(r"^(\d+\.ts\?t=[A-Za-z0-9_.-]+)$", answer.get_data(as_text=True), re.M)
    assert len(uris) == 2 and "#EXT-X-MEDIA-SEQUENCE:3" in answer.get_data(as_text=True)
    return uris


def test_a_segment_with_its_token_is_served_without_a_query(app, room, lesson, client_as, count_queries):
    _on_air(lesson)
    student = client_as(room.student)
    url = _base(lesson) + _segment_uris(student, lesson)[-1]
    db.session.expire_all()  # the test's own session would not query either way
    with count_queries as counted:
        answer = student.get(url)
        body = answer.get_data()
        answer.close()
    assert answer.status_code == 200 and body == SEGMENT and answer.mimetype == "video/mp2t"
    assert answer.headers["Cache-Control"] == "private, max-age=600"
    assert counted.count == 0, counted.statements
    # the playlist itself is checked against the database every time
    with count_queries as counted:
        _segment_uris(student, lesson)
    assert counted.count >= 3


def test_missing_expired_forged_and_others_tokens_are_refused(app, room, lesson, client_as):
    _on_air(lesson)
    student, teacher = client_as(room.student), client_as(room.teacher)
    uri = _segment_uris(student, lesson)[0]
    name, token = uri.split("?t=")
    base = _base(lesson)
    assert _status(student, base + uri) == 200
    assert _status(student, base + name) == 404  # no token
    assert _status(student, f"{base}{name}?t={token[:-2]}xx") == 404  # forged signature
    assert _status(student, f"{base}{name}?t=") == 404
    # another viewer's browser with this student's URI (the token is bound to the session it was made for)
    assert _status(teacher, base + uri) == 404
    assert _status(client_as(room.stranger), base + uri) == 404
    assert _status(app.test_client(), base + uri) == 404  # signed out
    # another lesson's URL with this lesson's token
    other = url_for("live.hls", circle_id=lesson.circle_id, lesson_id=lesson.id + 1, name=name)
    assert _status(student, f"{other}?t={token}") == 404
    # made with another key (another site, or a forger without SECRET_KEY)
    key = app.secret_key
    with app.test_request_context():
        app.secret_key = "someone-elses-key"
        try:
            foreign = hls_tokens._serializer().dumps([room.student.id, "", lesson.id, lesson.stream_path, None])
        finally:
            app.secret_key = key
    assert _status(student, f"{base}{name}?t={foreign}") == 404
    # expired: older than the configured lifetime
    app.config["LIVE_SEGMENT_TOKEN_SECONDS"] = 1
    try:
        time.sleep(2.1)  # itsdangerous's timestamps count whole seconds
        assert _status(student, base + uri) == 404
        assert _status(student, base + _segment_uris(student, lesson)[0]) == 200  # a fresh playlist's
    finally:
        app.config.pop("LIVE_SEGMENT_TOKEN_SECONDS")


def test_a_token_cannot_reach_outside_the_lessons_folder(app, room, lesson, client_as):
    _on_air(lesson)
    student = client_as(room.student)
    uri = _segment_uris(student, lesson)[0]
    token = uri.split("?t=")[1]
    for name in ("..%2Findex.m3u8", "index.m3u8x", "3.ts.tmp", "999.ts"):
        assert _status(student, f"{_base(lesson)}{name}?t={token}") == 404, name


def test_a_removed_member_gets_no_playlist_and_no_new_tokens(app, room, lesson, client_as):
    _on_air(lesson)
    student = client_as(room.student)
    uri = _segment_uris(student, lesson)[0]
    db.session.add(LiveSanction(lesson_id=lesson.id, user_id=room.student.id, kind="remove", by_id=room.teacher.id))
    db.session.commit()
    refused = student.get(_base(lesson) + "index.m3u8")
    assert refused.status_code == 404 and b".ts" not in refused.get_data()
    # the token already held serves until it expires (at most LIVE_SEGMENT_TOKEN_SECONDS: README)
    assert _status(student, _base(lesson) + uri) == 200
    # the teacher lets them back: the playlist again
    sanction = db.session.scalar(db.select(LiveSanction).where(LiveSanction.user_id == room.student.id))
    sanction.lifted_at = utcnow()
    db.session.commit()
    assert _status(student, _base(lesson) + "index.m3u8") == 200


def test_a_scheduled_lesson_has_no_playlist(app, room, lesson, client_as):
    folder = ingest.lesson_folder(lesson)
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text(PLAYLIST)
    assert client_as(room.student).get(_base(lesson) + "index.m3u8").status_code == 404
