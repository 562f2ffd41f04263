"""LTI 1.3 launches signed by a test platform: a right launch signs in, makes the course's circle and
enrols; every wrong one is refused with a 4xx and a message saying what is wrong."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from joserfc.jwk import RSAKey

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, Role
from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.lti.models import LtiContext, LtiLaunchState
from lms.lti.operations import circle_role
from tests.lti.conftest import CLIENT_ID, INSTRUCTOR, ISSUER, LEARNER, TA


def _circle_for(platform) -> Circle | None:
    context = db.session.scalar(sa.select(LtiContext).where(LtiContext.context_id == platform.context["id"]))
    return context.circle if context else None


def _identity(sub: str) -> ExternalIdentity | None:
    return db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == ISSUER,
                                                               ExternalIdentity.subject == sub))


def test_teacher_first_launch_creates_the_circle_and_the_user(platform):
    response = platform.launch(sub="teacher-1", roles=[INSTRUCTOR], name="Tom Teach", email="tom@school.example")
    assert response.status_code == 302, response.get_data(as_text=True)
    circle = _circle_for(platform)
    assert circle is not None and circle.name == "Biology 101"
    assert response.headers["Location"] == f"/c/{circle.id}"
    identity = _identity("teacher-1")
    assert identity.kind == "lti" and identity.user.email == "tom@school.example" and identity.user.name == "Tom Teach"
    assert circle.membership_of(identity.user).role == Role.owner
    # signed in: the circle's page opens
    page = platform.client.get(response.headers["Location"])
    assert page.status_code == 200


def test_students_are_enrolled_with_their_names_and_the_same_sub_reuses_the_user(platform, new_platform):
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR], name="Tom Teach", email="tom@school.example")
    student = new_platform()
    response = student.launch(sub="student-1", roles=[LEARNER], name="Ann Lee", email="ann@school.example")
    assert response.status_code == 302, response.get_data(as_text=True)
    circle = _circle_for(platform)
    user = _identity("student-1").user
    membership = circle.membership_of(user)
    assert membership.role == Role.student and membership.real_name == "Ann Lee" and membership.joined_via == "lti"
    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    again = new_platform().launch(sub="student-1", roles=[LEARNER], name="Ann Lee", email="ann@school.example")
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)
                             .where(Membership.circle_id == circle.id)) == 2


def test_a_student_before_the_teacher_is_told_to_wait(platform):
    response = platform.launch(sub="student-1", roles=[LEARNER])
    assert response.status_code == 403
    assert "has not opened Circles in this course yet" in response.get_data(as_text=True)
    assert _circle_for(platform) is None


@pytest.mark.parametrize(("roles", "expected"), [
    ([INSTRUCTOR], Role.teacher),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator"], Role.teacher),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator", LEARNER], Role.teacher),
    ([TA, LEARNER], Role.assistant),
    ([LEARNER], Role.student),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"], Role.student),
    ([], Role.student),
    ("not a list", Role.student),
])
def test_role_mapping(roles, expected):
    assert circle_role(roles) == expected


def test_roles_in_the_circle(platform, new_platform):
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR], email="tom@school.example")
    new_platform().launch(sub="ta-1", roles=[TA], name="Tia Assist", email="tia@school.example")
    new_platform().launch(sub="co-teacher", roles=[INSTRUCTOR], name="Cora Co", email="cora@school.example")
    circle = _circle_for(platform)
    assert circle.membership_of(_identity("ta-1").user).role == Role.assistant
    assert circle.membership_of(_identity("co-teacher").user).role == Role.teacher


def test_email_links_only_when_the_platform_is_trusted_for_it(platform, new_platform, make):
    existing = make.user("Ann Existing", "ann@school.example")
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR], email="tom@school.example")
    # not trusted: a new account (the address is taken, so a placeholder one), not the existing one
    new_platform().launch(sub="student-1", email="ann@school.example")
    untrusted = _identity("student-1").user
    assert untrusted.id != existing.id and untrusted.email.endswith("@lti.invalid")
    platform.record.trust_email = True
    db.session.commit()
    new_platform().launch(sub="student-2", email="ANN@school.example")
    assert _identity("student-2").user_id == existing.id


def _refused(response, status: int, words: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:500]
    assert words in text


def test_wrong_issuer_is_refused(platform):
    platform.launch(sub="teacher-1", roles=[INSTRUCTOR])
    state, nonce = platform.login()
    response = platform.post(platform.sign(platform.claims(nonce, iss="https://evil.example")), state)
    _refused(response, 400, "wrong issuer")


def test_wrong_audience_is_refused(platform):
    state, nonce = platform.login()
    response = platform.post(platform.sign(platform.claims(nonce, aud="another-tool", azp=None)), state)
    _refused(response, 400, "wrong audience")
    state, nonce = platform.login()
    response = platform.post(platform.sign(platform.claims(nonce, aud=[CLIENT_ID, "x"], azp="x")), state)
    _refused(response, 400, "wrong authorized party")


def test_nonce_replay_is_refused(platform):
    state, nonce = platform.login()
    token = platform.sign(platform.claims(nonce, roles=[INSTRUCTOR]))
    assert platform.post(token, state).status_code == 302
    # the same post again: its state is used up
    _refused(platform.post(token, state), 400, "already used")
    # the same id_token with a fresh login: its nonce is not this login's
    fresh_state, _fresh_nonce = platform.login()
    _refused(platform.post(token, fresh_state), 400, "nonce does not match")


def test_a_refused_launch_uses_its_state_up(platform):
    state, nonce = platform.login()
    _refused(platform.post(platform.sign(platform.claims(nonce, aud="x", azp=None)), state), 400, "audience")
    assert db.session.get(LtiLaunchState, state) is None
    _refused(platform.post(platform.sign(platform.claims(nonce, roles=[INSTRUCTOR])), state), 400, "already used")


def test_expired_token_is_refused(platform):
    state, nonce = platform.login()
    old = int(time.time()) - 1000
    _refused(platform.post(platform.sign(platform.claims(nonce, iat=old, exp=old + 300)), state), 400, "expired")


def test_deployment_not_registered_is_refused(platform):
    state, nonce = platform.login()
    response = platform.post(platform.sign(platform.claims(nonce, **{
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "99:unknown"})), state)
    _refused(response, 403, "is not registered")
    # the login initiation already refuses a deployment it does not know
    refused = platform.client.get("/lti/login", query_string={"iss": ISSUER, "login_hint": "h", "client_id": CLIENT_ID,
                                                              "lti_deployment_id": "99:unknown"})
    _refused(refused, 403, "is not registered")


def test_bad_signature_is_refused(platform):
    state, nonce = platform.login()
    stranger = RSAKey.generate_key(2048, parameters={"kid": "platform-key-1"}, private=True)
    _refused(platform.post(platform.sign(platform.claims(nonce), key=stranger), state), 400, "signature")
    state, nonce = platform.login()
    token = platform.sign(platform.claims(nonce))
    head, body, sig = token.split(".")
    _refused(platform.post(f"{head}.{body}.{sig[:-4]}AAAA", state), 400, "signature")


def test_a_launch_from_another_browser_is_refused(platform, new_platform):
    state, nonce = platform.login()
    other = new_platform()  # no state cookie
    _refused(other.post(platform.sign(platform.claims(nonce)), state), 400, "new window")


def test_other_messages_and_unknown_platforms_are_refused(platform):
    state, nonce = platform.login()
    response = platform.post(platform.sign(platform.claims(nonce, **{
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest"})), state)
    _refused(response, 400, "cannot handle this kind")
    state, nonce = platform.login()
    response = platform.post(platform.sign(platform.claims(nonce, **{
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest"})), state)
    _refused(response, 400, "names no return address")
    unknown = platform.client.get("/lti/login", query_string={"iss": "https://nobody.example", "login_hint": "h"})
    _refused(unknown, 403, "not registered")
    _refused(platform.client.post("/lti/launch", data={"state": "x"}, csrf=False), 400, "lacks its id_token")


def test_jwks_and_config(platform):
    jwks = platform.client.get("/lti/jwks.json").get_json()
    assert len(jwks["keys"]) == 1 and jwks["keys"][0]["kty"] == "RSA" and "d" not in jwks["keys"][0]
    assert platform.client.get("/lti/jwks.json").get_json() == jwks  # made once
    config = platform.client.get("/lti/config.json").get_json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["target_link_uri"] == "http://localhost/lti/launch"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks.json"
    assert config["extensions"][0]["settings"]["placements"][0]["message_type"] == "LtiResourceLinkRequest"
