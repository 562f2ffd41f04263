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
    # the page says that the button adds the item (the course adds it only when the form is sent)
    assert "Pressing the button below adds it to the course" in page and "Add it to the course</button>" in page
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


def _items(platform, data) -> list[dict]:
    answer = platform.client.post("/lti/deep-link", data=data)
    assert answer.status_code == 200
    token = html.unescape(re.search(r'name="JWT" value="([^"]+)"', answer.get_data(as_text=True)).group(1))
    tool_keys = KeySet.import_key_set(platform.client.get("/lti/jwks.json").get_json())
    return jwt.decode(token, tool_keys, algorithms=["RS256"]).claims[
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]


def test_teacher_places_a_live_lesson_and_a_notice(platform, new_platform):
    from datetime import timedelta

    from lms.core.types import utcnow
    from lms.feed.notices.operations import create_notice
    from lms.live.operations import create_lesson

    assert platform.launch(sub="teacher-1", roles=[INSTRUCTOR]).status_code == 302
    circle = db.session.scalar(sa.select(LtiContext)).circle
    starts = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    lesson = create_lesson(circle, _teacher(), title="Cell division, live", starts_at=starts)
    notice = create_notice(circle, _teacher(), title="Bring your lab coat", body_md="Tomorrow.",
                           publish_at=utcnow() - timedelta(minutes=1))
    draft = create_notice(circle, _teacher(), title="Not yet", body_md="Draft.", publish_at=None)
    db.session.commit()

    assert platform.launch(sub="teacher-1", roles=[INSTRUCTOR], **DL).status_code == 302
    picker = platform.client.get("/lti/deep-link").get_data(as_text=True)
    assert "Cell division, live" in picker and "Bring your lab coat" in picker and "Not yet" not in picker
    items = _items(platform, {"lesson": str(lesson.id), "notice": [str(notice.id), str(draft.id)]})
    assert [(i["type"], i["title"], i["custom"]) for i in items] == [
        ("ltiResourceLink", "Cell division, live", {"circles_live_lesson": str(lesson.id)}),
        ("ltiResourceLink", "Bring your lab coat", {"circles_notice": str(notice.id)})]  # the draft: not placeable
    assert items[0]["available"]["startDateTime"] == starts.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all("lineItem" not in i for i in items)

    # students launching the placed items land on the lesson and the notice
    opened = new_platform().launch(sub="student-1", roles=[LEARNER],
                                   **{LTI + "custom": {"circles_live_lesson": str(lesson.id)}})
    assert opened.headers["Location"].endswith(f"/c/{circle.id}/live/{lesson.id}")
    opened = new_platform().launch(sub="student-1", roles=[LEARNER],
                                   **{LTI + "custom": {"circles_notice": str(notice.id)}})
    assert opened.headers["Location"].endswith(f"/circles/{circle.id}/notices/{notice.id}")
    # a draft's or another circle's id: the circle's home page
    opened = new_platform().launch(sub="student-1", roles=[LEARNER],
                                   **{LTI + "custom": {"circles_notice": str(draft.id)}})
    assert opened.headers["Location"] == f"/c/{circle.id}"
