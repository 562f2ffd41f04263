"""Creating an organization's classes in bulk and giving them teachers, through HTTP."""
from __future__ import annotations

import re

from lms.circles.models import Circle, CircleKind, JoinPolicy, Membership, MembershipStatus, Role
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.fixtures.app import page_text
from tests.fixtures.queries import QueryCounter


def _classes(org) -> dict[str, Circle]:
    return {c.name: c for c in db.session.scalars(db.select(Circle).where(Circle.org_id == org.id))}


def _bulk(client, school, names, **extra):
    data = {"names": names, "teacher_id": school.teacher2.id, "kind": "teaching", "join_policy": "code"}
    data.update(extra)
    return client.post(f"/orgs/{school.org.id}/classes", data=data)


def _role_in(circle, user):
    return db.session.scalar(db.select(Membership).where(Membership.circle_id == circle.id,
                                                         Membership.user_id == user.id))


def test_bulk_classes_are_owned_by_the_teacher_and_listed(client, login, school):
    """Does the bulk form create one class per line, owned by the chosen teacher, shown on the org page
    and in the teacher's own circles?"""
    login(school.admin)
    response = _bulk(client, school, "Maths 7A\r\n\r\n   \r\n  Maths 7A  \r\nmaths 7a\r\nEnglish 8\r\n",
                     join_policy="approval", kind="community")
    assert response.status_code == 302
    classes = _classes(school.org)
    assert set(classes) == {"Existing class", "Maths 7A", "English 8"}  # blank lines and repeats skipped
    for name in ("Maths 7A", "English 8"):
        circle = classes[name]
        owner = _role_in(circle, school.teacher2)
        assert owner.role == Role.owner and owner.status == MembershipStatus.active
        assert circle.created_by_id == school.teacher2.id
        assert circle.member_count == 1 and circle.join_policy.value == "approval" and circle.kind.value == "community"
        assert _role_in(circle, school.admin) is None  # the org admin oversees, without joining
    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "2 classes created; Tina Teacher owns them." in text
    assert "Maths 7A" in text and "English 8" in text
    login(school.teacher2)
    mine = page_text(client.get("/"))
    assert "Maths 7A" in mine and "English 8" in mine


def test_bulk_skips_classes_the_org_already_has(client, login, school):
    """Does sending a list again create only the new names, and say what was skipped?"""
    login(school.admin)
    response = _bulk(client, school, "Existing class\nBiology")
    assert response.status_code == 302
    text = page_text(client.get(response.headers["Location"]))
    assert "1 class created" in text and "1 name was skipped" in text
    assert sorted(_classes(school.org)) == ["Biology", "Existing class"]
    again = _bulk(client, school, "biology\nEXISTING CLASS")
    assert again.status_code == 422
    assert "The organization already has every class in this list." in page_text(again)
    assert len(_classes(school.org)) == 2


def test_bulk_with_only_blank_lines_is_refused(client, login, school):
    """Is a list of blank lines refused with a message, creating nothing?"""
    login(school.admin)
    response = _bulk(client, school, "\n   \n\t\n")
    assert response.status_code == 422
    assert "Enter at least one class name, one per line." in page_text(response)
    assert list(_classes(school.org)) == ["Existing class"]


def test_bulk_refuses_a_name_that_is_too_long(client, login, school):
    """Is a line longer than a class name may be refused, with nothing created?"""
    login(school.admin)
    response = _bulk(client, school, "Fine name\n" + "x" * 121)
    assert response.status_code == 422
    assert "longer than 120 characters" in page_text(response)
    assert list(_classes(school.org)) == ["Existing class"]


def test_bulk_refuses_a_teacher_outside_the_org(client, login, school, make):
    """Can classes be given to someone who does not teach in the organization (an outsider, an org
    student, an account that does not exist, or nobody)?"""
    login(school.admin)
    for teacher_id in (school.outsider.id, school.student.id, 999999):
        response = _bulk(client, school, "Chemistry", teacher_id=teacher_id)
        assert response.status_code == 422
        assert "Choose a teacher of this organization." in page_text(response)
    response = _bulk(client, school, "Chemistry", teacher_id="")
    assert response.status_code == 422 and "Choose a teacher." in page_text(response)
    assert list(_classes(school.org)) == ["Existing class"]


def test_bulk_refuses_an_unknown_kind_or_policy(client, login, school):
    """Is a kind or join policy that is not in the list refused?"""
    login(school.admin)
    assert _bulk(client, school, "Art", kind="secret").status_code == 422
    assert _bulk(client, school, "Art", join_policy="everyone").status_code == 422
    assert "Art" not in _classes(school.org)


def test_assign_teacher_adds_an_org_teacher_to_a_class(client, login, school):
    """Does assigning an org teacher make them a teacher of the class, shown on the org page?"""
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/assign-teacher",
                           data={"class_id": school.klass.id, "assignee_id": school.teacher2.id})
    assert response.status_code == 302
    membership = _role_in(school.klass, school.teacher2)
    assert membership.role == Role.teacher and membership.status == MembershipStatus.active
    assert db.session.get(Circle, school.klass.id).member_count == 2
    text = page_text(client.get(response.headers["Location"]))
    assert "Tina Teacher now teaches Existing class." in text
    row = client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
    assert row.count('class="member-name">Tina Teacher<') == 1


def test_assign_teacher_promotes_a_student_of_the_class(client, login, school, make):
    """Does assigning an org teacher who is a student of the class make them its teacher (no second row)?"""
    make.member(school.klass, school.teacher2, Role.student)
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/assign-teacher",
                           data={"class_id": school.klass.id, "assignee_id": school.teacher2.id})
    assert response.status_code == 302
    assert _role_in(school.klass, school.teacher2).role == Role.teacher
    assert db.session.scalar(db.select(db.func.count()).select_from(Membership)
                             .where(Membership.user_id == school.teacher2.id)) == 1


def test_assign_teacher_refuses_bad_choices(client, login, school, make):
    """Is assigning refused for someone already teaching the class, someone outside the org, or no one?"""
    login(school.admin)
    url = f"/orgs/{school.org.id}/assign-teacher"
    already = client.post(url, data={"class_id": school.klass.id, "assignee_id": school.teacher.id})
    assert already.status_code == 422 and "Tom Teacher already teaches this class." in page_text(already)
    outsider = client.post(url, data={"class_id": school.klass.id, "assignee_id": school.outsider.id})
    assert outsider.status_code == 422 and "is not a teacher of this organization" in page_text(outsider)
    assert _role_in(school.klass, school.outsider) is None
    nobody = client.post(url, data={"class_id": school.klass.id, "assignee_id": ""})
    assert nobody.status_code == 422 and "Choose a teacher." in page_text(nobody)
    no_class = client.post(url, data={"class_id": "", "assignee_id": school.teacher2.id})
    assert no_class.status_code == 422 and "Choose a class." in page_text(no_class)


def test_assign_teacher_to_a_class_of_another_org_is_404(client, login, school, make):
    """Can an org admin reach a class of another organization (or a class with no organization)?"""
    other = org_ops.create_org("Other School")
    stranger = make.user("Stella Stranger")
    org_ops.add_org_member(other, stranger, OrgRole.teacher)
    [foreign] = org_ops.create_classes(other, ["Foreign class"], stranger, kind=CircleKind.teaching,
                                       join_policy=JoinPolicy.code, actor=school.site_admin)
    db.session.commit()
    private = make.circle(school.teacher, "Tom's own circle")
    login(school.admin)
    for circle in (foreign, private):
        response = client.post(f"/orgs/{school.org.id}/assign-teacher",
                               data={"class_id": circle.id, "assignee_id": school.teacher2.id})
        assert response.status_code == 404
        assert _role_in(circle, school.teacher2) is None


def test_org_admin_oversees_the_org_classes(client, login, school):
    """Can an org admin open a class of their org like staff, and see it on "My circles" without joining?"""
    login(school.admin)
    assert client.get(f"/c/{school.klass.id}").status_code == 200
    assert client.get(f"/c/{school.klass.id}/members").status_code == 200
    assert "Existing class" in page_text(client.get("/"))


def test_org_page_is_read_only_for_teachers(client, login, school):
    """Does an org teacher see the classes and colleagues but no management forms and no emails?"""
    login(school.teacher)
    response = client.get(f"/orgs/{school.org.id}")
    text = page_text(response)
    assert response.status_code == 200
    assert "Existing class" in text and "Olga Orgadmin" in text
    assert "Create classes" not in text and "Add someone" not in text and "Remove" not in text
    assert school.admin.email not in text


def _class_table(response) -> str:
    """The text of the page's class list only (the assign form's select lists every class)."""
    html = response.get_data(as_text=True)
    section = html[html.index('id="classes"'):html.index('id="people"')]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def test_org_page_classes_search_and_pagination(client, login, school):
    """Are the org's classes paginated and searchable by name?"""
    names = [f"Group {n:02d}" for n in range(55)]
    org_ops.create_classes(school.org, names, school.teacher, CircleKind.teaching, JoinPolicy.code,
                           actor=school.site_admin)
    db.session.commit()
    login(school.admin)
    first = _class_table(client.get(f"/orgs/{school.org.id}"))
    assert "Page 1 of 2" in first and "Existing class" in first and "Group 48" in first and "Group 49" not in first
    second = _class_table(client.get(f"/orgs/{school.org.id}?page=2"))
    assert "Group 54" in second and "Group 48" not in second
    found = _class_table(client.get(f"/orgs/{school.org.id}?q=group 07"))
    assert "Group 07" in found and "Group 08" not in found and "Existing class" not in found


def test_org_page_query_count_does_not_grow_with_classes(app, client, login, school):
    """Does the org page issue the same number of queries with 1 class as with 30 (no query per row)?"""
    login(school.admin)

    def count_queries() -> int:
        db.session.expire_all()  # both measurements start from the same (cold) session state
        with QueryCounter() as counter:
            assert client.get(f"/orgs/{school.org.id}").status_code == 200
        return counter.count

    client.get(f"/orgs/{school.org.id}")  # warm up (first-run check, caches)
    few = count_queries()
    circles = org_ops.create_classes(school.org, [f"Room {n}" for n in range(30)], school.teacher2,
                                     CircleKind.teaching, JoinPolicy.code,
                                     actor=school.site_admin)
    for circle in circles[:10]:
        org_ops.assign_teacher(circle, school.teacher, school.site_admin)
    db.session.commit()
    many = count_queries()
    assert many == few
