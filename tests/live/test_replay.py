"""The replay: at the end the recording becomes a ready video in the circle (stream copy of the live segments:
MP4, poster, HLS), shown on the lesson page with the chat and questions in step with the video; members may
play it, staff may download the MP4; the ranges a member watched are merged into their ReplayView."""
from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

from flask import url_for

from lms.extensions import db
from lms.live import replay
from lms.live.models import LiveMessage, ReplayView
from lms.storage import get_storage
from lms.uploads.models import MediaState
from tests.live.video_support import (  # noqa: F401 - fixtures
    _live_dir,
    decodes,
    disconnect,
    ingest_socket,
    lesson,
    pieces,
    probe,
    room,
    send,
    start,
    stop,
    webm,
)


def _say(lesson, user, body, at, kind="chat"):
    message = LiveMessage(lesson_id=lesson.id, user_id=user.id, kind=kind, body=body,
                          created_at=lesson.went_live_at + timedelta(seconds=at), offset_seconds=at)
    db.session.add(message)
    return message


def _lesson_page(client, lesson):
    return client.get(url_for("live.show", circle_id=lesson.circle_id, lesson_id=lesson.id)).get_data(as_text=True)


def test_the_recording_becomes_a_replay_with_the_chat_in_step(app, room, lesson, client_as, webm):
    """A lesson with a dropped-and-resumed host and chat at 1 s, 3 s and 6 s: at its end, is the replay a ready
    video of both recordings back to back (~8 s, decodable MP4 and HLS), and does the lesson page list the chat
    and questions in the order of the video, each with its time, the deleted one left out?"""
    teacher = client_as(room.teacher)
    sock = ingest_socket(app, teacher)
    assert start(sock, lesson)["ok"]
    assert all(a["ok"] for a in send(sock, lesson, pieces(webm.vp8)))
    disconnect(sock)  # dropped
    again = ingest_socket(app, teacher)
    assert start(again, lesson)["ok"]
    assert all(a["ok"] for a in send(again, lesson, pieces(webm.vp8)))
    db.session.refresh(lesson)
    _say(lesson, room.student, "Why is the sky blue?", 3.0, kind="question")
    _say(lesson, room.teacher, "Welcome!", 1.0)
    _say(lesson, room.student, "Thanks, clear now", 6.0)
    gone = _say(lesson, room.student, "spam", 2.0)
    gone.deleted_at = lesson.went_live_at
    db.session.commit()

    assert stop(again, lesson, end=True)["state"] == "ended"  # jobs run inline: the replay is made now
    db.session.refresh(lesson)
    assert lesson.replay_state == replay.READY
    media = lesson.replay_media
    assert media.state == MediaState.ready and media.circle_id == lesson.circle_id
    assert 7.5 <= media.duration <= 8.5 and (media.width, media.height) == (320, 240)
    storage = get_storage()
    with storage.local_path(media.mp4_key) as mp4:
        info = probe(mp4)
        assert info["format"]["format_name"].startswith("mov,mp4")
        assert {s["codec_name"] for s in info["streams"]} == {"h264", "aac"}
        assert decodes(mp4)
    assert storage.exists(media.poster_key) and storage.exists(f"{media.hls_prefix}/index.m3u8")

    html = _lesson_page(client_as(room.student), lesson)
    assert "data-live-replay" in html
    listed = re.findall(r'<li data-at="([\d.]+)"[^>]*>.*?<span class="live-replay-body">([^<]*)</span>', html, re.S)
    assert listed == [("1.0", "Welcome!"), ("3.0", "Why is the sky blue?"), ("6.0", "Thanks, clear now")]
    assert "Download the MP4" not in html  # members play it; the MP4 download is for staff
    staff_html = _lesson_page(teacher, lesson)
    assert "Download the MP4" in staff_html
    download = html_lib.unescape(re.search(r'<a class="button" href="([^"]+)" download>', staff_html).group(1))
    got = teacher.get(download)
    assert got.status_code == 200 and got.get_data()[4:8] == b"ftyp"  # the MP4 itself
    got.close()
    refused = client_as(room.student).get(download)  # the staff's link does not open it for a student
    assert refused.status_code in (403, 404)
    refused.close()


def test_members_play_the_replay_and_strangers_do_not(app, room, lesson, client_as, webm):
    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    send(sock, lesson, pieces(webm.vp8))
    stop(sock, lesson, end=True)
    db.session.refresh(lesson)
    student = client_as(room.student)
    html = _lesson_page(student, lesson)
    hls = re.search(r'data-hls="([^"]+)"', html).group(1)
    playlist = student.get(hls)
    assert playlist.status_code == 200 and "#EXT-X-ENDLIST" in playlist.get_data(as_text=True)
    playlist.close()
    # The student's signed URL is theirs alone, and a stranger has no way to the replay.
    assert client_as(room.stranger).get(hls).status_code == 404
    # Nor does anyone signed out (fe14's F6: a client without cookies that follows the redirect gets the sign-in
    # page with its 200, never the playlist; the same for a segment's URL).
    signed_out = app.test_client()
    for url in (hls, hls.rsplit("/", 1)[0] + "/0.ts"):
        answer = signed_out.get(url)
        assert answer.status_code in (302, 401) and "/login" in answer.headers.get("Location", "/login")
        followed = signed_out.get(url, follow_redirects=True)
        assert "#EXTM3U" not in followed.get_data(as_text=True) and followed.request.path != url.split("?")[0]
    assert client_as(room.stranger).get(url_for("live.show", circle_id=lesson.circle_id,
                                                lesson_id=lesson.id)).status_code == 404


def test_watched_ranges_are_merged(app, room, lesson, client_as, webm):
    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    send(sock, lesson, pieces(webm.vp8))
    stop(sock, lesson, end=True)
    url = url_for("live.replay_progress", circle_id=lesson.circle_id, lesson_id=lesson.id)
    student = client_as(room.student)
    first = student.post(url, json={"ranges": [[0, 1.5], [2.5, 3]]}, headers={"X-CSRFToken": student.csrf_token()})
    assert first.status_code == 200 and first.get_json()["watched"] == [[0.0, 1.5], [2.5, 3.0]]
    second = student.post(url, json={"ranges": [[1.2, 2.6], [3.6, 99]]}, headers={"X-CSRFToken": student.csrf_token()})
    body = second.get_json()
    assert body["watched"][0] == [0.0, 3.0] and body["watched"][1][0] == 3.6
    assert body["watched"][1][1] <= 4.2  # clipped to the replay's length
    view = db.session.scalar(db.select(ReplayView).where(ReplayView.user_id == room.student.id))
    assert view.seconds_watched == body["seconds_watched"]
    stranger = client_as(room.stranger)
    assert stranger.post(url, json={"ranges": [[0, 1]]}, headers={"X-CSRFToken": stranger.csrf_token()}).status_code == 404
    bad = student.post(url, json={"ranges": "all"}, headers={"X-CSRFToken": student.csrf_token()})
    assert bad.status_code == 400


def test_merge_ranges():
    assert replay.merge_ranges([[5, 7], [0, 2], [1, 3], [7.2, 8], [9, 9]], limit=7.5) == [[0, 3], [5, 7.5]]


def test_a_lesson_that_sent_no_video_has_no_replay(app, room, lesson, client_as):
    sock = ingest_socket(app, client_as(room.teacher))
    assert start(sock, lesson)["ok"]
    assert stop(sock, lesson, end=True)["ok"]
    db.session.refresh(lesson)
    assert lesson.replay_state == replay.FAILED and lesson.replay_media_id is None
    assert "Its replay could not be made." in _lesson_page(client_as(room.student), lesson)

