"""Pages showing a submission hear (namespace /homework) when its comments change, and only pages
whose viewer may see the submission can listen."""
from __future__ import annotations

import contextvars

import pytest

from lms.extensions import socketio
from lms.homework.models import PeerVisibility
from tests.fixtures.homework import later
from tests.homework.test_comments import _call, _url


@pytest.fixture
def work(klass, hw):
    assignment = hw.assignment(klass.circle, due_at=later(days=1), max_video_seconds=60,
                               peer_visibility=PeerVisibility.hidden)
    return hw.submission(assignment, klass.student, media=hw.media(klass.student, duration=40))


def _socket(app, client):
    return contextvars.Context().run(socketio.test_client, app, namespace="/homework", flask_test_client=client)


def _watch(sock, submission) -> bool:
    ids = {"circle_id": submission.assignment.circle_id, "assignment_id": submission.assignment_id,
           "submission_id": submission.id}
    return sock.emit("watch", ids, namespace="/homework", callback=True)["ok"]


def _changes(sock) -> list[int]:
    return [r["args"][0]["submission_id"] for r in sock.get_received("/homework") if r["name"] == "comments_changed"]


def test_watchers_hear_of_new_edited_and_deleted_comments(app, klass, client_as, work):
    """Does the student's open page hear each change to the comments on their work (to reload what
    they may see), without the comment itself travelling?"""
    student_sock = _socket(app, client_as(klass.student))
    assert _watch(student_sock, work)
    teacher = client_as(klass.teacher)
    created = _call(teacher, "POST", _url(work), {"body": "Lift the elbow here", "at_seconds": 3})
    assert created.status_code == 201
    comment_id = created.get_json()["comment"]["id"]
    _call(teacher, "PATCH", _url(work, comment_id), {"body": "Lift the left elbow here"})
    _call(teacher, "DELETE", _url(work, comment_id))
    received = student_sock.get_received("/homework")
    assert [r["name"] for r in received] == ["comments_changed"] * 3
    assert all(r["args"][0] == {"submission_id": work.id} for r in received)  # no text of unreleased feedback
    student_sock.disconnect(namespace="/homework")


@pytest.mark.parametrize("who", ["classmate", "stranger"])
def test_people_who_may_not_see_the_work_cannot_listen(app, klass, client_as, work, who):
    """Can a classmate (the assignment hides others' work) or a stranger join the submission's room?"""
    sock = _socket(app, client_as(getattr(klass, who)))
    assert _watch(sock, work) is False
    _call(client_as(klass.teacher), "POST", _url(work), {"body": "Nice turn", "at_seconds": 1})
    assert _changes(sock) == []


def test_anonymous_pages_are_refused(app, client, work):
    sock = _socket(app, client)
    assert not sock.is_connected("/homework")


def test_bad_watch_requests_are_refused(app, klass, client_as, work):
    sock = _socket(app, client_as(klass.student))
    for data in ({}, {"circle_id": "x", "assignment_id": 1, "submission_id": 1},
                 {"circle_id": work.assignment.circle_id, "assignment_id": work.assignment_id,
                  "submission_id": work.id + 999}):
        assert sock.emit("watch", data, namespace="/homework", callback=True) == {"ok": False}
