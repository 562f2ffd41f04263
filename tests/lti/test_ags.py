"""Assignment and Grade Services: the teacher sends an assignment's released grades to the course's
gradebook; a local platform plays the token, line items and scores endpoints."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.lti import keys
from lms.lti.models import LtiContext
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


def test_released_grades_go_to_the_gradebook(platform, new_platform, gradebook, hw):
    gradebook.update(items=[], scores=[])
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

    def user(sub):
        return db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == ISSUER,
                                                                   ExternalIdentity.subject == sub)).user

    circle = mapped.circle
    assignment = hw.assignment(circle, author=user("teacher-1"), title="Lab report", points=50)
    hw.grade(assignment, user("student-1"), score=40)
    hw.grade(assignment, user("student-2"), score=30, released=False)  # not released: not sent

    url = f"/circles/{circle.id}/lti/assignments/{assignment.id}/grades"
    page = platform.client.get(f"/circles/{circle.id}/lti")
    assert page.status_code == 200 and url in page.get_data(as_text=True)
    assert platform.client.post(url).status_code == 302
    assert [i["label"] for i in gradebook["items"]] == ["Lab report"]
    assert gradebook["items"][0]["scoreMaximum"] == 50 and gradebook["items"][0]["resourceId"] == \
        f"circles-assignment-{assignment.id}"
    assert [(s["userId"], s["scoreGiven"], s["gradingProgress"]) for _p, s in gradebook["scores"]] == \
        [("student-1", 40, "FullyGraded")]
    assert gradebook["scores"][0][0] == "/lineitems/1/scores"
    # again: the same line item, the score sent again (the platform keeps the latest)
    platform.client.post(url)
    assert len(gradebook["items"]) == 1 and len(gradebook["scores"]) == 2
    # a student cannot send grades
    student = TestPlatform(client=platform.client.application.test_client(), key=platform.key, record=platform.record)
    student.launch(sub="student-3", roles=[LEARNER])
    assert student.client.post(url).status_code == 404
    assert student.client.get(f"/circles/{circle.id}/lti").status_code == 404
