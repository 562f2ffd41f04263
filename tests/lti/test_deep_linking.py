"""Deep Linking: a teacher's LtiDeepLinkingRequest opens a picker of the circle's assignments; the answer is
a signed LtiDeepLinkingResponse the platform can check with the tool's JWKS; a launch of a placed item
opens its assignment."""
from __future__ import annotations

import html
import re

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.lti.models import LtiContext
from tests.lti.conftest import CLIENT_ID, DEPLOYMENT, INSTRUCTOR, ISSUER, LEARNER, LTI

DL = {LTI + "message_type": "LtiDeepLinkingRequest", LTI + "resource_link": None,
      "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
          "deep_link_return_url": "https://canvas.test.example/courses/1/deep_linking_response",
          "accept_types": ["ltiResourceLink"], "data": "opaque-42"}}


def _teacher(sub="teacher-1"):
    return db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == ISSUER,
                                                               ExternalIdentity.subject == sub)).user


def test_teacher_places_an_assignment(platform, new_platform, hw):
    assert platform.launch(sub="teacher-1", roles=[INSTRUCTOR]).status_code == 302
    circle = db.session.scalar(sa.select(LtiContext)).circle
    assignment = hw.assignment(circle, author=_teacher(), title="Lab report", points=50)
    hw.assignment(circle, author=_teacher(), title="Draft one", publish=False)

    response = platform.launch(sub="teacher-1", roles=[INSTRUCTOR], **DL)
    assert response.status_code == 302 and response.headers["Location"].endswith("/lti/deep-link")
    picker = platform.client.get("/lti/deep-link").get_data(as_text=True)
    assert "Lab report" in picker and "Draft one" not in picker
    answer = platform.client.post("/lti/deep-link", data={"assignment": str(assignment.id)})
    assert answer.status_code == 200
    assert "form-action 'self' https://canvas.test.example" in answer.headers["Content-Security-Policy"]
    page = answer.get_data(as_text=True)
    assert 'action="https://canvas.test.example/courses/1/deep_linking_response"' in page
    token = html.unescape(re.search(r'name="JWT" value="([^"]+)"', page).group(1))
    tool_keys = KeySet.import_key_set(platform.client.get("/lti/jwks.json").get_json())
    claims = jwt.decode(token, tool_keys, algorithms=["RS256"]).claims
    assert claims["iss"] == CLIENT_ID and claims["aud"] == ISSUER
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse" and claims[LTI + "deployment_id"] == DEPLOYMENT
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-42"
    [item] = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["title"] == "Lab report" and item["custom"] == {"circles_assignment": str(assignment.id)}
    assert item["lineItem"]["scoreMaximum"] == 50
    assert platform.client.get("/lti/deep-link").status_code == 404  # used

    # a student launching the placed item lands on the assignment
    student = new_platform()
    opened = student.launch(sub="student-1", roles=[LEARNER],
                            **{LTI + "custom": {"circles_assignment": str(assignment.id)}})
    assert opened.headers["Location"].endswith(f"/circles/{circle.id}/assignments/{assignment.id}")


def test_students_cannot_deep_link(platform, new_platform):
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR])
    response = new_platform().launch(sub="student-1", roles=[LEARNER], **DL)
    assert response.status_code == 403 and "Only the course" in response.get_data(as_text=True)
    assert new_platform().client.get("/lti/deep-link").status_code in (302, 404)
