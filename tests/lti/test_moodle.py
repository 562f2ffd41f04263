"""Circles against a platform that behaves as Moodle's LTI 1.3 code does (moodle/moodle, read for this test):

- the launch id_token as `lti_sign_jwt` builds it (mod/lti/locallib.php; since 4.4 the same code in
  core_ltix\\oauth_helper::sign_jwt): `aud` a plain string and no `azp`, `exp` = `iat` + 60, the deployment id
  the tool type's number as a string (`strval($typeid)`), `sub` the Moodle user id, roles converted from the
  LTI 1.1 forms (`urn:lti:sysrole:ims/lis/Administrator` → system/person#Administrator, `Instructor` →
  membership#Instructor) and sorted, `context.type` ["CourseSection"], the `lis`, `launch_presentation`,
  `tool_platform` (`family_code` "moodle") and `ext` groups, `custom_*` parameters in the custom claim, the NRPS
  claim with service_versions ["1.0", "2.0"] and the AGS claim with its sorted scopes and a lineitems URL that
  carries `?type_id=`; the login initiation is a form POST (iss, target_link_uri, login_hint, lti_message_hint,
  client_id, lti_deployment_id);
- the token endpoint as mod/lti/token.php checks it: a form-urlencoded POST, grant_type client_credentials, a
  jwt-bearer client assertion whose `sub` is the client id, the granted scopes the intersection with those
  the tool may have;
- Names and Roles as mod/lti/service/memberships/classes/local/service/memberships.php answers
  (users_to_json): members with `user_id`, status "Active", roles in the SHORT form (`lti_get_ims_role(...)`
  gives "Instructor"/"Learner"), `lis_person_sourcedid`, names and email; pages only when the tool sends
  `limit`, the next one linked by `Link: <...?limit=N&from=M>; rel="next"`;
- line items as mod/lti/service/gradebookservices/classes/local/resources/lineitems.php answers: GET filtered by
  resource_id returns a JSON array; POST needs `label` and a numeric `scoreMaximum`, answers 201 with
  `id` = `<lineitems>/<itemid>/lineitem?type_id=<typeid>`;
- scores as .../resources/scores.php accepts them: Content-Type application/vnd.ims.lis.v1.score+json, userId,
  timestamp (ISO 8601), gradingProgress and activityProgress required, numeric scoreGiven/scoreMaximum, the
  user gradable in the course, and 409 for a timestamp not later (to the second) than the stored grade's.
"""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from lms.circles.models import Role
from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.lti import keys, services
from lms.lti.models import GradeSyncStatus, LtiContext, LtiGradeSync, LtiPlatform

CLIENT_ID = "kq8ZAzVvTk3cP2u"  # Moodle makes a random 15-character client id
TYPE_ID = "2"  # Moodle's deployment id: the tool type's id, as a string
COURSE = "4"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
SCOPES = sorted(["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                 "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                 "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                 "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                 "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"])
#: Moodle users of the course: id → (first name, last name, email, idnumber, short role)
USERS = {"2": ("Tom", "Teach", "tom@school.example", "", "Instructor"),
         "5": ("Ann", "Lee", "ann@school.example", "S1005", "Learner"),
         "6": ("Bo", "Chen", "bo@school.example", "S1006", "Learner"),
         "7": ("Cy", "Diaz", "cy@school.example", "S1007", "Learner")}


class _Moodle(BaseHTTPRequestHandler):
    state: dict = {}

    def _send(self, status: int, body, headers: dict | None = None, content_type="application/json"):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self, scope: str) -> bool:
        header = self.headers.get("Authorization", "")
        granted = type(self).state["tokens"].get(header[7:]) if header.startswith("Bearer ") else None
        return granted is not None and scope in granted

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        state, parts = type(self).state, urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/mod/lti/certs.php":
            return self._send(200, {"keys": [state["key"].as_dict(private=False)]})
        if parts.path == f"/mod/lti/services.php/CourseSection/{COURSE}/bindings/{TYPE_ID}/memberships":
            if not self._authorized("https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"):
                return self._send(401, {})
            state["nrps_requests"].append(self.path)
            users = [u for u in USERS if u in state["enrolled"]]
            limit, start = int(query.get("limit", 0)), int(query.get("from", 0))
            page = users[start:start + limit] if limit > 0 else users
            members = []
            for uid in page:
                first, last, email, idnumber, role = USERS[uid]
                members.append({"status": "Active", "roles": [role], "user_id": uid, "lis_person_sourcedid": idnumber,
                                "name": f"{first} {last}", "given_name": first, "family_name": last, "email": email})
            body = {"id": state["base"] + parts.path, "members": members,
                    "context": {"id": COURSE, "label": "BIO101", "title": "Biology 101"}}
            headers = {}
            if limit > 0 and start + limit < len(users):
                headers["Link"] = (f'<{state["base"]}{parts.path}?limit={limit}&from={start + limit}>; rel="next"')
            return self._send(200, body, headers, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        if parts.path == f"/mod/lti/services.php/{COURSE}/lineitems":
            if not self._authorized("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"):
                return self._send(401, {})
            items = [i for i in state["items"] if "resource_id" not in query or i["resourceId"] == query["resource_id"]]
            return self._send(200, items, content_type="application/vnd.ims.lis.v2.lineitemcontainer+json")
        return self._send(404, {})

    def do_POST(self):  # noqa: N802
        state, parts = type(self).state, urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        content_type = self.headers.get("Content-Type", "").split(";")[0]
        if parts.path == "/mod/lti/token.php":
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            ok = (content_type == "application/x-www-form-urlencoded"
                  and form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                  and form.get("grant_type") == "client_credentials" and form.get("scope"))
            if not ok:
                return self._send(400, {"error": "invalid_request"})
            try:
                claims = jwt.decode(form["client_assertion"], KeySet.import_key_set(state["tool_jwks"]),
                                    algorithms=["RS256"]).claims
            except Exception:  # noqa: BLE001
                return self._send(400, {"error": "invalid_client"})
            if claims.get("sub") != CLIENT_ID:
                return self._send(400, {"error": "invalid_client"})
            granted = sorted(set(form["scope"].split(" ")) & set(SCOPES))
            if not granted:
                return self._send(400, {"error": "invalid_scope"})
            token = f"moodle-token-{len(state['tokens']) + 1}"
            state["tokens"][token] = granted
            return self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                                    "scope": " ".join(granted)})
        if parts.path == f"/mod/lti/services.php/{COURSE}/lineitems":
            if not self._authorized("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"):
                return self._send(401, {})
            data = json.loads(raw or "null")
            if content_type != "application/vnd.ims.lis.v2.lineitem+json" or query.get("type_id") != TYPE_ID:
                return self._send(400, {})
            if not data or "label" not in data or not isinstance(data.get("scoreMaximum"), (int, float)):
                return self._send(400, {"reason": "No label or Score Maximum"})
            item_id = 100 + len(state["items"])
            item = {**data, "id": f"{state['base']}{parts.path}/{item_id}/lineitem?type_id={TYPE_ID}"}
            state["items"].append(item)
            return self._send(201, item, content_type="application/vnd.ims.lis.v2.lineitem+json")
        match = re.fullmatch(rf"/mod/lti/services.php/{COURSE}/lineitems/(\d+)/lineitem/scores", parts.path)
        if match:
            if not self._authorized("https://purl.imsglobal.org/spec/lti-ags/scope/score"):
                return self._send(401, {})
            if content_type != "application/vnd.ims.lis.v1.score+json" or query.get("type_id") != TYPE_ID:
                return self._send(400, {})
            score = json.loads(raw or "null")
            try:
                stamp = datetime.fromisoformat(score["timestamp"].replace("Z", "+00:00"))
            except (TypeError, KeyError, ValueError):
                return self._send(400, {"reason": "Incorrect score received"})
            if (not all(k in score for k in ("userId", "gradingProgress", "activityProgress"))
                    or not isinstance(score.get("scoreGiven", 0), (int, float))
                    or not isinstance(score.get("scoreMaximum", 1), (int, float))
                    or score["userId"] not in state["enrolled"]):
                return self._send(400, {"reason": "Incorrect score received"})
            key = (match.group(1), score["userId"])
            stored = state["grades"].get(key)
            if stored is not None and stored[1] >= int(stamp.timestamp()):
                state["conflicts"] += 1
                return self._send(409, {"reason": "Refusing score with an earlier timestamp"})
            given = score.get("scoreGiven") if score["gradingProgress"] == "FullyGraded" else None
            state["grades"][key] = (given, int(stamp.timestamp()))
            return self._send(200, {})
        return self._send(404, {})


@pytest.fixture(scope="module")
def moodle():
    key = RSAKey.generate_key(2048, parameters={"kid": "5f1c0e0a9b8d7c6e5f4a", "alg": "RS256", "use": "sig"},
                              private=True)
    handler = type("Handler", (_Moodle,), {"state": {"key": key}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.state["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler.state
    server.shutdown()
    server.server_close()


@pytest.fixture
def moodle_platform(app, moodle, make):
    make.user("Site Admin", "admin@example.org", is_admin=True)
    keys.forget()
    base = moodle["base"]
    moodle.update(tokens={}, items=[], grades={}, nrps_requests=[], enrolled=set(USERS), conflicts=0)
    record = LtiPlatform(name="School Moodle", issuer=base, client_id=CLIENT_ID, deployment_ids=[TYPE_ID],
                         auth_login_url=base + "/mod/lti/auth.php", auth_token_url=base + "/mod/lti/token.php",
                         keyset_url=base + "/mod/lti/certs.php")
    db.session.add(record)
    keys.tool_key()
    db.session.commit()
    moodle["tool_jwks"] = keys.public_jwks()
    return record


def _moodle_claims(moodle, nonce: str, user_id: str, *, admin=False, custom=None) -> dict:
    """An id_token payload in exactly the shape Moodle's sign_jwt gives."""
    base, (first, last, email, idnumber, role) = moodle["base"], USERS[user_id]
    roles = [f"http://purl.imsglobal.org/vocab/lis/v2/membership#{role}"]
    if admin:  # Moodle: 'urn:lti:sysrole:ims/lis/Administrator,urn:lti:instrole:ims/lis/Administrator', converted
        roles = ["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
                 "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"] + roles
    now = int(time.time())
    claims = {
        "nonce": nonce, "iat": now, "exp": now + 60, "iss": base, "aud": CLIENT_ID,
        LTI + "deployment_id": TYPE_ID, LTI + "target_link_uri": "http://localhost/lti/launch",
        "sub": user_id,
        LTI + "lis": {"person_sourcedid": idnumber, "course_section_sourcedid": ""},
        LTI + "roles": sorted(roles),
        LTI + "context": {"id": COURSE, "label": "BIO101", "title": "Biology 101", "type": ["CourseSection"]},
        LTI + "resource_link": {"title": "Circles", "description": "", "id": "3"},
        LTI + "launch_presentation": {"locale": "en", "document_target": "window",
                                      "return_url": base + "/mod/lti/return.php?course=4&launch_container=4"},
        LTI + "ext": {"user_username": first.lower(), "lms": "moodle-2"},
        LTI + "tool_platform": {"family_code": "moodle", "version": "2024100700", "guid": "moodle.school.example",
                                "name": "School", "description": "School Moodle"},
        LTI + "version": "1.3.0", LTI + "message_type": "LtiResourceLinkRequest",
        "given_name": first, "family_name": last, "name": f"{first} {last}", "email": email,
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": SCOPES[:4], "lineitems": f"{base}/mod/lti/services.php/{COURSE}/lineitems?type_id={TYPE_ID}"},
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": f"{base}/mod/lti/services.php/CourseSection/{COURSE}/bindings/{TYPE_ID}"
                                       f"/memberships",
            "service_versions": ["1.0", "2.0"]},
    }
    if custom:
        claims[LTI + "custom"] = custom
    return claims


def _launch(app, moodle, user_id: str, **options):
    """The login initiation as Moodle posts it, then the id_token Moodle signs, posted back to the tool."""
    client = app.test_client()
    response = client.post("/lti/login", data={
        "iss": moodle["base"], "target_link_uri": "http://localhost/lti/launch", "login_hint": user_id,
        "lti_message_hint": json.dumps({"cmid": 9, "launchid": "ltilaunch_1"}), "client_id": CLIENT_ID,
        "lti_deployment_id": TYPE_ID})
    assert response.status_code == 302, response.get_data(as_text=True)
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    assert query["login_hint"] == user_id and query["lti_message_hint"]
    token = jwt.encode({"alg": "RS256", "kid": moodle["key"].kid, "typ": "JWT"},
                       _moodle_claims(moodle, query["nonce"], user_id, **options), moodle["key"])
    return client, client.post("/lti/launch", data={"id_token": token, "state": query["state"]})


def _user(moodle, user_id):
    return db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == moodle["base"],
                                                               ExternalIdentity.subject == user_id)).user


def test_a_moodle_launch_roster_and_gradebook(app, moodle, moodle_platform, hw, grading, monkeypatch):
    monkeypatch.setattr(services, "NRPS_PAGE_SIZE", 2)
    moodle["enrolled"] = {"2", "5", "6", "7"}
    # the teacher (a Moodle site admin as well) opens Circles: the circle is made, the roster read at once
    teacher_client, response = _launch(app, moodle, "2", admin=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    mapped = db.session.scalar(sa.select(LtiContext))
    circle = mapped.circle
    assert circle.name == "Biology 101" and circle.membership_of(_user(moodle, "2")).role == Role.owner
    assert mapped.lineitems_url.endswith(f"/lineitems?type_id={TYPE_ID}")
    # Moodle paged the roster (limit=2) and linked the second page; both were read
    assert len(moodle["nrps_requests"]) == 2 and "from=2" in moodle["nrps_requests"][1]
    ann = circle.membership_of(_user(moodle, "5"))
    assert (ann.role, ann.real_name, ann.student_no) == (Role.student, "Ann Lee", "S1005")
    assert circle.membership_of(_user(moodle, "7")).is_active
    assert db.session.get(LtiContext, mapped.id).roster_report["added"] == 3

    # a student's own launch (custom parameter of a placed assignment) opens it
    assignment = hw.assignment(circle, author=_user(moodle, "2"), title="Lab report", points=20)
    _client, opened = _launch(app, moodle, "5", custom={"circles_assignment": str(assignment.id)})
    assert opened.headers["Location"].endswith(f"/circles/{circle.id}/assignments/{assignment.id}")

    # a released grade goes to Moodle's gradebook: line item made with Moodle's id form, score accepted
    grading.grade(assignment, _user(moodle, "5"), _user(moodle, "2"), score=17, release=True)
    [item] = moodle["items"]
    assert item["label"] == "Lab report" and item["scoreMaximum"] == 20
    assert item["resourceId"] == f"circles-assignment-{assignment.id}"
    assert moodle["grades"] == {("100", "5"): (17, moodle["grades"][("100", "5")][1])}
    # Ann's score is sent again with Bo's; Moodle holds Ann's with a timestamp not earlier (as after a send within
    # the same second) and answers 409, which is no failure
    moodle["grades"][("100", "5")] = (17, int(time.time()) + 3600)
    grading.grade(assignment, _user(moodle, "6"), _user(moodle, "2"), score=15, release=True)
    db.session.expire_all()
    sync = db.session.scalar(sa.select(LtiGradeSync))
    assert sync.status == GradeSyncStatus.sent and sync.last_error == ""
    assert moodle["grades"][("100", "6")][0] == 15 and moodle["conflicts"] == 1

    # Cy leaves the Moodle course: the next roster read removes Cy from the circle
    moodle["enrolled"] = {"2", "5", "6"}
    from lms.lti import tasks
    tasks.sync_rosters()
    db.session.expire_all()
    assert not db.session.get(type(ann), circle.membership_of(_user(moodle, "7")).id).is_active
    assert circle.membership_of(_user(moodle, "5")).is_active


def test_moodle_short_role_names_and_string_user_ids(moodle_platform, moodle):
    """NRPS from Moodle lists roles as "Instructor"/"Learner" (short forms) — they map like the full URIs."""
    from lms.lti.operations import circle_role

    assert circle_role(["Instructor"]) == Role.teacher and circle_role(["Learner"]) == Role.student
    assert circle_role(sorted(["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
                               "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"])) == Role.teacher


def test_a_moodle_deployment_not_registered_is_refused(app, moodle, moodle_platform):
    moodle_platform.deployment_ids = ["3"]
    db.session.commit()
    client = app.test_client()
    response = client.post("/lti/login", data={"iss": moodle["base"], "login_hint": "2", "client_id": CLIENT_ID,
                                               "target_link_uri": "http://localhost/lti/launch",
                                               "lti_deployment_id": TYPE_ID})
    assert response.status_code == 403 and "(2) is not registered" in response.get_data(as_text=True)
