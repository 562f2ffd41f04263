"""Anonymity of double-blind peer review, as the issue demands: a reviewer goes through a whole review
(the assignment page, their tasks, the task page, every JSON answer, the video, poster and HLS URLs with
their headers, a refused and an accepted hand-in, the notifications page) with a Socket.IO client open,
and nothing they receive contains the author's name, circle name, real name, email, student number,
user id, membership id, media id or file name. The author's ids are large numbers set on purpose, so a
match cannot be an accident; the teacher's allocation page shows the same search finds them."""
from __future__ import annotations

import contextvars
import json
from datetime import timedelta

import pytest

from lms.circles.models import Membership
from lms.extensions import db, socketio
from lms.homework.models import Assignment
from lms.reviews import reviewing as rv
from lms.reviews.models import ReviewAllocation
from tests.fixtures.homework import ago, later
from tests.reviews.conftest import run_periodic
from tests.reviews.test_reviewing import _Review, call, ready_video
from tests.reviews.conftest import turn_on

USER_ID, MEMBERSHIP_ID, MEDIA_ID = 48123779, 59032113, 61279037


@pytest.fixture
def author(klass, make):
    """The author whose identity must not reach a reviewer: distinctive name, email, number and ids."""
    user = make.user("Zephyrine Quillfeather", email="zq.hidden@anon.example")
    old_id = user.id
    db.session.expunge(user)
    db.session.execute(db.text("UPDATE users SET id = :new WHERE id = :old"), {"new": USER_ID, "old": old_id})
    db.session.commit()
    db.session.expire_all()
    membership = make.member(klass.circle, db.session.get(type(user), USER_ID), display_name="Zephy Q",
                             real_name="Zephyrine Q. Realname", student_no="SN77553311")
    old_id = membership.id
    db.session.expunge(membership)
    db.session.execute(db.text("UPDATE memberships SET id = :new WHERE id = :old"),
                       {"new": MEMBERSHIP_ID, "old": old_id})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Membership, MEMBERSHIP_ID).user_id == USER_ID
    return db.session.get(type(user), USER_ID)


def secrets(author) -> list[str]:
    return [author.name, "Zephy Q", "Zephyrine", "Quillfeather", "Realname", author.email, "zq.hidden",
            "SN77553311", "77553311", str(USER_ID), str(MEMBERSHIP_ID), str(MEDIA_ID), "dance.mov"]


def dump(response) -> str:
    """Everything a response carries: status line, every header, the body (text or bytes)."""
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return f"{response.status}\n{head}\n\n{response.get_data().decode('utf-8', 'replace')}"


def test_a_reviewer_receives_nothing_that_names_the_author(app, klass, hw, make, client_as, author):
    due = ago(hours=2).replace(microsecond=0)
    assignment = hw.assignment(klass.circle, accepts="video", due_at=due, late_policy="accept")
    reviewer = klass.student
    for student in (reviewer, klass.classmate, author):
        media = ready_video(hw, student, media_id=MEDIA_ID if student is author else None)
        hw.submission(assignment, student, media=media, text="my routine", now=due - timedelta(hours=1))
    client = client_as(reviewer)
    sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=client)
    assert sock.is_connected()

    turn_on(_Review(klass, assignment), reviews_per_submission=2, comment_min_length=20, min_timestamped_comments=1)
    run_periodic(app)  # tasks allocated: pushed to the reviewer
    task = db.session.scalar(db.select(ReviewAllocation).where(
        ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.reviewer_id == reviewer.id,
        ReviewAllocation.author_id == USER_ID))
    assert task is not None
    base = f"/circles/{klass.circle.id}/reviews/tasks/{task.id}"
    show = f"/circles/{klass.circle.id}/assignments/{assignment.id}"

    seen = []
    seen.append(client.get(show))
    seen.append(client.get(show + "/peer-review/tasks"))
    page = client.get(base)
    seen.append(page)
    html = page.get_data(as_text=True)
    assert 'data-mp4="' in html and "Classmate" in html  # the video is there, under a label
    for suffix in ("/video", "/poster", "/hls/index.m3u8", "/hls/seg0.ts"):
        seen.append(client.get(base + suffix))
        seen.append(client.get(base + suffix, headers={"Range": "bytes=0-3"}))
    assert all(r.status_code in (200, 206) for r in seen)
    comment = call(client, "POST", base + "/comments", {"body": "Nice spin", "at_seconds": 2})
    seen.append(comment)
    seen.append(call(client, "PATCH", f"{base}/comments/{comment.get_json()['comment']['id']}", {"body": "Nicer spin"}))
    seen.append(call(client, "GET", base + "/comments"))
    seen.append(call(client, "POST", base + "/draft", {"overall": "Half"}))
    seen.append(client.post(base + "/submit", data={"overall": "short"}))  # refused: too short
    assert seen[-1].status_code == 422
    done = client.post(base + "/submit", data={"overall": "A confident routine, well timed."})
    assert done.status_code == 302
    seen.append(done)
    seen.append(client.get(done.headers["Location"]))
    settings = rv.q.settings_of(db.session.get(Assignment, assignment.id))
    settings.closes_at = later(hours=20)
    db.session.commit()
    rv.remind_review_tasks()  # the reviewer's other task is unfinished: reminded, pushed
    seen.append(client.get("/notifications"))
    seen.append(client.get("/notifications/unread", headers={"Accept": "application/json"}))

    events = sock.get_received()
    sock.disconnect()
    kinds = {e["args"][0].get("kind") for e in events if e["name"] == "notification" and e["args"]}
    assert {"review_tasks_assigned", "review_reminder"} <= kinds, kinds

    received = "\n".join(dump(r) for r in seen) + "\n" + json.dumps(events, ensure_ascii=False, default=str)
    found = [s for s in secrets(author) if s.lower() in received.lower()]
    assert found == []

    # The same search does find the author where a teacher is meant to see them.
    teacher_page = dump(client_as(klass.teacher).get(show + "/peer-review/allocation"))
    assert "Zephy Q" in teacher_page
