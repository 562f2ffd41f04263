"""Browser ingest (namespace /live-ingest): a host's WebM pieces become ~1 s HLS segments that decode; only
hosts may send; the encode cap refuses a lesson too many; a dropped host resumes and the recording stays one."""
from __future__ import annotations

import re

from lms.extensions import db
from lms.live import ingest
from lms.live.models import LessonState
from lms.media.live import segments
from tests.live.video_support import (  # noqa: F401 - fixtures
    NS,
    PIECE,
    _live_dir,
    decodes,
    disconnect,
    ingest_socket,
    lesson,
    new_lesson,
    pieces,
    probe,
    room,
    send,
    start,
    stop,
    webm,
)


def _playlist(lesson) -> str:
    return (ingest.lesson_folder(lesson) / "index.m3u8").read_text()


def test_browser_webm_becomes_live_hls_whose_segments_decode(app, room, lesson, client_as, webm):
    """Does a VP8/Opus WebM, sent in pieces as MediaRecorder makes them, go live and become H.264/AAC
    HLS segments of about a second, each decoding on its own?"""
    sock = ingest_socket(app, client_as(room.teacher))
    answer = start(sock, lesson)
    assert answer == {"ok": True, "state": "live"}
    db.session.refresh(lesson)
    assert lesson.state == LessonState.live and lesson.ingest.value == "browser"

    answers = send(sock, lesson, pieces(webm.vp8))
    assert all(a["ok"] for a in answers), answers
    assert stop(sock, lesson)["ok"]

    playlist = _playlist(lesson)
    assert "#EXT-X-TARGETDURATION:1" in playlist and "#EXT-X-ENDLIST" not in playlist
    durations = [float(d) for d in re.findall(r"#EXTINF:([\d.]+),", playlist)]
    assert durations and all(0.5 <= d <= 1.5 for d in durations)
    made = segments(ingest.lesson_folder(lesson))
    assert 3 <= len(made) <= 5
    for segment in made:
        info = probe(segment)
        assert {s["codec_name"] for s in info["streams"]} == {"h264", "aac"}
        assert decodes(segment), segment
    disconnect(sock)


def test_a_first_piece_of_one_byte_is_joined_to_the_next(app, room, lesson, client_as, webm):
    """Chromium's MediaRecorder, recording VP8, hands over the WebM header's first byte alone (0x1a) as its first
    piece (found by tests/browser/test_live_screen_modes.py: the server took it for a piece without its stream,
    answered "restart", and the page restarted its recorder for ever). Is it kept and joined to the next one?"""
    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    data = webm.vp8.read_bytes()
    first, rest = data[:1], data[1:]
    assert first == b"\x1a"
    answers = send(sock, lesson, [first] + [rest[i:i + PIECE] for i in range(0, len(rest), PIECE)])
    assert all(a["ok"] for a in answers), answers
    assert stop(sock, lesson)["ok"]
    made = segments(ingest.lesson_folder(lesson))
    assert len(made) >= 3 and all(decodes(segment) for segment in made)
    disconnect(sock)


def test_h264_from_chromium_is_copied_and_needs_no_encode_slot(app, room, client_as, webm):
    """Is H.264 (Chromium's webm;codecs=h264) copied, so a full encode cap does not refuse it?"""
    app.config["LIVE_MAX_ENCODES"] = 1
    try:
        first, second = new_lesson(room, "A"), new_lesson(room, "B")
        busy = ingest_socket(app, client_as(room.teacher))
        assert start(busy, first)["ok"]
        sock = ingest_socket(app, client_as(room.teacher))
        assert start(sock, second, mime="video/webm;codecs=h264,opus")["ok"]
        assert all(a["ok"] for a in send(sock, second, pieces(webm.h264)))
        assert stop(sock, second)["ok"]
        made = segments(ingest.lesson_folder(second))
        assert made and all(decodes(s) for s in made)
        assert ingest.get(first.id).encode_slot and ingest.encoding_count() == 1
    finally:
        app.config["LIVE_MAX_ENCODES"] = None


def test_a_lesson_beyond_the_encode_cap_is_refused_with_a_message(app, room, client_as):
    """With LIVE_MAX_ENCODES lessons encoding, is the next one refused with a clear message, and left scheduled?"""
    app.config["LIVE_MAX_ENCODES"] = 1
    try:
        first, second = new_lesson(room, "A"), new_lesson(room, "B")
        assert start(ingest_socket(app, client_as(room.teacher)), first)["ok"]
        answer = start(ingest_socket(app, client_as(room.teacher)), second)
        assert answer["ok"] is False and answer["code"] == "busy"
        assert "already encoding 1 live lesson," in answer["error"]
        db.session.refresh(second)
        assert second.state == LessonState.scheduled
        # The first lesson's own page may start again (a reload): it holds its slot already.
        assert start(ingest_socket(app, client_as(room.teacher)), first)["ok"]
    finally:
        app.config["LIVE_MAX_ENCODES"] = None


def test_only_hosts_may_broadcast(app, room, lesson, client_as, webm):
    """Are a student and a stranger refused (start and pieces), and an assistant accepted?"""
    for who in (room.student, room.stranger):
        sock = ingest_socket(app, client_as(who))
        assert start(sock, lesson) == {"ok": False, "error": "This lesson is not yours to broadcast.",
                                       "code": "forbidden"}
        answer = send(sock, lesson, pieces(webm.vp8)[:1])[0]
        assert answer["ok"] is False and answer["code"] == "taken"
        assert stop(sock, lesson)["ok"] is False
    db.session.refresh(lesson)
    assert lesson.state == LessonState.scheduled
    answer = start(ingest_socket(app, client_as(room.assistant)), lesson)
    assert answer["ok"], answer


def test_anonymous_connections_are_refused(app):
    client = app.test_client()
    sock = ingest_socket(app, client)
    assert not sock.is_connected(NS)


def test_a_host_dropped_inside_another_commit_hook_still_makes_the_lesson_reconnecting(app, room, lesson,
                                                                                       client_as, webm):
    """engine.io notices the dead socket while another push is sent from a commit hook (that session can emit no
    SQL): the disconnect still marks the lesson reconnecting (fe14 F3's sibling)."""
    from lms.extensions import socketio
    from lms.jobs import after_commit

    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    assert all(a["ok"] for a in send(sock, lesson, pieces(webm.vp8)))
    sid = socketio.server.manager.sid_from_eio_sid(sock.eio_sid, NS)
    after_commit(lambda: socketio.server.disconnect(sid, namespace=NS))
    db.session.commit()
    db.session.expire_all()
    assert lesson.state == LessonState.reconnecting


def test_a_dropped_host_resumes_and_the_recording_continues_as_one(app, room, lesson, client_as, webm):
    """When the host's connection drops, is the lesson reconnecting; when they come back with a new
    recorder, live again, the segments numbered on and the joined recording one continuous stream?"""
    teacher = client_as(room.teacher)
    sock = ingest_socket(app, teacher)
    assert start(sock, lesson)["ok"]
    assert all(a["ok"] for a in send(sock, lesson, pieces(webm.vp8)))
    disconnect(sock)  # no "stop": the connection dropped
    db.session.refresh(lesson)
    assert lesson.state == LessonState.reconnecting
    first = segments(ingest.lesson_folder(lesson))

    again = ingest_socket(app, teacher)
    assert start(again, lesson) == {"ok": True, "state": "live"}
    stale = send(again, lesson, pieces(webm.vp8)[1:2])[0]  # a piece without its header: start a new recorder
    assert stale["ok"] is False and stale["restart"] is True
    assert all(a["ok"] for a in send(again, lesson, pieces(webm.vp8)))
    assert stop(again, lesson)["ok"]
    made = segments(ingest.lesson_folder(lesson))
    numbers = [int(p.stem) for p in made]
    assert numbers == list(range(len(made))) and len(made) > len(first)
    assert "#EXT-X-DISCONTINUITY" in _playlist(lesson)

    joined = ingest.lesson_folder(lesson) / "joined.ts"
    from lms.media.live import join_segments
    join_segments(made, joined)
    info = probe(joined)
    assert 7.5 <= float(info["format"]["duration"]) <= 8.5  # two four-second recordings, back to back
    assert decodes(joined)


def test_stop_with_end_ends_the_lesson_for_everyone(app, room, lesson, client_as, webm):
    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    send(sock, lesson, pieces(webm.vp8))
    assert stop(sock, lesson, end=True) == {"ok": True, "state": "ended"}
    db.session.refresh(lesson)
    assert lesson.state == LessonState.ended
    # Jobs run inline here: the replay is made at once from the segments, and the live folder goes.
    assert lesson.replay_state == "ready" and lesson.replay_media.duration > 3.5
    assert not ingest.lesson_folder(lesson).exists()
    assert start(sock, lesson)["code"] == "over"


def test_the_ended_playlist_tells_players_to_stop(app, room, lesson, client_as, webm):
    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    send(sock, lesson, pieces(webm.vp8))
    assert stop(sock, lesson)["ok"]
    ingest.mark_ended(ingest.lesson_folder(lesson))
    ingest.mark_ended(ingest.lesson_folder(lesson))  # once only
    assert _playlist(lesson).count("#EXT-X-ENDLIST") == 1
