"""Rooms and tokens against a real Janus (started by conftest.janus_server): the app creates and destroys a
lesson's room with its secret, hands out tokens for exactly each role, and Janus itself refuses a stranger's
(forged) token, an expired one, another room's, and a subscriber's for publishing."""
from __future__ import annotations

import time

import pytest

from lms.extensions import db
from lms.live import operations as live_ops
from lms.live.models import LessonState, LiveSanction
from lms.live.stage import operations as stage
from lms.live.stage.janus import JanusError
from lms.live.stage.tokens import make_tokens
from tests.live.room_support import make_lesson
from tests.live.stage.support import JanusBrowser, connect

UNAUTHORIZED_REQUEST = 403  # Janus core: wrong or missing secret/token
NOT_ALLOWED = 433  # VideoRoom: unauthorized (wrong token / not in the allowed list)
NO_SUCH_FEED = 428


def _url(lesson) -> str:
    return f"/c/{lesson.circle_id}/live/{lesson.id}/stage/token"


@pytest.fixture
def lesson(klass, janus_app):
    return make_lesson(klass.circle, klass.teacher, delivery="realtime")


def _token(client, lesson, **body):
    """POST as the page does: JSON with the page's CSRF token in X-CSRFToken."""
    return client.post(_url(lesson), json=body, headers={"X-CSRFToken": client.csrf_token()})


def test_the_room_is_created_with_a_secret_and_destroyed_when_the_lesson_ends(klass, janus_app, client_as, lesson):
    teacher = _token(client_as(klass.teacher), lesson)
    assert teacher.status_code == 200 and teacher.json["role"] == "publisher"
    db.session.expire_all()
    room = lesson.janus_room
    assert room == teacher.json["janus"]["room"]
    janus = stage.client()
    assert janus.exists(room)
    # without its secret nobody manages it (destroy, kick, allowed list)
    with pytest.raises(JanusError) as refused:
        janus.one({"request": "destroy", "room": room, "secret": "guess"})
    assert refused.value.code == NOT_ALLOWED
    with pytest.raises(JanusError):
        janus.one({"request": "allowed", "room": room, "action": "add", "allowed": ["mine"]})
    # nor creates rooms without the admin key
    with pytest.raises(JanusError):
        janus.one({"request": "create", "room": room + 1})
    live_ops.end_lesson(lesson, by=klass.teacher)
    db.session.commit()
    assert lesson.janus_room is None and not janus.exists(room)


def test_tokens_by_role_and_who_gets_none(klass, janus_app, client_as, lesson):
    assert _token(client_as(klass.stranger), lesson).status_code == 404
    other = make_lesson(klass.circle, klass.teacher)
    stranger = client_as(klass.stranger)
    wrong_circle = stranger.post(f"/c/{klass.circle.id + 999}/live/{other.id}/stage/token", json={},
                                 headers={"X-CSRFToken": stranger.csrf_token()})
    assert wrong_circle.status_code == 404
    student = _token(client_as(klass.student), lesson).json
    assert student["role"] == "subscriber" and "feeds" not in student
    assert student["janus"]["ws_url"].startswith("ws://") and student["janus"]["plugin"] == "janus.plugin.videoroom"
    assert student["expires_at"] > student["renew_after"]
    for host in (klass.teacher, klass.assistant, klass.owner):
        answer = _token(client_as(host), lesson).json
        assert answer["role"] == "publisher" and answer["feeds"]["camera"] // 10 == host.id
    # a host may ask for less
    assert _token(client_as(klass.teacher), lesson, role="subscriber").json["role"] == "subscriber"
    # an HLS lesson has no Janus room: play over HLS
    hls = _token(client_as(klass.student), other)
    assert hls.status_code == 409 and hls.json["code"] == "hls"
    # removed from the lesson: no token
    db.session.add(LiveSanction(lesson_id=lesson.id, user_id=klass.classmate.id, kind="remove", by_id=klass.teacher.id))
    db.session.commit()
    removed = _token(client_as(klass.classmate), lesson)
    assert removed.status_code == 403 and removed.json["code"] == "removed"
    # over: none either
    lesson.state = LessonState.ended
    db.session.commit()
    over = _token(client_as(klass.student), lesson)
    assert over.status_code == 409 and over.json["code"] == "over"


def test_janus_refuses_a_subscriber_token_for_publishing(klass, janus_app, client_as, lesson):
    answer = _token(client_as(klass.student), lesson).json
    room = answer["janus"]["room"]
    browser = connect(answer)
    try:
        refused = browser.join(room, answer["room_token"], "publisher", feed=klass.student.id * 10 + 1)
        assert refused.get("error_code") == NOT_ALLOWED and "allowed list" in refused["error"]
        # the same token is good for watching: the room lets it join (no one publishes yet: no such feed)
        watching = browser.join(room, answer["room_token"], "subscriber", feed=klass.teacher.id * 10 + 1)
        assert watching.get("error_code") == NO_SUCH_FEED
    finally:
        browser.close()
    # the teacher's publisher token joins as publisher with the ids it was given
    teacher = _token(client_as(klass.teacher), lesson).json
    publisher = connect(teacher)
    try:
        joined = publisher.join(room, teacher["room_token"], "publisher", feed=teacher["feeds"]["camera"])
        assert joined["videoroom"] == "joined" and joined["id"] == teacher["feeds"]["camera"]
    finally:
        publisher.close()


def test_janus_refuses_expired_forged_and_other_rooms_tokens(klass, janus_app, client_as, lesson):
    good = _token(client_as(klass.teacher), lesson).json
    room = good["janus"]["room"]
    secret = janus_app.config["JANUS_TOKEN_SECRET"]
    http = good["janus"]["http_url"]
    # expired: Janus refuses the session outright
    expired, expired_room, _ = make_tokens(secret, room, klass.student.id, "subscriber", 60, now=time.time() - 120)
    assert JanusBrowser(http, expired).connect()["code"] == UNAUTHORIZED_REQUEST
    # a stranger's: signed with anything but this installation's secret
    forged, forged_room, _ = make_tokens("not-the-secret", room, klass.stranger.id, "publisher", 600)
    assert JanusBrowser(http, forged).connect()["code"] == UNAUTHORIZED_REQUEST
    assert JanusBrowser(http, "1999999999,janus,janus.plugin.videoroom:AAAA").connect()["code"] == UNAUTHORIZED_REQUEST
    assert JanusBrowser(http, "").connect()["code"] == UNAUTHORIZED_REQUEST
    # with a valid session, the room still checks its own token at the join
    browser = connect(good)
    try:
        for room_token in (expired_room, forged_room, None):
            answer = browser.join(room, room_token, "subscriber", feed=1)
            assert answer.get("error_code") in (NOT_ALLOWED, 429), answer  # 429: missing element
        # another lesson's token (a member of another class) does not open this room
        other = make_lesson(klass.circle, klass.teacher, delivery="realtime")
        theirs = _token(client_as(klass.student), other).json
        assert theirs["janus"]["room"] != room
        answer = browser.join(room, theirs["room_token"], "subscriber", feed=1)
        assert answer.get("error_code") == NOT_ALLOWED and "wrong token" in answer["error"]
    finally:
        browser.close()


def test_on_stage_the_token_publishes_and_off_stage_it_no_longer_does(klass, janus_app, client_as, page, lesson):
    teacher, student = page(klass.teacher), page(klass.student)
    assert teacher.join(lesson)["ok"] and student.join(lesson)["ok"]
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    accepted = student.emit("stage_accept")
    assert accepted["ok"], accepted
    answer = accepted["janus"]
    assert answer["role"] == "publisher" and answer["feeds"]["camera"] // 10 == klass.student.id
    room = answer["janus"]["room"]
    browser = connect(answer)
    try:
        joined = browser.join(room, answer["room_token"], "publisher", feed=answer["feeds"]["camera"])
        assert joined["videoroom"] == "joined"
        assert any(p["id"] == answer["feeds"]["camera"] for p in stage.client().participants(room))
        assert teacher.emit("stage_down", {"user_id": klass.student.id})["ok"]
        # kicked out of the room, and the token no longer publishes
        assert not any(p["id"] == answer["feeds"]["camera"] for p in stage.client().participants(room))
    finally:
        browser.close()
    again = connect(answer)
    try:
        refused = again.join(room, answer["room_token"], "publisher", feed=answer["feeds"]["camera"])
        assert refused.get("error_code") == NOT_ALLOWED
    finally:
        again.close()
    # and the endpoint now gives them a subscriber token
    assert _token(client_as(klass.student), lesson).json["role"] == "subscriber"


def test_a_host_mutes_someone_on_stage_in_janus(klass, janus_app, client_as, page, lesson, monkeypatch):
    teacher, student = page(klass.teacher), page(klass.student)
    assert teacher.join(lesson)["ok"] and student.join(lesson)["ok"]
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    answer = student.emit("stage_accept")["janus"]
    room, camera = answer["janus"]["room"], answer["feeds"]["camera"]
    browser = connect(answer)
    try:
        published = browser.publish(room, answer["room_token"], camera)
        assert published["videoroom"] == "joined"
        assert [s["type"] for s in published["streams"]] == ["audio", "video"]
        # the app finds the publisher's streams through the Admin API and mutes its audio only
        janus = stage.client()
        assert [s["mid"] for s in janus.publisher_streams(room, camera) if s["type"] == "audio"] == ["0"]
        calls = []
        real = type(janus).moderate

        def spy(self, room_, feed, mid, mute):
            calls.append((room_, feed, mid, mute))
            return real(self, room_, feed, mid, mute)  # Janus accepts it (an error would raise)

        monkeypatch.setattr(type(janus), "moderate", spy)
        assert teacher.emit("stage_mute", {"user_id": klass.student.id, "muted": True})["ok"]
        assert calls == [(room, camera, "0", True)]
        assert teacher.emit("stage_mute", {"user_id": klass.student.id, "muted": False})["ok"]
        assert calls[-1] == (room, camera, "0", False)
        # a publisher the app never let in cannot publish with a subscriber token, offer or not
        watcher = _token(client_as(klass.classmate), lesson).json
        other = connect(watcher)
        try:
            assert other.publish(room, watcher["room_token"], klass.classmate.id * 10 + 1)["error_code"] == NOT_ALLOWED
        finally:
            other.close()
    finally:
        browser.close()


def test_rtp_forwards_need_the_admin_key(klass, janus_app, client_as, lesson):
    """The HLS fallback's way out of Janus (a publisher's RTP to ffmpeg): only the app, with the admin key."""
    teacher = _token(client_as(klass.teacher), lesson).json
    room, camera = teacher["janus"]["room"], teacher["feeds"]["camera"]
    browser = connect(teacher)
    try:
        assert browser.publish(room, teacher["room_token"], camera)["videoroom"] == "joined"
        janus = stage.client()
        with pytest.raises(JanusError) as refused:
            janus.one({"request": "rtp_forward", "room": room, "publisher_id": camera, "secret": janus.room_secret(room),
                       "host": "127.0.0.1", "streams": [{"mid": "0", "port": 5002}]})
        assert "admin_key" in refused.value.reason
        with pytest.raises(JanusError) as refused:
            janus.one({"request": "rtp_forward", "room": room, "publisher_id": camera, "secret": janus.room_secret(room),
                       "admin_key": "guess", "host": "127.0.0.1", "streams": [{"mid": "0", "port": 5002}]})
        assert refused.value.code == NOT_ALLOWED
        forwarded = janus.rtp_forward(room, camera, "127.0.0.1", audio_port=5002, video_port=5004)
        assert sorted(s["port"] for s in forwarded["forwarders"]) == [5002, 5004]
    finally:
        browser.close()
