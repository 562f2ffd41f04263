"""Assignment and Grade Services: the teacher sends an assignment's released grades to the course's
gradebook; a local platform plays the token, line items and scores endpoints."""
from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.lti import keys
from lms.core.types import utcnow
from lms.lti.models import GradeSyncStatus, LtiContext, LtiGradeSync
from tests.lti.conftest import INSTRUCTOR, ISSUER, LEARNER, TestPlatform

AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


class _Gradebook(BaseHTTPRequestHandler):
    state: dict = {}

    def _send(self, status: int, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        state = type(self).state
        query = parse_qs(urlsplit(self.path).query)
        items = [i for i in state["items"] if i["resourceId"] in query.get("resource_id", [i["resourceId"]])]
        self._send(200, items)

    def do_POST(self):  # noqa: N802
        state = type(self).state
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        path = urlsplit(self.path).path
        if path == "/token":
            scope = parse_qs(body)["scope"][0]
            assert "lti-ags/scope/score" in scope and "lti-ags/scope/lineitem" in scope
            return self._send(200, {"access_token": "ags-token", "token_type": "Bearer"})
        if self.headers.get("Authorization") != "Bearer ags-token":
            return self._send(401, {})
        data = json.loads(body)
        if path == "/lineitems":
            assert self.headers["Content-Type"] == "application/vnd.ims.lis.v2.lineitem+json"
            item = {**data, "id": f"{state['base']}/lineitems/{len(state['items']) + 1}"}
            state["items"].append(item)
            return self._send(201, item)
        if path.endswith("/scores"):
            assert self.headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
            if state.get("fail_scores", 0) > 0:
                state["fail_scores"] -= 1
                return self._send(503, {"error": "gradebook down"})
            state["scores"].append((path, data))
            return self._send(200, {})
        return self._send(404, {})

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def gradebook():
    handler = type("Handler", (_Gradebook,), {"state": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.state["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler.state
    server.shutdown()
    server.server_close()


def _linked_course(platform, new_platform, gradebook):
    gradebook.update(items=[], scores=[], fail_scores=0)
    platform.record.auth_token_url = gradebook["base"] + "/token"
    db.session.commit()
    endpoint = {AGS: {"lineitems": gradebook["base"] + "/lineitems",
                      "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                                "https://purl.imsglobal.org/spec/lti-ags/scope/score"]}}
    assert platform.launch(sub="teacher-1", roles=[INSTRUCTOR], **endpoint).status_code == 302
    for sub in ("student-1", "student-2", "student-3"):
        assert new_platform().launch(sub=sub, roles=[LEARNER], email=f"{sub}@school.example",
                                     **endpoint).status_code == 302
    mapped = db.session.scalar(sa.select(LtiContext))
    assert mapped.lineitems_url == gradebook["base"] + "/lineitems" and len(mapped.ags_scopes) == 2
    keys.tool_key()
    db.session.commit()
    return mapped


def _user(sub):
    return db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == ISSUER,
                                                               ExternalIdentity.subject == sub)).user


def _sync(assignment):
    return db.session.scalar(sa.select(LtiGradeSync).where(LtiGradeSync.assignment_id == assignment.id))


def test_released_grades_go_to_the_gradebook_by_themselves(platform, new_platform, gradebook, hw, grading):
    """Releasing a grade in Circles (grading's own release operation) sends the score in a job, in the AGS
    Score shape (scoreGiven/scoreMaximum, activityProgress, gradingProgress, timestamp, userId = sub)."""
    mapped = _linked_course(platform, new_platform, gradebook)
    circle, teacher = mapped.circle, _user("teacher-1")
    assignment = hw.assignment(circle, author=teacher, title="Lab report", points=50)
    grading.grade(assignment, _user("student-2"), teacher, score=30)  # graded, not released: nothing sent
    assert gradebook["scores"] == [] and _sync(assignment) is None
    grading.grade(assignment, _user("student-1"), teacher, score=40, release=True)

    assert [i["label"] for i in gradebook["items"]] == ["Lab report"]
    assert gradebook["items"][0]["scoreMaximum"] == 50 and gradebook["items"][0]["resourceId"] == \
        f"circles-assignment-{assignment.id}"
    assert len(gradebook["scores"]) == 1
    path, score = gradebook["scores"][0]
    assert path == "/lineitems/1/scores"
    assert set(score) == {"userId", "scoreGiven", "scoreMaximum", "activityProgress", "gradingProgress", "timestamp"}
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("student-1", 40, 50)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", score["timestamp"])
    db.session.expire_all()
    sync = _sync(assignment)
    assert (sync.status, sync.sent_count, sync.attempts) == (GradeSyncStatus.sent, 1, 0)

    # the teacher sees it on the linked course page, and may send again (the same line item)
    page = platform.client.get(f"/circles/{circle.id}/lti").get_data(as_text=True)
    assert 'data-grade-sync="sent"' in page
    url = f"/circles/{circle.id}/lti/assignments/{assignment.id}/grades"
    assert url in page
    assert platform.client.post(url).status_code == 302
    assert len(gradebook["items"]) == 1 and len(gradebook["scores"]) == 2
    # a student cannot send grades
    student = TestPlatform(client=platform.client.application.test_client(), key=platform.key, record=platform.record)
    student.launch(sub="student-3", roles=[LEARNER])
    assert student.client.post(url).status_code == 404
    assert student.client.get(f"/circles/{circle.id}/lti").status_code == 404


def test_a_failing_gradebook_is_retried_with_backoff_and_shown_to_the_teacher(platform, new_platform, gradebook,
                                                                              hw, grading):
    from lms.lti import passback, tasks

    mapped = _linked_course(platform, new_platform, gradebook)
    circle, teacher = mapped.circle, _user("teacher-1")
    assignment = hw.assignment(circle, author=teacher, title="Essay", points=10)
    gradebook["fail_scores"] = 2
    grading.grade(assignment, _user("student-1"), teacher, score=8, release=True)
    db.session.expire_all()
    sync = _sync(assignment)
    assert (sync.status, sync.attempts) == (GradeSyncStatus.retrying, 1)
    assert "refused a score" in sync.last_error
    first_wait = sync.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < first_wait <= passback.backoff(1)
    page = platform.client.get(f"/circles/{circle.id}/lti").get_data(as_text=True)
    assert 'data-grade-sync="retrying"' in page and "refused a score" in page

    tasks.retry_grade_passback()  # not due yet: nothing tried
    db.session.expire_all()
    assert _sync(assignment).attempts == 1
    sync = _sync(assignment)
    sync.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    tasks.retry_grade_passback()  # fails again: the wait doubles
    db.session.expire_all()
    sync = _sync(assignment)
    assert (sync.status, sync.attempts) == (GradeSyncStatus.retrying, 2)
    assert sync.next_attempt_at - utcnow() > passback.backoff(1)
    sync.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    tasks.retry_grade_passback()  # the gradebook is back
    db.session.expire_all()
    assert (_sync(assignment).status, _sync(assignment).last_error) == (GradeSyncStatus.sent, "")
    assert [s["userId"] for _p, s in gradebook["scores"]] == ["student-1"]

    # a gradebook that never answers: given up after MAX_ATTEMPTS, the error on the home page card too
    gradebook["fail_scores"] = 100
    grading.grade(assignment, _user("student-2"), teacher, score=7, release=True)
    for _ in range(passback.MAX_ATTEMPTS):
        sync = _sync(assignment)
        if sync.status == GradeSyncStatus.failed:
            break
        sync.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        tasks.retry_grade_passback()
        db.session.expire_all()
    sync = _sync(assignment)
    assert (sync.status, sync.attempts) == (GradeSyncStatus.failed, passback.MAX_ATTEMPTS)
    assert passback.due() == []
    home = platform.client.get(f"/c/{circle.id}").get_data(as_text=True)
    assert "data-grade-sync-failed" in home and "could not be sent" in home
    gradebook["fail_scores"] = 0
    platform.client.post(f"/circles/{circle.id}/lti/assignments/{assignment.id}/grades")  # by hand: sent
    db.session.expire_all()
    assert _sync(assignment).status == GradeSyncStatus.sent
    assert sorted(s["userId"] for _p, s in gradebook["scores"][-2:]) == ["student-1", "student-2"]


def test_a_circle_without_a_linked_course_sends_nothing(app, make, hw, grading):
    teacher, student = make.user(), make.user()
    circle = make.circle(owner=teacher)
    make.member(circle, student)
    assignment = hw.assignment(circle, author=teacher, points=10)
    grading.grade(assignment, student, teacher, score=5, release=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LtiGradeSync)) == 0
