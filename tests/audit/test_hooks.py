"""Each privileged action, done through its real route, leaves exactly one audit record saying who,
what, on whom, what changed and from which address."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.circles.models import Membership, Role
from lms.extensions import db
from lms.orgs.models import OrgRole
from tests.orgs.school import build_school

ADDR = "198.51.100.7"
AGENT = "Mozilla/5.0 (audit test)"


def _last_id() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0)))


def _events_since(mark: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > mark).order_by(AuditEvent.id)))


def _post(client, url, data=None):
    return client.post(url, data=data or {}, environ_base={"REMOTE_ADDR": ADDR}, headers={"User-Agent": AGENT})


def _assert_one(mark, action, actor, target_type, target_id, **fields) -> AuditEvent:
    events = _events_since(mark)
    assert [e.action for e in events] == [action]
    [event] = events
    assert (event.actor_id, event.target_type, event.target_id) == (actor.id, target_type, target_id)
    assert event.actor_label == f"{actor.name} <{actor.email}>"
    assert (event.ip, event.user_agent) == (ADDR, AGENT)
    for name, value in fields.items():
        assert getattr(event, name) == value, name
    return event


@pytest.fixture
def school(make):
    return build_school(make)


# -- site administration ---------------------------------------------------------------------

@pytest.mark.parametrize("path, action, before", [
    ("grant-admin", "admin_granted", {}),
    ("revoke-admin", "admin_revoked", {"is_admin": True}),
    ("disable", "account_disabled", {}),
    ("enable", "account_enabled", {"is_disabled": True}),
])
def test_site_admin_account_changes_are_recorded(client_as, school, path, action, before):
    """Does granting or revoking site admin, or disabling or enabling an account, record one event
    by the admin on that account, from the admin's address?"""
    teacher = db.session.get(User, school.teacher.id)
    for name, value in before.items():
        setattr(teacher, name, value)
    db.session.commit()
    mark = _last_id()
    response = _post(client_as(school.site_admin), f"/admin/users/{teacher.id}/{path}")
    assert response.status_code == 302
    event = _assert_one(mark, action, school.site_admin, "users", teacher.id)
    assert event.target_label == f"Tom Teacher <{teacher.email}>"


def test_a_change_that_changes_nothing_is_not_recorded(client_as, school):
    """Is granting admin to someone who already is one left out of the log?"""
    db.session.get(User, school.teacher.id).is_admin = True
    db.session.commit()
    mark = _last_id()
    _post(client_as(school.site_admin), f"/admin/users/{school.teacher.id}/grant-admin")
    assert _events_since(mark) == []


def test_a_refused_change_is_not_recorded(client_as, school):
    """When an admin tries to disable their own account (refused), is nothing recorded?"""
    mark = _last_id()
    _post(client_as(school.site_admin), f"/admin/users/{school.site_admin.id}/disable")
    assert _events_since(mark) == []


# -- organizations ---------------------------------------------------------------------------

def test_granting_org_admin_is_recorded(client_as, school):
    """Does a site admin making a teacher an org admin record the old and new role, for the org?"""
    mark = _last_id()
    response = _post(client_as(school.site_admin), f"/orgs/{school.org.id}/members",
                     {"email": school.teacher.email, "role": "admin"})
    assert response.status_code == 302
    event = _assert_one(mark, "org_admin_granted", school.site_admin, "users", school.teacher.id,
                        org_id=school.org.id, circle_id=None)
    assert event.details == {"org": "Hill School", "from": "teacher", "to": "admin"}


def test_adding_an_org_teacher_is_recorded(client_as, school, make):
    """Does an org admin adding a new teacher record one event by the org admin?"""
    newcomer = make.user("Nia Newcomer")
    mark = _last_id()
    _post(client_as(school.admin), f"/orgs/{school.org.id}/members", {"email": newcomer.email, "role": "teacher"})
    event = _assert_one(mark, "org_teacher_granted", school.admin, "users", newcomer.id, org_id=school.org.id)
    assert event.details["from"] is None and event.details["to"] == "teacher"


def test_removing_an_org_admin_is_recorded(client_as, school):
    """Does a site admin removing an org admin record that admin rights were taken away?"""
    from lms.orgs.models import OrgMembership

    membership = db.session.scalar(sa.select(OrgMembership).where(OrgMembership.user_id == school.admin.id))
    mark = _last_id()
    _post(client_as(school.site_admin), f"/orgs/{school.org.id}/members/{membership.id}/remove")
    event = _assert_one(mark, "org_admin_revoked", school.site_admin, "users", school.admin.id, org_id=school.org.id)
    assert (event.details["from"], event.details["to"]) == (OrgRole.admin.value, None)


@pytest.mark.parametrize("already_student", [False, True], ids=["new-member", "student-promoted"])
def test_assigning_a_teacher_to_a_class_is_recorded(client_as, school, make, already_student):
    """Does an org admin assigning an org teacher to a class record one role change to teacher in
    that class, whether the teacher joins it or was a student of it?"""
    if already_student:
        make.member(school.klass, db.session.get(User, school.teacher2.id))
    mark = _last_id()
    response = _post(client_as(school.admin), f"/orgs/{school.org.id}/assign-teacher",
                     {"class_id": school.klass.id, "assignee_id": school.teacher2.id})
    assert response.status_code == 302
    membership = _membership(school.klass, school.teacher2)
    event = _assert_one(mark, "member_role_changed", school.admin, "memberships", membership.id,
                        circle_id=school.klass.id, org_id=school.org.id)
    assert (event.details["from"], event.details["to"]) == (("student" if already_student else None), "teacher")


# -- circle members --------------------------------------------------------------------------

def _membership(circle, user) -> Membership:
    return db.session.scalar(sa.select(Membership).where(Membership.circle_id == circle.id,
                                                         Membership.user_id == user.id))


def test_changing_a_member_role_is_recorded(client_as, klass):
    """Does a teacher making a student an assistant record old → new role, in the circle?"""
    membership = _membership(klass.circle, klass.student)
    mark = _last_id()
    response = _post(client_as(klass.owner), f"/c/{klass.circle.id}/members/{membership.id}/role",
                     {"role-role": "assistant"})
    assert response.status_code == 302 and _membership(klass.circle, klass.student).role == Role.assistant
    event = _assert_one(mark, "member_role_changed", klass.owner, "memberships", membership.id,
                        circle_id=klass.circle.id)
    assert event.details == {"from": "student", "to": "assistant"}
    assert event.target_label == f"Student In Class <{klass.student.email}>"


def test_removing_a_member_is_recorded(client_as, klass):
    """Does removing a student record one member_removed event by the remover?"""
    membership = _membership(klass.circle, klass.student)
    mark = _last_id()
    _post(client_as(klass.teacher), f"/c/{klass.circle.id}/members/{membership.id}/remove")
    event = _assert_one(mark, "member_removed", klass.teacher, "memberships", membership.id, circle_id=klass.circle.id)
    assert event.details["role"] == "student"


def test_transferring_ownership_is_recorded(client_as, klass):
    """Does handing the circle to a teacher record who became owner and who was owner before?"""
    membership = _membership(klass.circle, klass.teacher)
    mark = _last_id()
    _post(client_as(klass.owner), f"/c/{klass.circle.id}/members/{membership.id}/transfer")
    event = _assert_one(mark, "owner_changed", klass.owner, "memberships", membership.id, circle_id=klass.circle.id)
    assert event.details == {"from": "teacher", "to": "owner", "previous_owner_ids": [klass.owner.id],
                             "previous_owners": [klass.circle.membership_of(klass.owner).display_name]}


def test_a_circle_of_an_org_records_the_org(client_as, school, make):
    """Is an event in an organization's class stamped with the organization?"""
    student = make.member(school.klass, make.user("Kim Kid"))
    mark = _last_id()
    _post(client_as(school.teacher), f"/c/{school.klass.id}/members/{student.id}/remove")
    [event] = _events_since(mark)
    assert (event.circle_id, event.org_id) == (school.klass.id, school.org.id)


# -- grades ----------------------------------------------------------------------------------

@pytest.fixture
def essay(klass, hw):
    """A text assignment worth 10 points that the student has handed in."""
    assignment = hw.assignment(klass.circle, accepts="text", points=10, title="Essay")
    hw.submission(assignment, klass.student, text="My essay")
    return assignment


def _grade_url(klass, assignment, student=None, tail=""):
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    return url + (f"/grade/{student.id}" if student else "") + tail


def _grade_id(assignment, student) -> int:
    from lms.grading.models import Grade

    return db.session.scalar(sa.select(Grade.id).where(Grade.assignment_id == assignment.id,
                                                       Grade.student_id == student.id))


def test_grading_and_regrading_are_recorded_with_old_and_new_score(client_as, klass, essay):
    """Does the first grade record None → 7.5 and a change 7.5 → 9 record exactly that, by the grader?"""
    client = client_as(klass.teacher)
    mark = _last_id()
    _post(client, _grade_url(klass, essay, klass.student), {"score": "7.5", "feedback": "ok"})
    first = _assert_one(mark, "grade_changed", klass.teacher, "grades", _grade_id(essay, klass.student),
                        circle_id=klass.circle.id)
    assert (first.details["from"]["score"], first.details["to"]["score"]) == (None, 7.5)
    assert first.target_label == f"Essay · Student <{klass.student.email}>"
    mark = _last_id()
    _post(client, _grade_url(klass, essay, klass.student), {"score": "9", "feedback": "better"})
    second = _assert_one(mark, "grade_changed", klass.teacher, "grades", first.target_id)
    assert (second.details["from"]["score"], second.details["to"]["score"]) == (7.5, 9.0)
    assert second.details["feedback_changed"] is True and "better" not in str(second.details)


def test_saving_the_same_score_again_is_not_recorded(client_as, klass, essay):
    """Is a save that changes only the comment left out of the log?"""
    client = client_as(klass.teacher)
    _post(client, _grade_url(klass, essay, klass.student), {"score": "7", "feedback": "a"})
    mark = _last_id()
    _post(client, _grade_url(klass, essay, klass.student), {"score": "7", "feedback": "b"})
    assert _events_since(mark) == []


def test_excusing_is_recorded(client_as, klass, essay):
    """Does excusing a student, and undoing it, record one event each?"""
    client = client_as(klass.assistant)
    url = _grade_url(klass, essay, klass.student, "/excuse")
    mark = _last_id()
    _post(client, url, {"excused": "1"})
    event = _assert_one(mark, "grade_excused", klass.assistant, "grades", _grade_id(essay, klass.student))
    assert (event.details["from"], event.details["to"]) == (False, True)
    mark = _last_id()
    _post(client, url, {"excused": "0"})
    _assert_one(mark, "grade_unexcused", klass.assistant, "grades", event.target_id)


def test_releasing_grades_is_one_event_listing_the_students(client_as, klass, essay, grading, hw):
    """Does releasing every grade of an assignment record one event with each student's score?"""
    hw.submission(essay, klass.classmate, text="Mine")
    grading.grade(essay, klass.student, klass.teacher, score=6)
    grading.grade(essay, klass.classmate, klass.teacher, score=8)
    mark = _last_id()
    response = _post(client_as(klass.teacher), _grade_url(klass, essay, tail="/release"))
    assert response.status_code == 302
    event = _assert_one(mark, "grade_released", klass.teacher, "assignments", essay.id, circle_id=klass.circle.id,
                        target_label="Essay")
    assert event.details["count"] == 2
    assert sorted((g["student_id"], g["score"]) for g in event.details["grades"]) == sorted(
        [(klass.student.id, 6.0), (klass.classmate.id, 8.0)])
    mark = _last_id()
    _post(client_as(klass.teacher), _grade_url(klass, essay, tail="/release"))
    assert _events_since(mark) == []  # nothing left to release
    _post(client_as(klass.teacher), _grade_url(klass, essay, tail="/hide"))
    assert [e.action for e in _events_since(mark)] == ["grade_unreleased"]


# -- the client's address behind a proxy -----------------------------------------------------

@pytest.mark.parametrize("proxies, expected", [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_address_comes_from_the_proxy_only_when_configured(tmp_path, proxies, expected):
    """Is the recorded address the one the trusted proxy forwarded when LMS_PROXY_COUNT says there is
    one, and the connecting address otherwise (so nobody forges it with a header)?"""
    from lms.accounts import operations as account_ops
    from lms.config import TestConfig
    from tests.fixtures.app import CSRFClient, create_isolated_app
    from tests.fixtures.factories import PASSWORD, sign_in

    class Config(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'proxy.db'}"
        STORAGE_ROOT = str(tmp_path / "storage")
        PROXY_COUNT = proxies

    app = create_isolated_app(Config)
    app.test_client_class = CSRFClient
    with app.app_context():
        db.create_all()
        admin = account_ops.register_user("root@example.org", PASSWORD, "Root", is_admin=True)
        user = account_ops.register_user("u@example.org", PASSWORD, "U")
        db.session.commit()
        client = app.test_client()
        sign_in(client, admin)
        client.post(f"/admin/users/{user.id}/disable", headers={"X-Forwarded-For": "203.0.113.7"})
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "account_disabled")).all()
        assert event.ip == expected
        db.session.remove()
        db.engine.dispose()

