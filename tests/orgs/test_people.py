"""People: the organization's roster with its search, one person's classes, moving a student (their work
stays in the old class) or adding them to another, and who may."""
from __future__ import annotations

import pytest

from lms.circles.models import CircleKind, JoinPolicy, Membership, MembershipStatus
from lms.extensions import db
from lms.grading.models import Grade
from lms.homework.models import Submission
from lms.orgs import operations as org_ops
from tests.orgs.school import build_school


@pytest.fixture
def roster(make, hw, school):
    """Mei (real name 陈美, number SR-001) is a student of "Existing class" with a hand-in and a released grade;
    "Room B" is another class of the school; Otto the outsider is in a class of another school."""
    mei = make.user("Mei Chen", email="mei@school.example")
    membership = make.member(school.klass, mei, display_name="Mei C", real_name="陈美", student_no="SR-001")
    assignment = hw.assignment(school.klass, author=school.teacher)
    hw.submission(assignment, mei)
    hw.grade(assignment, mei, score=88)
    [room_b] = org_ops.create_classes(school.org, ["Room B"], school.teacher2, CircleKind.teaching, JoinPolicy.code,
                                      actor=school.site_admin)
    db.session.commit()
    return mei, membership, room_b


@pytest.mark.parametrize("query", ["mei", "MEI@SCHOOL", "陈美", "sr001", "Mei C"])
def test_the_roster_finds_a_student_by_name_real_name_number_or_email(client, login, school, roster, query):
    """Does the roster's search find Mei by account name, email, real name, student number (however it is
    typed) and class name?"""
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/people", query_string={"q": query}).get_data(as_text=True)
    assert "Mei Chen" in page and "Existing class" in page
    assert "Otto Outsider" not in page


def test_the_roster_lists_the_org_people_not_strangers(client, login, make, school, roster):
    """Does the roster list the org's people and the students of its classes, and nobody of another school?"""
    other = build_school(make, "Other School")
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/people").get_data(as_text=True)
    assert "Mei Chen" in page and "Tom Teacher" in page and "Sam Student" in page
    assert f"/people/{other.teacher.id}" not in page
    assert client.get(f"/orgs/{school.org.id}/people/{other.teacher.id}").status_code == 404


def test_moving_a_student_keeps_their_work_in_the_old_class(client, login, school, roster):
    """Does moving Mei to Room B make her a student there with the same identity, let her leave the old class,
    and keep her hand-in and grade there?"""
    mei, old, room_b = roster
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/people/{mei.id}",
                           data={"from_class": school.klass.id, "to_class": room_b.id})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    db.session.expire_all()
    new = db.session.scalar(db.select(Membership).where(Membership.circle_id == room_b.id,
                                                        Membership.user_id == mei.id))
    assert new.status == MembershipStatus.active and (new.display_name, new.real_name, new.student_no) == (
        "Mei C", "陈美", "SR-001")
    assert db.session.get(Membership, old.id).status == MembershipStatus.left
    assert db.session.scalar(db.select(db.func.count()).select_from(Submission)
                             .where(Submission.student_id == mei.id)) == 1
    assert db.session.scalar(db.select(Grade.score).where(Grade.student_id == mei.id)) == 88


def test_adding_a_student_keeps_the_old_class(client, login, school, roster):
    """Does adding Mei to Room B keep her in her class too, and is adding her twice refused with the reason?"""
    mei, old, room_b = roster
    login(school.admin)
    url = f"/orgs/{school.org.id}/people/{mei.id}"
    assert client.post(url, data={"from_class": "", "to_class": room_b.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, old.id).status == MembershipStatus.active
    response = client.post(url, data={"from_class": "", "to_class": room_b.id})
    assert response.status_code == 422 and "already in Room B" in response.get_data(as_text=True)


def test_a_class_of_another_org_cannot_be_the_target(client, login, make, school, roster):
    """Is a class of another school refused (404) and nothing changed?"""
    mei, old, _room_b = roster
    other = build_school(make, "Other School")
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/people/{mei.id}",
                           data={"from_class": school.klass.id, "to_class": other.klass.id})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Membership, old.id).status == MembershipStatus.active


@pytest.mark.parametrize("who, expected", [("site_admin", 200), ("admin", 200), ("teacher", 404),
                                           ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                           ("anonymous", "login")])
@pytest.mark.parametrize("page", ["people", "person", "move"])
def test_people_pages_by_role(client, login, make, school, roster, who, expected, page):
    """Are the roster, a person's page and the move there for the org's admins and site admins only (404 for
    its teachers, a teacher of another school, its students and strangers)?"""
    mei, _old, room_b = roster
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    base = f"/orgs/{school.org.id}/people"
    if page == "move":
        response = client.post(f"{base}/{mei.id}", data={"from_class": school.klass.id, "to_class": room_b.id})
        expected = 302 if expected == 200 else expected
    else:
        response = client.get(base if page == "people" else f"{base}/{mei.id}")
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected


def test_an_archived_class_keeps_its_students(client, login, school, roster):
    """An archived class is read-only (a removal from all classes leaves it too): is it offered in "From:", and is
    moving a student out of it refused with the reason, their membership unchanged? (It let them leave: the
    archived term's report lost them; fresh-eyes trial.)"""
    mei, old, room_b = roster
    school.klass.is_archived = True
    db.session.commit()
    login(school.admin)
    url = f"/orgs/{school.org.id}/people/{mei.id}"
    page = client.get(url).get_data(as_text=True)
    offered = page.split('name="from_class"')[1].split("</select>")[0]
    assert "Existing class" not in offered
    response = client.post(url, data={"from_class": school.klass.id, "to_class": room_b.id})
    assert response.status_code == 422
    assert ("This circle is archived: it can be read, but nothing in it can be changed."
            in response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Membership, old.id).status == MembershipStatus.active
    assert room_b.membership_of(mei) is None


def test_classes_of_one_name_are_told_apart_by_their_term(client, login, school, roster):
    """A class copied into the next term keeps its name: do the class lists to move a student into (and to assign a
    teacher to, on the school's page) name each one's term when two current classes share a name (they read the
    same twice: fresh-eyes trial), and leave the other names as they are?"""
    from datetime import date

    from lms.orgs.models import Term

    mei, _old, room_b = roster
    autumn = Term(org_id=school.org.id, name="Autumn 2026", starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 15))
    spring = Term(org_id=school.org.id, name="Spring 2027", starts_on=date(2027, 2, 20), ends_on=date(2027, 7, 10))
    db.session.add_all([autumn, spring])
    [copy] = org_ops.create_classes(school.org, ["Room B again"], school.teacher2, CircleKind.teaching,
                                    JoinPolicy.code, actor=school.site_admin)
    db.session.flush()
    copy.name, copy.term_id, room_b.term_id = room_b.name, spring.id, autumn.id
    db.session.commit()
    login(school.admin)
    for url, name in ((f"/orgs/{school.org.id}/people/{mei.id}", "to_class"), (f"/orgs/{school.org.id}", "class_id")):
        page = client.get(url).get_data(as_text=True)
        offered = page.split(f'name="{name}"')[1].split("</select>")[0]
        assert f'value="{room_b.id}">Room B (Autumn 2026)</option>' in offered, url
        assert f'value="{copy.id}">Room B (Spring 2027)</option>' in offered, url
        assert f'value="{school.klass.id}">Existing class</option>' in offered, url
