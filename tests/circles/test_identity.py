"""Identity in a circle: who may edit whose name and number, names and numbers unique, changes audited."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditAction, AuditEvent
from lms.circles import operations as ops
from lms.circles.models import Circle, Membership, Role
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.circles.helpers import elements, membership
from tests.fixtures.app import page_text

NAME_TAKEN = "Someone in this circle already goes by this name."
NUMBER_TAKEN = "This student number belongs to someone else in this circle."


@dataclass
class Class:
    circle: Circle
    people: dict  # role name -> User
    members: dict  # role name -> Membership


@pytest.fixture
def klass6(make) -> Class:
    """A class of an org asking for real names and numbers: owner, teacher, assistant, two students
    (Amy S-1, Ben S-2), an org admin, a site admin and a stranger."""
    people = {name: make.user(name=name.title()) for name in
              ("owner", "teacher", "assistant", "student", "classmate", "org_admin", "site_admin", "stranger")}
    people["site_admin"].is_admin = True
    org = org_ops.create_org("School")
    org_ops.add_org_member(org, people["org_admin"], OrgRole.admin)
    circle = ops.create_circle(people["owner"], "7B", org=org, require_real_name=True, require_student_no=True,
                               owner_display_name="Ms Owner")
    members = {"owner": circle.membership_of(people["owner"])}
    members["teacher"] = ops.add_member(circle, people["teacher"], Role.teacher, display_name="Mr Teacher")
    members["assistant"] = ops.add_member(circle, people["assistant"], Role.assistant, display_name="Assistant Al")
    members["student"] = ops.add_member(circle, people["student"], Role.student, display_name="Amy",
                                        real_name="Amy Wong", student_no="S-1")
    members["classmate"] = ops.add_member(circle, people["classmate"], Role.student, display_name="Ben",
                                          real_name="Ben Li", student_no="S-2")
    db.session.commit()
    return Class(circle, people, members)


def _form(m: Membership, **changes) -> dict:
    data = {"display_name": m.display_name, "real_name": m.real_name or "", "student_no": m.student_no or ""}
    data.update(changes)
    return data


# -- who may open and save whose identity --------------------------------------------------

ALLOWED = 200
MATRIX = {
    # target:     owner teacher assistant student classmate org_admin site_admin stranger   (the actor)
    "owner":     (200, 200, 403, 403, 403, 200, 200, 404),
    "teacher":   (200, 200, 403, 403, 403, 200, 200, 404),
    "assistant": (200, 200, 200, 403, 403, 200, 200, 404),
    "student":   (200, 200, 200, 200, 403, 200, 200, 404),
}
ACTORS = ("owner", "teacher", "assistant", "student", "classmate", "org_admin", "site_admin", "stranger")


@pytest.mark.parametrize("target", MATRIX)
@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_edit_whose_identity(klass6, as_user, target, actor):
    """Edit-identity matrix: staff identities only by teachers (and overseers) or the person; students'
    by any staff or themselves; strangers 404. A refused save changes nothing."""
    expected = MATRIX[target][ACTORS.index(actor)]
    m = klass6.members[target]
    url = f"/c/{klass6.circle.id}/members/{m.id}/edit"
    client = as_user(klass6.people[actor])
    assert client.get(url).status_code == expected
    response = client.post(url, data=_form(m, display_name="Renamed"))
    assert response.status_code == (302 if expected == ALLOWED else expected)
    renamed = membership(klass6.circle, klass6.people[target]).display_name == "Renamed"
    assert renamed == (expected == ALLOWED)


def test_assistant_cannot_rename_the_owner(klass6, as_user):
    """The issue's case: is an assistant refused renaming the owner, with the owner's name unchanged?"""
    owner = klass6.members["owner"]
    response = as_user(klass6.people["assistant"]).post(f"/c/{klass6.circle.id}/members/{owner.id}/edit",
                                                        data=_form(owner, display_name="Owner the Dull"))
    assert response.status_code == 403
    assert membership(klass6.circle, klass6.people["owner"]).display_name == "Ms Owner"


def test_roster_offers_edit_only_where_allowed(klass6, as_user):
    """Does the assistant's roster offer "Edit" for students and themselves, not for the owner or teachers?"""
    html = as_user(klass6.people["assistant"]).get(f"/c/{klass6.circle.id}/members").get_data(as_text=True)
    for name, shown in (("owner", False), ("teacher", False), ("assistant", True), ("student", True)):
        assert (f"/members/{klass6.members[name].id}/edit" in html) == shown, name


# -- names and numbers are unique in a circle ----------------------------------------------

@pytest.mark.parametrize("typed", ["Ben", "ben", "ＢＥＮ", " Ben ", "Ben\u200b", "B\u200ben"])
def test_student_cannot_take_a_classmates_display_name(klass6, as_user, typed):
    """Is Amy refused Ben's display name in any case, width or with invisible characters, with the
    message under the field and her typing kept?"""
    amy = klass6.members["student"]
    response = as_user(klass6.people["student"]).post(f"/c/{klass6.circle.id}/members/{amy.id}/edit",
                                                      data=_form(amy, display_name=typed))
    assert response.status_code == 422
    assert NAME_TAKEN in page_text(response)
    [value] = [a.get("value") for t, a in elements(response.get_data(as_text=True)) if a.get("name") == "display_name"]
    assert value == typed.strip()
    assert membership(klass6.circle, klass6.people["student"]).display_name == "Amy"


def test_student_cannot_take_the_teachers_name(klass6, as_user):
    """Is a student refused a staff member's display name (no impersonation)?"""
    amy = klass6.members["student"]
    response = as_user(klass6.people["student"]).post(f"/c/{klass6.circle.id}/members/{amy.id}/edit",
                                                      data=_form(amy, display_name="ms owner"))
    assert response.status_code == 422 and NAME_TAKEN in page_text(response)


def test_joining_with_a_taken_name_or_number_is_refused(klass6, make, as_user):
    """Is someone joining with a name or number already in the circle told so under the field, and
    left outside (no code spent)?"""
    newcomer = make.user()
    client = as_user(newcomer)
    url = f"/join/{klass6.circle.join_code}"
    response = client.post(url, data={"display_name": "AMY", "real_name": "New", "student_no": "S-9"})
    assert response.status_code == 422 and NAME_TAKEN in page_text(response)
    response = client.post(url, data={"display_name": "Nia", "real_name": "New", "student_no": "ｓ－２"})
    assert response.status_code == 422 and NUMBER_TAKEN in page_text(response)
    assert klass6.circle.membership_of(newcomer) is None
    assert client.post(url, data={"display_name": "Nia", "real_name": "Nia N", "student_no": "S 3"}).status_code == 302
    joined = membership(klass6.circle, newcomer)
    assert (joined.student_no, joined.student_no_key) == ("S 3", "S3")  # shown as typed, compared without the space


def test_staff_cannot_give_two_students_one_number(klass6, as_user):
    """Is a teacher refused giving Amy Ben's number (the export would carry it twice)?"""
    amy = klass6.members["student"]
    response = as_user(klass6.people["teacher"]).post(f"/c/{klass6.circle.id}/members/{amy.id}/edit",
                                                      data=_form(amy, student_no="s-2"))
    assert response.status_code == 422 and NUMBER_TAKEN in page_text(response)
    assert membership(klass6.circle, klass6.people["student"]).student_no == "S-1"


def test_the_database_refuses_a_repeated_number(klass6):
    """Does the unique constraint on (circle, student number) hold even past the operations, while
    empty numbers (NULL) may repeat?"""
    ben = db.session.get(Membership, klass6.members["classmate"].id)
    with pytest.raises(IntegrityError):
        db.session.execute(db.update(Membership).where(Membership.id == ben.id)
                           .values(student_no="S 1", student_no_key="S1"))
    db.session.rollback()
    for name in ("owner", "teacher", "assistant"):
        assert db.session.get(Membership, klass6.members[name].id).student_no is None  # several NULLs


@pytest.mark.parametrize("typed, classmate", [
    ("SR2026 002", "SR2026-002"), ("sr2026 001", "SR2026-001"), ("SR2026002", "SR2026-002"),
    ("ＳＲ２０２６－００２", "SR2026-002"), ("SR2026\u2014002", "SR2026-002"), ("SR-2026-002", "SR2026-002"),
])
def test_a_number_typed_with_other_separators_is_taken(make, as_user, typed, classmate):
    """Issue 8, tried in Chinese: may a student join with `SR2026 002` (or lower case, full width, an
    em dash) when a classmate holds `SR2026-002`? The classmate's number keeps its dash for Moodle."""
    circle = make.circle(require_student_no=True)
    make.member(circle, display_name="Classmate", student_no=classmate)
    newcomer = make.user()
    response = as_user(newcomer).post(f"/join/{circle.join_code}",
                                      data={"display_name": "Newcomer", "student_no": typed})
    assert response.status_code == 422 and NUMBER_TAKEN in page_text(response)
    assert membership(circle, newcomer) is None
    holder = db.session.scalar(db.select(Membership).where(Membership.circle_id == circle.id,
                                                           Membership.student_no_key.is_not(None)))
    assert (holder.student_no, holder.student_no_key) == (classmate, classmate.replace("-", ""))


def test_a_number_is_stored_as_written_and_keyed(make, as_user):
    """Does a joining student's `sr2026-003` show and export as `SR2026-003`, compared as `SR2026003`?"""
    circle = make.circle(require_student_no=True)
    student = make.user()
    response = as_user(student).post(f"/join/{circle.join_code}",
                                     data={"display_name": "Pat", "student_no": " sr2026－003 "})
    assert response.status_code == 302
    m = membership(circle, student)
    assert (m.student_no, m.student_no_key) == ("SR2026-003", "SR2026003")


def test_staff_search_finds_a_number_typed_otherwise(klass6, as_user):
    """Does the staff's roster search for `s 2` find Ben, whose number is `S-2`?"""
    text = page_text(as_user(klass6.people["teacher"]).get(f"/c/{klass6.circle.id}/members?q=s%202"))
    assert "Ben" in text and "Amy" not in text


def test_a_name_is_free_again_once_its_holder_left(klass6, as_user):
    """When Ben leaves, may Amy take the name "Ben"?"""
    ben_client = as_user(klass6.people["classmate"])
    assert ben_client.post(f"/c/{klass6.circle.id}/leave").status_code == 302
    amy = klass6.members["student"]
    response = as_user(klass6.people["student"]).post(f"/c/{klass6.circle.id}/members/{amy.id}/edit",
                                                      data=_form(amy, display_name="Ben"))
    assert response.status_code == 302


# -- a student's real name and number ------------------------------------------------------

def test_student_number_is_locked_once_staff_set_it(klass6, as_user):
    """After the teacher sets Amy's number, is Amy's own edit of it ignored and shown read-only, while
    she may still change her display name?"""
    amy = klass6.members["student"]
    url = f"/c/{klass6.circle.id}/members/{amy.id}/edit"
    assert as_user(klass6.people["teacher"]).post(url, data=_form(amy, student_no="S-10")).status_code == 302
    student = as_user(klass6.people["student"])
    page = student.get(url).get_data(as_text=True)
    [attrs] = [a for t, a in elements(page) if a.get("name") == "student_no"]
    assert "readonly" in attrs and attrs["value"] == "S-10"
    assert "Only the staff can change this." in page
    response = student.post(url, data=_form(amy, display_name="Amy W", student_no="S-2", real_name="Someone"))
    assert response.status_code == 302
    m = membership(klass6.circle, klass6.people["student"])
    assert (m.display_name, m.student_no, m.real_name) == ("Amy W", "S-10", "Amy Wong")


def test_student_sets_a_number_only_when_the_circle_asks(make, as_user):
    """In a circle that does not ask for numbers, is a student's posted number ignored?"""
    circle = make.circle()
    student = make.user()
    m = make.member(circle, student, display_name="Pat")
    response = as_user(student).post(f"/c/{circle.id}/members/{m.id}/edit",
                                     data={"display_name": "Pat", "real_name": "Pat Real", "student_no": "S-77"})
    assert response.status_code == 302
    saved = membership(circle, student)
    assert saved.student_no is None and saved.real_name is None


def test_join_form_ignores_fields_the_circle_does_not_ask_for(make, as_user):
    """Does a join that posts a number the circle never asked for store nothing (nobody proposes a
    number the staff did not ask for)?"""
    circle = make.circle()
    student = make.user()
    response = as_user(student).post(f"/join/{circle.join_code}",
                                     data={"display_name": "Pat", "real_name": "X", "student_no": "S-1"})
    assert response.status_code == 302
    assert membership(circle, student).student_no is None


# -- audit -----------------------------------------------------------------------------------

def _identity_events():
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == AuditAction.identity_changed.value).order_by(AuditEvent.id)))


def test_changes_by_someone_else_are_audited(klass6, as_user):
    """Is a teacher's change of a student's identity recorded with the old and new values, and a
    student's change of their own display name not?"""
    amy = klass6.members["student"]
    url = f"/c/{klass6.circle.id}/members/{amy.id}/edit"
    assert as_user(klass6.people["student"]).post(url, data=_form(amy, display_name="Amy W")).status_code == 302
    assert _identity_events() == []
    amy = membership(klass6.circle, klass6.people["student"])
    assert as_user(klass6.people["teacher"]).post(
        url, data=_form(amy, real_name="Amy Wong-Li", student_no="S-01")).status_code == 302
    [event] = _identity_events()
    assert event.actor_id == klass6.people["teacher"].id and event.target_id == amy.id
    assert event.circle_id == klass6.circle.id
    assert event.details == {"real_name": {"from": "Amy Wong", "to": "Amy Wong-Li"},
                             "student_no": {"from": "S-1", "to": "S-01"}}


def test_teacher_renaming_the_owner_is_audited(klass6, as_user):
    """Is a teacher's rename of the owner allowed and recorded?"""
    owner = klass6.members["owner"]
    response = as_user(klass6.people["teacher"]).post(f"/c/{klass6.circle.id}/members/{owner.id}/edit",
                                                      data=_form(owner, display_name="Dr Owner"))
    assert response.status_code == 302
    [event] = _identity_events()
    assert event.details == {"display_name": {"from": "Ms Owner", "to": "Dr Owner"}}
