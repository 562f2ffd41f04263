"""Names and Role Provisioning Services: the teacher syncs the course roster from the platform, whose
token and membership endpoints a local HTTP server plays (it checks the tool's signed client assertion)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from lms.circles.models import Role
from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.lti import keys
from lms.lti.models import LtiContext
from tests.lti.conftest import CLIENT_ID, INSTRUCTOR, ISSUER, LEARNER, TA

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


class _Platform(BaseHTTPRequestHandler):
    state: dict = {}

    def _send(self, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802
        state = type(self).state
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        try:
            token = jwt.decode(form["client_assertion"], KeySet.import_key_set(state["tool_jwks"]),
                               algorithms=["RS256"])
        except Exception:  # noqa: BLE001 (any failure is a refusal)
            return self._send(401, {"error": "invalid_client"})
        claims = token.claims
        ok = (form.get("grant_type") == "client_credentials" and claims["iss"] == CLIENT_ID
              and claims["sub"] == CLIENT_ID and claims["aud"] == state["base"] + "/token"
              and "contextmembership.readonly" in form.get("scope", ""))
        if not ok:
            return self._send(400, {"error": "invalid_request"})
        state["tokens"] += 1
        return self._send(200, {"access_token": "platform-token", "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self):  # noqa: N802
        state = type(self).state
        if self.headers.get("Authorization") != "Bearer platform-token":
            return self._send(401, {"error": "no token"})
        base = state["base"]
        if self.path.endswith("page=2"):
            return self._send(200, {"id": "x", "members": state["members"][2:]})
        return self._send(200, {"id": "x", "context": {"id": "course-101"}, "members": state["members"][:2]},
                          {"Link": f'<{base}/memberships?page=2>; rel="next"'})

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def services_server():
    handler = type("Handler", (_Platform,), {"state": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.state["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler.state
    server.shutdown()
    server.server_close()


MEMBERS = [
    {"user_id": "teacher-1", "roles": [INSTRUCTOR], "name": "Tom Teach", "email": "tom@school.example",
     "status": "Active"},
    {"user_id": "student-1", "roles": [LEARNER], "name": "Ann Lee", "email": "ann@school.example"},
    {"user_id": "student-2", "roles": [LEARNER], "given_name": "Bo", "family_name": "Chen",
     "email": "bo@school.example"},
    {"user_id": "ta-1", "roles": [TA], "name": "Tia Assist"},
    {"user_id": "gone-1", "roles": [LEARNER], "name": "Gone Away", "status": "Inactive"},
]


def test_teacher_syncs_the_roster(platform, services_server):
    services_server.update(members=MEMBERS, tokens=0)
    platform.record.auth_token_url = services_server["base"] + "/token"
    db.session.commit()
    response = platform.launch(sub="teacher-1", roles=[INSTRUCTOR], name="Tom Teach", email="tom@school.example",
                               **{NRPS: {"context_memberships_url": services_server["base"] + "/memberships",
                                         "service_versions": ["2.0"]}})
    assert response.status_code == 302
    mapped = db.session.scalar(sa.select(LtiContext))
    assert mapped.memberships_url == services_server["base"] + "/memberships"
    keys.tool_key()
    db.session.commit()
    services_server["tool_jwks"] = keys.public_jwks()
    circle = mapped.circle

    home = platform.client.get(f"/c/{circle.id}").get_data(as_text=True)
    assert "Biology 101 on Canvas Test" in home and f"/circles/{circle.id}/lti/sync" in home
    synced = platform.client.post(f"/circles/{circle.id}/lti/sync")
    assert synced.status_code == 302
    assert services_server["tokens"] == 1

    def member(sub):
        identity = db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == ISSUER,
                                                                       ExternalIdentity.subject == sub))
        return circle.membership_of(identity.user) if identity else None

    assert member("student-1").role == Role.student and member("student-1").real_name == "Ann Lee"
    assert member("student-2").real_name == "Bo Chen"
    assert member("ta-1").role == Role.assistant
    assert member("teacher-1").role == Role.owner
    assert member("gone-1") is None
    db.session.refresh(circle)
    count = circle.member_count
    # again: nothing changes
    platform.client.post(f"/circles/{circle.id}/lti/sync")
    db.session.refresh(circle)
    assert circle.member_count == count == 4
    # a student launching later is the synced account
    from tests.lti.conftest import TestPlatform
    student = TestPlatform(client=platform.client.application.test_client(), key=platform.key, record=platform.record)
    before = member("student-1").user_id
    assert student.launch(sub="student-1", roles=[LEARNER]).status_code == 302
    assert member("student-1").user_id == before


def test_only_the_circles_staff_may_sync(platform, services_server, make, client_as):
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR],
                    **{NRPS: {"context_memberships_url": services_server["base"] + "/memberships"}})
    circle = db.session.scalar(sa.select(LtiContext)).circle
    stranger = client_as(make.user())
    assert stranger.post(f"/circles/{circle.id}/lti/sync").status_code == 404
    student = make.user()
    make.member(circle, student)
    assert client_as(student).post(f"/circles/{circle.id}/lti/sync").status_code == 404
    assert "data-home-section=\"lti\"" not in client_as(student).get(f"/c/{circle.id}").get_data(as_text=True)


def test_a_refused_token_is_told_to_the_teacher(platform, services_server):
    services_server.update(members=MEMBERS, tokens=0, tool_jwks={"keys": []})  # the platform knows no tool key
    platform.record.auth_token_url = services_server["base"] + "/token"
    db.session.commit()
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR],
                    **{NRPS: {"context_memberships_url": services_server["base"] + "/memberships"}})
    circle = db.session.scalar(sa.select(LtiContext)).circle
    response = platform.client.post(f"/circles/{circle.id}/lti/sync", follow_redirects=True)
    assert "refused Circles an access token" in response.get_data(as_text=True)
    db.session.refresh(circle)
    assert circle.member_count == 1


def _ready(platform, services_server, members):
    services_server.update(members=members, tokens=0)
    platform.record.auth_token_url = services_server["base"] + "/token"
    db.session.commit()
    keys.tool_key()
    db.session.commit()
    services_server["tool_jwks"] = keys.public_jwks()


def _member(circle, sub):
    identity = db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == ISSUER,
                                                                   ExternalIdentity.subject == sub))
    return circle.membership_of(identity.user) if identity else None


def test_the_launch_syncs_the_roster_and_dropped_members_are_removed(platform, services_server, make):
    """The teacher's first launch reads the roster (a job after the launch's commit); a later read drops the
    students no longer Active there ("Inactive"/"Deleted" per NRPS, or gone) through the circles' removal
    operation (audited, reported to the teacher); staff and people who joined another way stay."""
    from lms.audit.models import AuditEvent
    from lms.circles.models import MembershipStatus
    from lms.lti import tasks

    _ready(platform, services_server, MEMBERS)
    response = platform.launch(sub="teacher-1", roles=[INSTRUCTOR], name="Tom Teach", email="tom@school.example",
                               **{NRPS: {"context_memberships_url": services_server["base"] + "/memberships",
                                         "service_versions": ["2.0"]}})
    assert response.status_code == 302
    mapped = db.session.scalar(sa.select(LtiContext))
    circle = mapped.circle
    db.session.expire_all()
    assert services_server["tokens"] == 1  # read on the launch, no button pressed
    assert _member(circle, "student-1").is_active and _member(circle, "student-2").is_active
    assert mapped.roster_report["added"] == 3 and mapped.roster_synced_at is not None
    guest = make.user()
    make.member(circle, guest)  # joined by a code, not from the platform: never dropped by a sync

    # student-1 is now Inactive, student-2 Deleted, ta-1 gone from the roster
    services_server["members"] = [MEMBERS[0], {**MEMBERS[1], "status": "Inactive"},
                                  {**MEMBERS[2], "status": "Deleted"}]
    tasks.sync_rosters()  # the periodic job
    db.session.expire_all()
    assert services_server["tokens"] == 2
    assert _member(circle, "student-1").status == MembershipStatus.removed
    assert _member(circle, "student-2").status == MembershipStatus.removed
    assert _member(circle, "ta-1").is_active  # staff are not removed by a sync
    assert circle.membership_of(guest).is_active
    report = db.session.get(LtiContext, mapped.id).roster_report
    assert report["removed"] == 2 and sorted(report["removed_names"]) == ["Ann Lee", "Bo Chen"]
    removals = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "member_removed")).all()
    assert len(removals) == 2
    page = platform.client.get(f"/circles/{circle.id}/lti").get_data(as_text=True)
    assert "Ann Lee" in page and "removed 2" in page

    # a removed student launching again is refused, not readmitted
    from tests.lti.conftest import TestPlatform
    student = TestPlatform(client=platform.client.application.test_client(), key=platform.key, record=platform.record)
    assert student.launch(sub="student-1", roles=[LEARNER]).status_code == 403

    # a roster with no Active member (a platform fault looks the same) removes no one
    services_server["members"] = [{**MEMBERS[3], "status": "Inactive"}]
    tasks.sync_rosters()
    db.session.expire_all()
    assert _member(circle, "ta-1").is_active and circle.membership_of(guest).is_active


def test_the_teacher_sees_a_failed_sync(platform, services_server):
    services_server.update(members=MEMBERS, tokens=0, tool_jwks={"keys": []})
    platform.record.auth_token_url = services_server["base"] + "/token"
    db.session.commit()
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR],
                    **{NRPS: {"context_memberships_url": services_server["base"] + "/memberships"}})
    circle = db.session.scalar(sa.select(LtiContext)).circle
    page = platform.client.get(f"/circles/{circle.id}/lti").get_data(as_text=True)
    assert "refused Circles an access token" in page


def test_the_first_launch_reads_the_roster_before_the_teacher_lands(platform, services_server, monkeypatch):
    """Does a new course's first launch read its people in the launch request (no job), so the circle the
    teacher lands on counts them; and does a later sync say how many were added and how many were already
    members, with one button label on the home page and the course page?"""
    import lms.jobs

    queued = []
    monkeypatch.setattr(lms.jobs, "enqueue_after_commit", lambda task, *args, **kw: queued.append(task))
    _ready(platform, services_server, MEMBERS)
    response = platform.launch(sub="teacher-1", roles=[INSTRUCTOR], name="Tom Teach", email="tom@school.example",
                               **{NRPS: {"context_memberships_url": services_server["base"] + "/memberships",
                                         "service_versions": ["2.0"]}})
    assert response.status_code == 302
    assert not [t for t in queued if "roster" in str(t)]
    circle = db.session.scalar(sa.select(LtiContext)).circle
    db.session.refresh(circle)
    assert circle.member_count == 4 and services_server["tokens"] == 1
    landed = platform.client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "4 members" in landed

    home = platform.client.get(f"/c/{circle.id}").get_data(as_text=True)
    course = platform.client.get(f"/circles/{circle.id}/lti").get_data(as_text=True)
    import html

    label = "<button type=\"submit\">Add the course's people</button>"
    assert label in html.unescape(home) and label in html.unescape(course)
    again = platform.client.post(f"/circles/{circle.id}/lti/sync", follow_redirects=True).get_data(as_text=True)
    assert "From the course roster: 0 added, 4 already members." in html.unescape(again)
    assert "already members 4" in again
