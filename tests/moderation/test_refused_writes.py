"""A write the circle refuses (a link where none are allowed, a validation error) uses none of the member's
write limit, on every way to write: feed posts and comments, homework video comments, check-in comments, chat
messages and reports. Only accepted writes count."""
from __future__ import annotations

import pytest

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.extensions import db
from lms.moderation import operations as ops
from tests.moderation.support import make_checkin, make_post, make_video_comment, report

LINK = "see https://example.com/free"


@pytest.fixture
def strict(klass, app, monkeypatch):
    """Links are refused in the class; each member may post twice an hour and comment three times an hour
    (fewer than the flood limits, so the hourly limit is what answers)."""
    monkeypatch.setitem(app.config, "RATE_LIMITING", True)
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list="", links_allowed=False,
                        posts_per_hour=2, comments_per_hour=3, chat_per_minute=3)
    db.session.commit()
    return klass


def test_a_refused_post_does_not_use_the_hourly_limit(strict, client_as):
    """After three posts refused for a link, may the student still post twice (then 429)?"""
    client = client_as(strict.student)
    url = f"/circles/{strict.circle.id}/feed"
    assert [client.post(url, data={"body_md": LINK}).status_code for _ in range(3)] == [422] * 3
    assert [client.post(url, data={"body_md": f"post {n}"}).status_code for n in range(3)] == [302, 302, 429]


def test_a_refused_comment_does_not_use_the_hourly_limit(strict, client_as):
    """After comments refused for a link, may the student still comment three times?"""
    post = make_post(strict.circle, strict.teacher)
    client = client_as(strict.student)
    url = f"/circles/{strict.circle.id}/feed/{post.id}/comments"
    assert [client.post(url, data={"body_md": LINK}).status_code for _ in range(4)] == [422] * 4
    assert [client.post(url, data={"body_md": f"c{n}"}).status_code for n in range(4)] == [302, 302, 302, 429]


def test_a_refused_video_comment_does_not_use_the_hourly_limit(strict, client_as, hw):
    """A video comment refused for a link, or for a moment outside the video, counts nothing."""
    video = make_video_comment(strict.circle, strict.student, hw)
    sub = video.submission
    client = client_as(strict.student)
    url = f"/circles/{strict.circle.id}/assignments/{sub.assignment_id}/submissions/{sub.id}/comments"

    def say(body, at=None):
        return client.post(url, json={"body": body, "at_seconds": at}, headers={"X-CSRFToken": client.csrf_token()})

    assert [say(LINK).status_code for _ in range(3)] == [422] * 3
    assert say("").status_code == 422  # empty: a validation error
    assert [say(f"v{n}").status_code for n in range(4)] == [201, 201, 201, 429]


def test_a_refused_checkin_comment_does_not_use_the_hourly_limit(strict, client_as):
    checkin = make_checkin(strict.circle, strict.classmate)
    client = client_as(strict.student)
    url = f"/c/{strict.circle.id}/checkins/{checkin.task_id}/entries/{checkin.id}/comments"
    for _ in range(4):
        client.post(url, data={"body": LINK})
    statuses = [client.post(url, data={"body": f"well done {n}"}) for n in range(4)]
    db.session.expire_all()
    from lms.checkins.models import CheckinComment

    bodies = [c.body for c in db.session.scalars(db.select(CheckinComment).where(
        CheckinComment.checkin_id == checkin.id).order_by(CheckinComment.id))]
    assert bodies == ["well done 0", "well done 1", "well done 2"], statuses


def test_refused_chat_messages_do_not_use_the_chat_limit(strict):
    """Messages refused for a link or for replying to a message that is not there count nothing: the student
    still sends three a minute."""
    channel = chat_ops.ensure_main_channel(strict.circle)
    db.session.commit()
    reader = chat_q.reader_of(strict.circle, strict.student)
    for body, reply in ((LINK, None), (LINK, None), ("hello", 999999), ("hello", 999999)):
        with pytest.raises(chat_ops.ChatError):
            chat_ops.send_message(channel, reader, body=body, reply_to_id=reply)
        db.session.rollback()
    for n in range(3):
        chat_ops.send_message(channel, reader, body=f"fine {n}")
        db.session.commit()
    with pytest.raises(chat_ops.ChatError, match="writing faster"):
        chat_ops.send_message(channel, reader, body="one too many")


def test_refused_and_repeated_reports_do_not_use_the_report_limit(strict, client_as):
    """Reports refused (one's own post, "other" without words) or filed again count nothing: five new ones pass
    (the flood limit), the sixth is 429."""
    own = make_post(strict.circle, strict.classmate, "my own")
    theirs = [make_post(strict.circle, strict.student, f"p{n}") for n in range(6)]
    client = client_as(strict.classmate)
    assert [report(client, strict.circle, "post", own.id).status_code for _ in range(3)] == [422] * 3
    assert report(client, strict.circle, "post", theirs[0].id, "other", "").status_code == 422
    assert report(client, strict.circle, "post", theirs[0].id).status_code == 201
    assert [report(client, strict.circle, "post", theirs[0].id).status_code for _ in range(3)] == [200] * 3
    assert [report(client, strict.circle, "post", p.id).status_code for p in theirs[1:]] == [201] * 4 + [429]
